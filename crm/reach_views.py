"""Contact policy settings (/b/<slug>/customers/contact-policy/) and the public one-tap opt-out page (/o/<token>/)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from privtraffic.tenancy.dashboard import BrandView, form_apply_error
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from . import reach
from .reach_forms import ContactPolicyForm


class ContactPolicyView(BrandView):
    permission = Perm.MANAGE_SETTINGS

    def get(self, request):
        policy = reach.contact_policy_get(brand=self.brand)
        form = ContactPolicyForm(initial={"quiet_hours_start": policy.quiet_hours_start,
                                          "quiet_hours_end": policy.quiet_hours_end,
                                          "weekly_promotion_budget": policy.weekly_promotion_budget})
        return self._render(request, form)

    def post(self, request):
        form = ContactPolicyForm(request.POST)
        if form.is_valid():
            try:
                reach.contact_policy_save(brand=self.brand, **form.cleaned_data)
            except ApplicationError as exc:
                form_apply_error(form, exc)
            else:
                messages.success(request, _("The contact policy was saved."))
                return redirect("crm:contact_policy", slug=self.brand.slug)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        return render(request, "crm/contact_policy.html", {"form": form, "time_zone": self.brand.time_zone},
                      status=status)


class PromotionsOptOutView(View):
    """No login: the signed link identifies the customer. GET asks (link previewers must not unsubscribe
    anyone); the one button POSTs."""

    def get(self, request, token: str):
        return self._render(request, token, done=False)

    def post(self, request, token: str):
        return self._render(request, token, done=True)

    def _render(self, request, token: str, *, done: bool):
        try:
            customer = reach.customer_from_opt_out_token(token)
        except ApplicationError:
            return render(request, "crm/opt_out.html", {"invalid": True}, status=404)
        if done:
            customer = reach.promotions_opt_out(customer=customer, source="opt_out_link")
        return render(request, "crm/opt_out.html", {"brand": customer.brand, "done": done,
                                                    "subscribed": customer.consent_promotions})
