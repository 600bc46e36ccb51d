"""Dashboard pages for invite links: the list (and a rep's "shopping assistant" link), the printable QR page,
and the group page's commands (create a link to the group, turn one off). Thin: parse, call one service."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import flash_errors, form_errors

from ..groups.selectors import group_get
from ..groups.views import CommunitiesView, GroupPage, site_root
from . import selectors, services
from .forms import GroupInviteForm, RepInviteForm, RevokeForm

INVITES_PER_PAGE = 50


class _RevokeCommand:
    """Turn off the invite named by the POSTed invite_id. Returns the invite, or None for bad input
    (a message says why)."""

    def revoke(self, request, *, group=None):
        form = RevokeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose an invite link to turn off."))
            return None
        invite = selectors.invite_get(brand=self.brand, invite_id=form.cleaned_data["invite_id"], actor=self.actor)
        if group is not None and invite.group_id != group.pk:
            raise Http404(_("No such invite."))
        with flash_errors(request) as outcome:
            services.invite_link_revoke(invite=invite, actor=self.actor)
        if not outcome.ok:
            return None
        messages.success(request, _("Invite link turned off. Its QR code no longer works."))
        return invite


# --- the invite links page --------------------------------------------------------------------


class InvitesPage(CommunitiesView):
    def rep_form(self, data=None):
        reps = selectors.invite_rep_choices(brand=self.brand, actor=self.actor)
        return RepInviteForm(data, reps=reps, stores=self._stores(), initial=self._store_initial())

    def render_invites(self, request, form, status=200):
        kind = request.GET.get("kind", "")
        invites = selectors.invite_list(brand=self.brand, actor=self.actor,
                                        kind=kind if kind in ("group", "rep") else "")
        context = {
            "page": Paginator(invites, INVITES_PER_PAGE).get_page(request.GET.get("page")),
            "kind_filter": kind,
            "form": form,
            "site_root": site_root(request),
        }
        return render(request, "communities/dashboard/invites.html", context, status=status)


class InviteListView(InvitesPage):
    """Every invite link the actor can see; POST creates a rep's "shopping assistant" link."""

    def get(self, request):
        return self.render_invites(request, self.rep_form())

    def post(self, request):
        form = self.rep_form(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                invite = services.invite_link_create(brand=self.brand, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Invite link created."))
                return redirect("communities:invite_detail", slug=self.brand.slug, invite_id=invite.pk)
        return self.render_invites(request, form, status=400)


class InviteRevokeView(_RevokeCommand, InvitesPage):
    """POST invites/revoke/: turn off one link from the list."""

    http_method_names = ["post"]

    def post(self, request):
        if self.revoke(request) is not None:
            return redirect("communities:invites", slug=self.brand.slug)
        return self.render_invites(request, self.rep_form(), status=400)


class InviteDetailView(CommunitiesView):
    """A printable page: the big QR code, the link, who it leads to; POST turns the link off."""

    def get(self, request, invite_id):
        invite = selectors.invite_get(brand=self.brand, invite_id=invite_id, actor=self.actor)
        return render(request, "communities/dashboard/invite_detail.html",
                      {"invite": invite, "site_root": site_root(request)})

    def post(self, request, invite_id):
        invite = selectors.invite_get(brand=self.brand, invite_id=invite_id, actor=self.actor)
        services.invite_link_revoke(invite=invite, actor=self.actor)
        messages.success(request, _("Invite link turned off. Its QR code no longer works."))
        return redirect("communities:invite_detail", slug=self.brand.slug, invite_id=invite.pk)


# --- a group page's invite commands -----------------------------------------------------------


class GroupInviteCreateView(GroupPage):
    """POST groups/<id>/invites/new/: a link (and QR code) to join the group."""

    http_method_names = ["post"]

    def post(self, request, group_id):
        group = group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        form = GroupInviteForm(request.POST, stores=self._stores(), auto_id="invite_%s")
        if form.is_valid():
            with form_errors(form) as outcome:
                invite = services.invite_link_create(brand=self.brand, actor=self.actor, group=group,
                                                     **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Invite link created."))
                return redirect("communities:invite_detail", slug=self.brand.slug, invite_id=invite.pk)
        return self.render_group(request, group, invite_form=form, status=400)


class GroupInviteRevokeView(_RevokeCommand, GroupPage):
    """POST groups/<id>/invites/revoke/: turn off one of the group's links."""

    http_method_names = ["post"]

    def post(self, request, group_id):
        group = group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        if self.revoke(request, group=group) is not None:
            return redirect("communities:group_detail", slug=self.brand.slug, group_id=group.pk)
        return self.render_group(request, group, status=400)
