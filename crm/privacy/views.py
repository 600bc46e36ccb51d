"""The customer's data download and erasure pages (/b/<slug>/customers/<id>/export/ and /erase/)."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView

from ..customers.selectors import customer_get
from . import services
from .forms import CustomerEraseForm


class _PrivacyView(BrandView):
    permission = services.PRIVACY_PERM

    def _customer(self, customer_id):
        return customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)


class CustomerExportView(_PrivacyView):
    """GET downloads everything held on the person as a JSON file (and is audited)."""

    def get(self, request, customer_id):
        customer = self._customer(customer_id)
        data = services.customer_export(customer=customer, actor=self.actor)
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
        response["Cache-Control"] = "no-store"
        return response


class CustomerEraseView(_PrivacyView):
    """GET asks for confirmation; POST with the box ticked erases."""

    def get(self, request, customer_id):
        customer = self._customer(customer_id)
        return render(request, "crm/customer_erase.html", {"customer": customer, "form": CustomerEraseForm()})

    def post(self, request, customer_id):
        customer = self._customer(customer_id)
        form = CustomerEraseForm(request.POST)
        if not form.is_valid():
            return render(request, "crm/customer_erase.html", {"customer": customer, "form": form}, status=400)
        if customer.erased_at is not None:
            messages.info(request, _("This customer's data was already erased."))
        else:
            services.customer_erase(customer=customer, actor=self.actor)
            messages.success(request, _("The customer's personal data was erased."))
        return redirect("crm:customer_detail", slug=self.brand.slug, customer_id=customer.pk)
