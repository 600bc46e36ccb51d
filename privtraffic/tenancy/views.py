"""Dashboard pages of the tenancy core. Thin: parse a form, call one service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors, services
from .dashboard import BrandView, flash_errors, form_errors
from .forms import ApiKeyForm, BrandCreateForm, BrandSettingsForm, MemberInviteForm, MemberRoleForm, StoreForm
from .parsing import query_int
from .roles import ASSIGNABLE_ROLES, Perm, Role


@login_required
def brand_home(request):
    """/b/: straight to the only brand, a picker for several, or creating a first brand."""
    memberships = list(selectors.membership_list_for_user(user=request.user))
    form = BrandCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form) as outcome:
            brand = services.brand_create(owner=request.user, **form.cleaned_data)
        if outcome.ok:
            return redirect("tenancy:overview", slug=brand.slug)
    elif request.method == "GET" and len(memberships) == 1:
        return redirect("tenancy:overview", slug=memberships[0].brand.slug)
    return render(request, "tenancy/brand_home.html", {"memberships": memberships, "form": form})


class StoreListView(BrandView):
    permission = Perm.VIEW_DASHBOARD

    def get(self, request):
        return self._render(request, StoreForm())

    def post(self, request):
        form = StoreForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                store = services.store_create(brand=self.brand, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Store “%(name)s” created.") % {"name": store.name})
                return redirect("tenancy:stores", slug=self.brand.slug)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        context = {"stores": selectors.store_list(brand=self.brand), "form": form, "can_edit": self.can(Perm.MANAGE_STORES)}
        return render(request, "tenancy/stores.html", context, status=status)


class StoreEditView(BrandView):
    permission = Perm.MANAGE_STORES

    def get(self, request, store_id):
        store = selectors.store_get(brand=self.brand, store_id=store_id)
        return render(request, "tenancy/store_edit.html", {"store": store, "form": StoreForm.for_store(store)})

    def post(self, request, store_id):
        store = selectors.store_get(brand=self.brand, store_id=store_id)
        form = StoreForm.for_store(store, data=request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.store_update(store=store, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Store saved."))
                return redirect("tenancy:stores", slug=self.brand.slug)
        return render(request, "tenancy/store_edit.html", {"store": store, "form": form}, status=400)


class _TeamPage(BrandView):
    permission = Perm.VIEW_TEAM

    def _stores(self):
        return selectors.store_choices(brand=self.brand, actor=self.actor)


class TeamView(_TeamPage):
    def _invite_form(self, data=None):
        return MemberInviteForm(data, stores=self._stores(), roles=ASSIGNABLE_ROLES.get(self.membership.role, ()))

    def get(self, request):
        return self._render(request, self._invite_form())

    def post(self, request):
        form = self._invite_form(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                member = services.member_invite(brand=self.brand, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": member.user.email})
                return redirect("tenancy:team", slug=self.brand.slug)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        role = request.GET.get("role") or None
        store = query_int(request, "store")
        members = list(selectors.member_list(
            brand=self.brand, actor=self.actor, role=role, store_id=store
        ))
        context = {"members": members, "no_reps": not any(m.role == Role.REP for m in members), "form": form, "can_manage": self.can(Perm.MANAGE_TEAM), "role_filter": role}
        return render(request, "tenancy/team.html", context, status=status)


class MemberPage(_TeamPage):
    permission = Perm.MANAGE_TEAM

    def _role_form(self, member, data=None):
        return MemberRoleForm(
            data, stores=self._stores(), roles=ASSIGNABLE_ROLES.get(self.membership.role, ()),
            initial={"role": member.role, "store": member.store_id},
        )

    def _member(self, member_id):
        return selectors.member_get(brand=self.brand, membership_id=member_id, actor=self.actor)


class MemberEditView(MemberPage):
    """A team member's role and store; deactivating and reactivating have their own routes."""

    def get(self, request, member_id):
        member = self._member(member_id)
        return render(request, "tenancy/member_edit.html", {"member": member, "form": self._role_form(member)})

    def post(self, request, member_id):
        member = self._member(member_id)
        form = self._role_form(member, data=request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.member_update(membership=member, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Role saved."))
                return redirect("tenancy:team", slug=self.brand.slug)
        return render(request, "tenancy/member_edit.html", {"member": member, "form": form}, status=400)


class _MemberSetActiveView(MemberPage):
    http_method_names = ["post"]
    active: bool

    def post(self, request, member_id):
        member = self._member(member_id)
        form = self._role_form(member)
        with form_errors(form) as outcome:
            services.member_set_active(membership=member, actor=self.actor, active=self.active)
        if outcome.ok:
            messages.success(request, _("Team member updated."))
            return redirect("tenancy:team", slug=self.brand.slug)
        return render(request, "tenancy/member_edit.html", {"member": member, "form": form}, status=400)


class MemberDeactivateView(_MemberSetActiveView):
    active = False


class MemberReactivateView(_MemberSetActiveView):
    active = True


class SettingsPage(BrandView):
    permission = Perm.MANAGE_SETTINGS

    def _render(self, request, brand_form=None, key_form=None, new_key=None, status=200):
        brand_form = brand_form or BrandSettingsForm.for_brand(self.brand)
        key_form = key_form or ApiKeyForm()
        context = {
            "brand_form": brand_form,
            "key_form": key_form,
            "new_key": new_key,
            "can_manage_keys": self.can(Perm.MANAGE_API_KEYS),
            "api_keys": selectors.api_key_list(brand=self.brand) if self.can(Perm.MANAGE_API_KEYS) else [],
            "api_docs_url": reverse("api-docs"),
        }
        return render(request, "tenancy/settings.html", context, status=status)


class SettingsView(SettingsPage):
    """The brand's settings; the API keys section posts to its own routes below."""

    def get(self, request):
        return self._render(request)

    def post(self, request):
        brand_form = BrandSettingsForm.for_brand(self.brand, data=request.POST, files=request.FILES)
        if brand_form.is_valid():
            with form_errors(brand_form) as outcome:
                changes = {k: v for k, v in brand_form.cleaned_data.items() if k not in ("logo", "color") or v}
                services.brand_update(brand=self.brand, actor=self.actor, **changes)
            if outcome.ok:
                messages.success(request, _("Settings saved."))
                return redirect("tenancy:settings", slug=self.brand.slug)
        return self._render(request, brand_form=brand_form, status=400)


class ApiKeyCreateView(SettingsPage):
    http_method_names = ["post"]

    def post(self, request):
        key_form = ApiKeyForm(request.POST)
        if key_form.is_valid():
            with form_errors(key_form) as outcome:
                _api_key, new_key = services.api_key_create(
                    brand=self.brand, actor=self.actor, name=key_form.cleaned_data["name"]
                )
            if outcome.ok:
                # The full key is shown on this response only; it is never stored.
                return self._render(request, new_key=new_key)
        return self._render(request, key_form=key_form, status=400)


class ApiKeyRevokeView(SettingsPage):
    http_method_names = ["post"]

    def post(self, request):
        api_key = selectors.api_key_get(brand=self.brand, api_key_id=request.POST.get("key_id"))
        with flash_errors(request) as outcome:
            services.api_key_revoke(api_key=api_key, actor=self.actor)
        if not outcome.ok:
            return self._render(request, status=400)
        messages.success(request, _("Key %(prefix)s revoked.") % {"prefix": api_key.prefix})
        return redirect("tenancy:settings", slug=self.brand.slug)
