"""Dashboard pages for VIP groups and their members. Thin: parse a form, call one service, render.

Every object is fetched through the selectors with `brand=self.brand` and `self.actor`, so store managers
and reps see only their store's (and the brand-wide) groups; another brand's id is a 404. Times are shown
and parsed in the brand's time zone. Each command on a member has its own route.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import actor_store_id
from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.parsing import query_int
from privtraffic.tenancy.roles import Perm
from privtraffic.tenancy.selectors import rep_list, store_choices

from ..invites.forms import GroupInviteForm
from ..invites.selectors import invite_active_count, invite_list
from ..models import MemberRole
from . import selectors, services
from .forms import MUTE_DURATIONS, GroupForm, MemberActionForm, MemberMuteForm

MEMBERS_PER_PAGE = 50


def site_root(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class CommunitiesView(BrandView):
    """The groups and invite-link pages: any staff member who may chat opens them."""

    permission = Perm.CHAT

    def _stores(self):
        return store_choices(brand=self.brand, actor=self.actor)

    def _store_initial(self) -> dict:
        store_id = actor_store_id(self.actor)
        return {"store": store_id} if store_id is not None else {}

    def _require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied(_("Your role does not allow this."))

    def _group_form(self, data=None, editing=None, files=None):
        groups = selectors.group_list(brand=self.brand, actor=self.actor)
        reps = rep_list(brand=self.brand, actor=self.actor).filter(is_active=True)
        if editing is not None:
            return GroupForm(data, files, stores=self._stores(), groups=groups, reps=reps, editing=editing)
        return GroupForm(data, files, stores=self._stores(), groups=groups, reps=reps, initial=self._store_initial())


# --- groups ----------------------------------------------------------------------------------


def _series_rows(groups):
    """Groups in list order with each overflow series kept together: the first group, then #2, #3, ..."""
    buckets: dict[int, list] = {}
    for group in groups:
        buckets.setdefault(group.series_root_id or group.pk, []).append(group)
    rows = []
    for series in buckets.values():
        series.sort(key=lambda g: (g.series_number, g.pk))
        for group in series:
            group.series_size = len(series)
            group.series_members = sum(g.member_count for g in series)
        rows.extend(series)
    return rows


class GroupListView(CommunitiesView):
    """All groups with fill bars and series; managers create groups here."""

    def get(self, request):
        return self._render(request, self._group_form() if self.can(Perm.MANAGE_GROUPS) else None)

    def post(self, request):
        self._require(Perm.MANAGE_GROUPS)
        form = self._group_form(request.POST, files=request.FILES)
        if form.is_valid():
            with form_errors(form) as outcome:
                group = services.group_create(brand=self.brand, actor=self.actor, **form.changes())
            if outcome.ok:
                messages.success(request, _("Group “%(name)s” created.") % {"name": group.name})
                return redirect("communities:group_detail", slug=self.brand.slug, group_id=group.pk)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        q = request.GET.get("q", "").strip()
        store = query_int(request, "store")
        show_archived = request.GET.get("archived") == "1"
        groups = list(selectors.group_list(
            brand=self.brand, actor=self.actor, store_id=store,
            include_archived=show_archived, search=q,
        ))
        context = {
            "groups": _series_rows(groups),
            "form": form,
            "can_manage": self.can(Perm.MANAGE_GROUPS),
            "q": q,
            "store_filter": store,
            "show_archived": show_archived,
            "stores": self._stores(),
            "total_members": sum(g.member_count for g in groups),
            "full_count": sum(1 for g in groups if g.is_full),
            "invite_count": invite_active_count(brand=self.brand, actor=self.actor),
            "activity": selectors.member_activity(brand=self.brand, actor=self.actor),
        }
        return render(request, "communities/dashboard/groups.html", context, status=status)


class GroupPage(CommunitiesView):
    """One group's page: overview, series, its invite links (create, revoke) and the edit form. The
    invite commands (communities.invites.views) show it again with their form's errors."""

    def render_group(self, request, group, *, edit_form=None, invite_form=None, status=200):
        can_manage = self.can(Perm.MANAGE_GROUPS)
        if can_manage and edit_form is None:
            edit_form = self._group_form(editing=group)
        if invite_form is None:
            invite_form = GroupInviteForm(stores=self._stores(), auto_id="invite_%s", initial=self._store_initial())
        context = {
            "group": group,
            "series": list(selectors.group_series(group=group)),
            "invites": invite_list(brand=self.brand, group_id=group.pk, actor=self.actor),
            "edit_form": edit_form if can_manage else None,
            "invite_form": invite_form,
            "can_manage": can_manage,
            "site_root": site_root(request),
        }
        return render(request, "communities/dashboard/group_detail.html", context, status=status)


class GroupDetailView(GroupPage):
    """GET shows the group; POST saves the edit form."""

    def get(self, request, group_id):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        return self.render_group(request, group)

    def post(self, request, group_id):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        self._require(Perm.MANAGE_GROUPS)
        form = self._group_form(request.POST, editing=group, files=request.FILES)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.group_update(group=group, actor=self.actor, **form.changes())
            if outcome.ok:
                messages.success(request, _("Group saved."))
                return redirect("communities:group_detail", slug=self.brand.slug, group_id=group.pk)
        return self.render_group(request, group, edit_form=form, status=400)


# --- members ---------------------------------------------------------------------------------


class MembersPage(CommunitiesView):
    def render_members(self, request, group, *, form=None, status=200):
        q = request.GET.get("q", "").strip()
        page = Paginator(selectors.member_list(group=group, search=q), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            "group": group,
            "page": page,
            "q": q,
            "action_form": form,
            "now": timezone.now(),
            "durations": list(MUTE_DURATIONS),
        }
        return render(request, "communities/dashboard/group_members.html", context, status=status)


class GroupMembersView(MembersPage):
    """A group's members: search, pages of 50; each row posts to one command route below."""

    def get(self, request, group_id):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        return self.render_members(request, group)


class _MemberCommandView(MembersPage):
    """POST one command on one member (customer_id), then back to the members page with its query string."""

    http_method_names = ["post"]
    form_class = MemberActionForm

    def act(self, member, data) -> str:
        """Call the service; return the message that says what was done."""
        raise NotImplementedError

    def post(self, request, group_id):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self.render_members(request, group, form=form, status=400)
        member = selectors.member_get(group=group, customer_id=form.cleaned_data["customer_id"])
        with form_errors(form) as outcome:
            done = self.act(member, form.cleaned_data)
        if not outcome.ok:
            return self.render_members(request, group, form=form, status=400)
        messages.success(request, done)
        members = reverse("communities:group_members", kwargs={"slug": self.brand.slug, "group_id": group.pk})
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{members}?{query}" if query else members)


class MemberMuteView(_MemberCommandView):
    form_class = MemberMuteForm

    def act(self, member, data) -> str:
        services.group_member_mute(member=member, actor=self.actor,
                                   until=timezone.now() + timedelta(hours=MUTE_DURATIONS[data["duration"]]))
        return _("%(name)s is muted for %(duration)s.") % {"name": member.customer.name, "duration": data["duration"]}


class MemberUnmuteView(_MemberCommandView):
    def act(self, member, data) -> str:
        services.group_member_mute(member=member, actor=self.actor, until=None)
        return _("%(name)s can post again.") % {"name": member.customer.name}


class MemberRemoveView(_MemberCommandView):
    def act(self, member, data) -> str:
        services.group_member_remove(member=member, actor=self.actor)
        return _("%(name)s was removed from the group.") % {"name": member.customer.name}


class MemberPromoteView(_MemberCommandView):
    def act(self, member, data) -> str:
        services.group_member_set_role(member=member, actor=self.actor, role=MemberRole.MODERATOR)
        return _("%(name)s is now a moderator.") % {"name": member.customer.name}


class MemberDemoteView(_MemberCommandView):
    def act(self, member, data) -> str:
        services.group_member_set_role(member=member, actor=self.actor, role=MemberRole.MEMBER)
        return _("%(name)s is no longer a moderator.") % {"name": member.customer.name}
