"""Dashboard pages for VIP groups, their members and invite links. Thin: parse a form, call one service, render.

Every object is fetched through communities.selectors with `brand=self.brand` (and the acting membership, so
store managers and reps see only their store's groups and links); another brand's id is a 404. Times are shown
and parsed in the brand's time zone.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, form_apply_error, reraise_access
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm, Role, is_store_scoped
from privtraffic.tenancy.selectors import rep_list, store_list

from . import selectors, services
from .dashboard_forms import (
    MUTE_DURATIONS,
    GroupForm,
    GroupInviteForm,
    MemberActionForm,
    RepInviteForm,
    RevokeForm,
)
from .models import GroupMember, MemberRole

MEMBERS_PER_PAGE = 50
INVITES_PER_PAGE = 50
RECENT_ACTIVITY = 10





def _site_root(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class _CommunitiesView(BrandView):
    permission = Perm.CHAT

    def _stores(self):
        stores = store_list(brand=self.brand)
        if is_store_scoped(self.membership.role):
            stores = stores.filter(pk=self.membership.store_id)
        return stores

    def _store_initial(self) -> dict:
        return {"store": self.membership.store_id} if is_store_scoped(self.membership.role) else {}

    def _require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied(_("Your role does not allow this."))

    def _group_form(self, data=None, editing=None, files=None):
        groups = selectors.group_list(brand=self.brand, actor=self.membership)
        if editing is not None:
            return GroupForm(data, files, stores=self._stores(), groups=groups, editing=editing)
        return GroupForm(data, files, stores=self._stores(), groups=groups, initial=self._store_initial())

    def _revoke(self, request, *, group=None):
        """Revoke the invite named by the POSTed invite_id. Returns the invite, or None for bad input."""
        form = RevokeForm(request.POST)
        if not form.is_valid():
            return None
        invite = selectors.invite_get(brand=self.brand, invite_id=form.cleaned_data["invite_id"], actor=self.membership)
        if group is not None and invite.group_id != group.pk:
            raise Http404(_("No such invite."))
        services.invite_link_revoke(invite=invite, actor=self.membership)
        messages.success(request, _("Invite link turned off. Its QR code no longer works."))
        return invite


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


def _recent_activity(*, brand, actor, limit=RECENT_ACTIVITY):
    """The latest joins and leaves across the groups the actor can see (two queries, whatever the size).

    A read: it belongs in communities.selectors (as member_activity); it lives here because this page's
    owner may not edit that module.
    """
    visible = selectors.group_list(brand=brand, actor=actor, include_archived=True).values("pk")
    rows = GroupMember.objects.filter(brand=brand, group_id__in=visible).select_related("customer", "group")
    joins = [{"when": m.joined_at, "kind": "joined", "member": m} for m in rows.order_by("-joined_at", "-id")[:limit]]
    leaves = [{"when": m.left_at, "kind": m.leave_reason or "left", "member": m}
              for m in rows.filter(left_at__isnull=False).order_by("-left_at", "-id")[:limit]]
    return sorted(joins + leaves, key=lambda entry: entry["when"], reverse=True)[:limit]


class GroupListView(_CommunitiesView):
    """All groups with fill bars and series; managers create groups here."""

    def get(self, request):
        return self._render(request, self._group_form() if self.can(Perm.MANAGE_GROUPS) else None)

    def post(self, request):
        self._require(Perm.MANAGE_GROUPS)
        form = self._group_form(request.POST, files=request.FILES)
        if form.is_valid():
            try:
                group = services.group_create(brand=self.brand, actor=self.membership, **form.changes())
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
            else:
                messages.success(request, _("Group “%(name)s” created.") % {"name": group.name})
                return redirect("communities:group_detail", slug=self.brand.slug, group_id=group.pk)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        q = request.GET.get("q", "").strip()
        store = request.GET.get("store", "")
        show_archived = request.GET.get("archived") == "1"
        groups = list(selectors.group_list(
            brand=self.brand, actor=self.membership, store_id=int(store) if store.isdigit() else None,
            include_archived=show_archived, search=q,
        ))
        context = {
            "groups": _series_rows(groups),
            "form": form,
            "can_manage": self.can(Perm.MANAGE_GROUPS),
            "q": q,
            "store_filter": int(store) if store.isdigit() else None,
            "show_archived": show_archived,
            "stores": self._stores(),
            "total_members": sum(g.member_count for g in groups),
            "full_count": sum(1 for g in groups if g.is_full),
            "activity": _recent_activity(brand=self.brand, actor=self.membership),
        }
        return render(request, "communities/dashboard/groups.html", context, status=status)


class GroupDetailView(_CommunitiesView):
    """One group: overview, series, its invite links (create, revoke) and the edit form."""

    def get(self, request, group_id):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.membership)
        return self._render(request, group)

    def post(self, request, group_id):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.membership)
        action = request.POST.get("action", "update")
        edit_form = invite_form = None
        try:
            if action == "update":
                self._require(Perm.MANAGE_GROUPS)
                edit_form = self._group_form(request.POST, editing=group, files=request.FILES)
                if edit_form.is_valid():
                    services.group_update(group=group, actor=self.membership, **edit_form.changes())
                    messages.success(request, _("Group saved."))
                    return redirect("communities:group_detail", slug=self.brand.slug, group_id=group.pk)
            elif action == "create_invite":
                invite_form = GroupInviteForm(request.POST, stores=self._stores(), auto_id="invite_%s")
                if invite_form.is_valid():
                    invite = services.invite_link_create(brand=self.brand, actor=self.membership, group=group,
                                                         **invite_form.cleaned_data)
                    messages.success(request, _("Invite link created."))
                    return redirect("communities:invite_detail", slug=self.brand.slug, invite_id=invite.pk)
            elif action == "revoke_invite":
                if self._revoke(request, group=group) is not None:
                    return redirect("communities:group_detail", slug=self.brand.slug, group_id=group.pk)
                messages.error(request, _("Choose an invite link to turn off."))
            else:
                messages.error(request, _("Unknown action."))
        except ApplicationError as exc:
            reraise_access(exc)
            target = edit_form if action == "update" else invite_form
            if target is None:
                messages.error(request, exc.message)
            else:
                form_apply_error(target, exc)
        return self._render(request, group, edit_form=edit_form, invite_form=invite_form, status=400)

    def _render(self, request, group, *, edit_form=None, invite_form=None, status=200):
        can_manage = self.can(Perm.MANAGE_GROUPS)
        if can_manage and edit_form is None:
            edit_form = self._group_form(editing=group)
        if invite_form is None:
            invite_form = GroupInviteForm(stores=self._stores(), auto_id="invite_%s", initial=self._store_initial())
        context = {
            "group": group,
            "series": list(selectors.group_series(group=group)),
            "invites": selectors.invite_list(brand=self.brand, group_id=group.pk, actor=self.membership),
            "edit_form": edit_form if can_manage else None,
            "invite_form": invite_form,
            "can_manage": can_manage,
            "site_root": _site_root(request),
        }
        return render(request, "communities/dashboard/group_detail.html", context, status=status)


class GroupMembersView(_CommunitiesView):
    """A group's members: search, pages of 50, mute / unmute / remove / promote / demote."""

    def get(self, request, group_id):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.membership)
        return self._render(request, group)

    def post(self, request, group_id):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.membership)
        form = MemberActionForm(request.POST)
        if not form.is_valid():
            return self._render(request, group, form=form, status=400)
        data = form.cleaned_data
        member = selectors.member_get(group=group, customer_id=data["customer_id"])
        name = member.customer.name
        try:
            match data["action"]:
                case "mute":
                    hours = MUTE_DURATIONS[data["duration"]]
                    services.group_member_mute(member=member, actor=self.membership,
                                               until=timezone.now() + timedelta(hours=hours))
                    done = _("%(name)s is muted for %(duration)s.") % {"name": name, "duration": data["duration"]}
                case "unmute":
                    services.group_member_mute(member=member, actor=self.membership, until=None)
                    done = _("%(name)s can post again.") % {"name": name}
                case "remove":
                    services.group_member_remove(member=member, actor=self.membership)
                    done = _("%(name)s was removed from the group.") % {"name": name}
                case "promote":
                    services.group_member_set_role(member=member, actor=self.membership, role=MemberRole.MODERATOR)
                    done = _("%(name)s is now a moderator.") % {"name": name}
                case _:  # "demote"
                    services.group_member_set_role(member=member, actor=self.membership, role=MemberRole.MEMBER)
                    done = _("%(name)s is no longer a moderator.") % {"name": name}
        except ApplicationError as exc:
            reraise_access(exc)
            form.add_error(None, exc.message)
            return self._render(request, group, form=form, status=400)
        messages.success(request, done)
        return redirect(request.get_full_path())

    def _render(self, request, group, *, form=None, status=200):
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


# --- invite links ----------------------------------------------------------------------------


class InviteListView(_CommunitiesView):
    """Every invite link the actor can see, and the form for a rep's "shopping assistant" link."""

    def _reps(self):
        reps = rep_list(brand=self.brand, actor=self.membership).filter(is_active=True)
        if self.membership.role == Role.REP:
            reps = reps.filter(pk=self.membership.pk)  # reps create links for themselves only
        return reps

    def _rep_form(self, data=None):
        return RepInviteForm(data, reps=self._reps(), stores=self._stores(), initial=self._store_initial())

    def get(self, request):
        return self._render(request, self._rep_form())

    def post(self, request):
        action = request.POST.get("action", "create")
        form = self._rep_form(request.POST if action == "create" else None)
        if action == "revoke":
            if self._revoke(request) is not None:
                return redirect("communities:invites", slug=self.brand.slug)
            messages.error(request, _("Choose an invite link to turn off."))
        elif form.is_valid():
            try:
                invite = services.invite_link_create(brand=self.brand, actor=self.membership, **form.cleaned_data)
            except ApplicationError as exc:
                if exc.status == 404:
                    raise
                form_apply_error(form, exc)
            else:
                messages.success(request, _("Invite link created."))
                return redirect("communities:invite_detail", slug=self.brand.slug, invite_id=invite.pk)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        kind = request.GET.get("kind", "")
        invites = selectors.invite_list(brand=self.brand, actor=self.membership)
        if kind in ("group", "rep"):
            invites = invites.filter(kind=kind)
        context = {
            "page": Paginator(invites, INVITES_PER_PAGE).get_page(request.GET.get("page")),
            "kind_filter": kind,
            "form": form,
            "site_root": _site_root(request),
        }
        return render(request, "communities/dashboard/invites.html", context, status=status)


class InviteDetailView(_CommunitiesView):
    """A printable page: the big QR code, the link, who it leads to; revoke."""

    def get(self, request, invite_id):
        invite = selectors.invite_get(brand=self.brand, invite_id=invite_id, actor=self.membership)
        return render(request, "communities/dashboard/invite_detail.html",
                      {"invite": invite, "site_root": _site_root(request)})

    def post(self, request, invite_id):
        invite = selectors.invite_get(brand=self.brand, invite_id=invite_id, actor=self.membership)
        services.invite_link_revoke(invite=invite, actor=self.membership)
        messages.success(request, _("Invite link turned off. Its QR code no longer works."))
        return redirect("communities:invite_detail", slug=self.brand.slug, invite_id=invite.pk)
