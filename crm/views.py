"""Customer dashboard pages under /b/<slug>/customers/. Thin: parse a form, call one service, render.

Every customer is fetched through crm.selectors with the acting membership, so a rep sees only their
own customers and a store manager their store's; another brand's id (or one out of scope) is a 404.
"""


from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from privtraffic.tenancy.dashboard import BrandView, form_apply_error, reraise_access
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import query_int
from privtraffic.tenancy.roles import Perm, is_store_scoped
from privtraffic.tenancy.selectors import rep_list

from . import privacy, reach, selectors, services, timeline
from .forms import CustomerEraseForm, CustomerReassignForm, CustomersTransferForm
from .models import AuditLog, LifecycleStage
from .segments import selectors as segments

CUSTOMERS_PER_PAGE = 50
HISTORY_LIMIT = 10
# Exporting or erasing a person's data is for the brand's owners and admins.
PRIVACY_PERM = Perm.MANAGE_SETTINGS
# Moving customers between reps is team management: owners, admins, store managers (their store only).
REASSIGN_PERM = Perm.MANAGE_TEAM





class CustomerListView(BrandView):
    """Search (?q= name, email or phone), filters (?tag= name, ?segment= id, ?stage=) and pages of 50."""

    permission = Perm.VIEW_CUSTOMERS

    def get(self, request):
        segment_id = query_int(request, "segment")
        filters = {"q": request.GET.get("q", "").strip()[:100], "tag": request.GET.get("tag", "").strip()[:50],
                   "stage": request.GET.get("stage", "").strip(), "segment": "" if segment_id is None else str(segment_id)}
        if filters["stage"] not in LifecycleStage.values:
            filters["stage"] = ""
        customers = selectors.customer_list_filtered(
            brand=self.brand, actor=self.membership, search=filters["q"], tag=filters["tag"], stage=filters["stage"],
            segment_id=segment_id)
        context = {
            "page": Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page")),
            "q": filters["q"],
            "filters": filters,
            "filter_query": urlencode({k: v for k, v in filters.items() if v}),
            "tags": selectors.tag_list(brand=self.brand),
            "segments": segments.segment_list(brand=self.brand),
            "stages": LifecycleStage.choices,
            "can_transfer": self.can(REASSIGN_PERM),
            "can_policy": self.can(Perm.MANAGE_SETTINGS),
            # Same rule as crm.importing.customer_bulk_access_check: brand-wide roles only.
            "can_import": not is_store_scoped(self.membership.role),
        }
        return render(request, "crm/customers.html", context)


class _CustomerView(BrandView):
    permission = Perm.VIEW_CUSTOMERS

    def _customer(self, customer_id):
        return selectors.customer_get(brand=self.brand, customer_id=customer_id, actor=self.membership)

    def _reps(self):
        return rep_list(brand=self.brand, actor=self.membership).filter(is_active=True)

    def _render_detail(self, request, customer, *, reassign_form=None, status=200):
        can_reassign = self.can(REASSIGN_PERM)
        if can_reassign and reassign_form is None:
            reassign_form = CustomerReassignForm(reps=self._reps(), initial={"rep": customer.assigned_rep_id})
        # Reads through the reverse relations of crm's own models: crm does not import communities.
        groups = customer.group_memberships.filter(left_at__isnull=True).select_related("group").order_by("joined_at")
        history = AuditLog.objects.filter(brand=self.brand, customer=customer).select_related("actor")[:HISTORY_LIMIT]
        context = {
            "customer": customer,
            "promotion_reach": reach.customer_reach(brand=self.brand, customer=customer,
                                                    purpose=reach.Purpose.PROMOTIONAL),
            "timeline": timeline.customer_timeline(brand=self.brand, customer=customer),
            "groups": groups,
            "history": history,
            "reassign_form": reassign_form if can_reassign else None,
            "can_privacy": self.can(PRIVACY_PERM),
        }
        return render(request, "crm/customer_detail.html", context, status=status)


class CustomerDetailView(_CustomerView):
    """Profile, consents, groups; the reassign form, data download and erase for those allowed."""

    def get(self, request, customer_id):
        return self._render_detail(request, self._customer(customer_id))


class CustomerReassignView(_CustomerView):
    permission = REASSIGN_PERM

    def post(self, request, customer_id):
        customer = self._customer(customer_id)
        form = CustomerReassignForm(request.POST, reps=self._reps())
        if form.is_valid():
            rep = form.cleaned_data["rep"]
            try:
                services.customer_reassign(customer=customer, rep=rep, actor=self.membership)
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
            else:
                messages.success(request, _("%(name)s is now looked after by %(rep)s.")
                                 % {"name": customer.name, "rep": rep.user.display_name})
                return redirect("crm:customer_detail", slug=self.brand.slug, customer_id=customer.pk)
        return self._render_detail(request, customer, reassign_form=form, status=400)


class CustomerExportView(_CustomerView):
    """GET downloads everything held on the person as a JSON file (and is audited)."""

    permission = PRIVACY_PERM

    def get(self, request, customer_id):
        customer = self._customer(customer_id)
        data = privacy.customer_export(customer=customer, actor_user=request.user, actor_label="dashboard")
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
        response["Cache-Control"] = "no-store"
        return response


class CustomerEraseView(_CustomerView):
    """GET asks for confirmation; POST with the box ticked erases."""

    permission = PRIVACY_PERM

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
            privacy.customer_erase(customer=customer, actor_user=request.user, actor_label="dashboard")
            messages.success(request, _("The customer's personal data was erased."))
        return redirect("crm:customer_detail", slug=self.brand.slug, customer_id=customer.pk)


class CustomersTransferView(BrandView):
    """Move every customer of one rep (e.g. one who is leaving) to another."""

    permission = REASSIGN_PERM

    def _form(self, data=None):
        reps = rep_list(brand=self.brand, actor=self.membership)
        return CustomersTransferForm(data, from_reps=reps, to_reps=reps.filter(is_active=True))

    def get(self, request):
        initial_from = request.GET.get("from_rep", "")
        form = self._form()
        if initial_from.isdigit():
            form.initial["from_rep"] = int(initial_from)
        return render(request, "crm/customers_transfer.html", {"form": form})

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            from_rep, to_rep = form.cleaned_data["from_rep"], form.cleaned_data["to_rep"]
            try:
                moved = services.rep_customers_transfer(from_rep=from_rep, to_rep=to_rep, actor=self.membership)
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
            else:
                messages.success(request, ngettext(
                    "%(count)d customer moved from %(from)s to %(to)s.",
                    "%(count)d customers moved from %(from)s to %(to)s.", moved,
                ) % {"count": moved, "from": from_rep.user.display_name, "to": to_rep.user.display_name})
                return redirect("crm:customers_transfer", slug=self.brand.slug)
        return render(request, "crm/customers_transfer.html", {"form": form}, status=400)
