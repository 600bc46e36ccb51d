"""Contact policy settings (/b/<slug>/customers/contact-policy/) and the public one-tap opt-out page (/o/<token>/)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from . import selectors, services
from .forms import ContactPolicyForm


class ContactPolicyView(BrandView):
    permission = Perm.MANAGE_SETTINGS

    def get(self, request):
        policy = selectors.contact_policy_get(brand=self.brand)
        form = ContactPolicyForm(initial={"quiet_hours_start": policy.quiet_hours_start,
                                          "quiet_hours_end": policy.quiet_hours_end,
                                          "weekly_promotion_budget": policy.weekly_promotion_budget})
        return self._render(request, form)

    def post(self, request):
        form = ContactPolicyForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.contact_policy_save(brand=self.brand, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("The contact policy was saved."))
                return redirect("crm:contact_policy", slug=self.brand.slug)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        return render(request, "crm/contact_policy.html", {"form": form, "time_zone": self.brand.time_zone},
                      status=status)


class PromotionsOptOutView(CustomerPageView):
    """No login: the signed link identifies the customer. GET asks (link previewers must not unsubscribe
    anyone); the one button POSTs. A link that does not work gets its own page (404), which suggests STOP."""

    login_required = False

    def resolve(self, request, *, token: str) -> CustomerScope:
        try:
            customer = selectors.customer_from_opt_out_token(token)
        except ApplicationError:
            return CustomerScope(extra={"invalid": True})
        return CustomerScope(brand=customer.brand, customer=customer)

    def get(self, request, token: str):
        return self._render(request, done=False)

    def post(self, request, token: str):
        return self._render(request, done=True)

    def _render(self, request, *, done: bool):
        if self.scope.extra.get("invalid"):
            return render(request, "crm/opt_out.html", {"invalid": True}, status=404)
        customer = self.customer
        if done:
            customer = services.promotions_opt_out(customer=customer, actor=CustomerActor(customer),
                                                   source="opt_out_link")
        return render(request, "crm/opt_out.html", {"brand": customer.brand, "done": done,
                                                    "subscribed": customer.consent_promotions})
