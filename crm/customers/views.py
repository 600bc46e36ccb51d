"""Customer dashboard pages under /b/<slug>/customers/. Thin: parse a form, call one service, render.

Every customer is fetched through crm.customers.selectors with the acting membership, so a rep sees only
their own customers and a store manager their store's; another brand's id (or one out of scope) is a 404.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.parsing import is_int, query_choice, query_int
from privtraffic.tenancy.roles import Perm, Role, is_store_scoped
from privtraffic.tenancy.selectors import member_list, rep_list, store_choices

from ..analytics.selectors import PERIOD_DAYS, period_start
from ..consent.selectors import Purpose, customer_reach
from ..models import LifecycleStage
from ..privacy.services import PRIVACY_PERM
from ..profile.selectors import tag_list
from ..profile.timeline import customer_timeline
from ..segments import selectors as segments
from . import selectors, services
from .forms import CustomerReassignForm, CustomersTransferForm
from .sources import customer_source_detail

CUSTOMERS_PER_PAGE = 50
REASSIGN_PERM = services.REASSIGN_PERM


class CustomerListView(BrandView):
    """Search (?q= name, email or phone), filters (?tag= name, ?segment= id, ?stage=) and pages of 50."""

    permission = Perm.VIEW_CUSTOMERS

    def get(self, request):
        segment_id = query_int(request, "segment")
        filters = {"q": request.GET.get("q", "").strip()[:100], "tag": request.GET.get("tag", "").strip()[:50],
                   "stage": request.GET.get("stage", "").strip(), "segment": "" if segment_id is None else str(segment_id)}
        if filters["stage"] not in LifecycleStage.values:
            filters["stage"] = ""
        customers = segments.customer_list_filtered(
            brand=self.brand, actor=self.actor, search=filters["q"], tag=filters["tag"], stage=filters["stage"],
            segment_id=segment_id)
        drill = self._drill_filters(request)
        if drill:
            customers = selectors.customer_list_narrow(customers, brand=self.brand, **self._drill_lookups(drill))
            filters.update({k: str(v) for k, v in drill.items()})
        context = {
            "page": Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page")),
            "q": filters["q"],
            "filters": filters,
            "filter_query": urlencode({k: v for k, v in filters.items() if v}),
            "tags": tag_list(brand=self.brand),
            "segments": segments.segment_list(brand=self.brand),
            "stages": LifecycleStage.choices,
            "drill": self._drill_labels(drill),
            "drill_hidden": drill,
            "can_transfer": self.can(REASSIGN_PERM),
            "can_policy": self.can(Perm.MANAGE_SETTINGS),
            # Same rule as crm.imports.services.customers_bulk_authorize: brand-wide roles only.
            "can_import": not is_store_scoped(self.membership.role),
        }
        return render(request, "crm/customers.html", context)


    def _drill_filters(self, request) -> dict:
        """The overview's drill-down filters (?joined_days=30&via=invite&surveyed=1&ordered=1&rep=&store=...)."""
        drill = {
            "joined_days": query_choice(request, "joined_days", PERIOD_DAYS),
            "active_days": query_choice(request, "active_days", PERIOD_DAYS),
            "via": query_choice(request, "via", ("invite",)),
            "surveyed": query_choice(request, "surveyed", ("1",)),
            "ordered": query_choice(request, "ordered", ("1",)),
            "rep": query_int(request, "rep"),
            "store": query_int(request, "store"),
        }
        return {k: v for k, v in drill.items() if v is not None}

    def _drill_lookups(self, drill: dict) -> dict:
        days = {k: period_start(self.brand, int(drill[k])) for k in ("joined_days", "active_days") if k in drill}
        return {"joined_since": days.get("joined_days"), "active_since": days.get("active_days"),
                "via_invite": "via" in drill, "surveyed": "surveyed" in drill, "ordered": "ordered" in drill,
                "rep_id": drill.get("rep"), "store_id": drill.get("store")}

    def _drill_labels(self, drill: dict) -> list[str]:
        labels = []
        for key in ("joined_days", "active_days"):
            if key in drill:
                n = int(drill[key])
                text = (ngettext("joined in the last %(n)d day", "joined in the last %(n)d days", n) if key == "joined_days"
                        else ngettext("active in the last %(n)d day", "active in the last %(n)d days", n))
                labels.append(text % {"n": n})
        if "via" in drill:
            labels.append(_("came through an invite link"))
        if "surveyed" in drill:
            labels.append(_("answered a survey"))
        if "ordered" in drill:
            labels.append(_("ordered"))
        if "rep" in drill:
            rep = member_list(brand=self.brand, actor=self.actor).filter(pk=drill["rep"]).first()
            labels.append(_("looked after by %(rep)s") % {"rep": rep.user.display_name if rep else "?"})
        if "store" in drill:
            store = store_choices(brand=self.brand, actor=self.actor).filter(pk=drill["store"]).first()
            labels.append(_("of %(store)s") % {"store": store.name if store else "?"})
        return labels


class _CustomerView(BrandView):
    permission = Perm.VIEW_CUSTOMERS

    def _customer(self, customer_id):
        return selectors.customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)

    def _reps(self):
        return member_list(brand=self.brand, actor=self.actor, role=Role.REP, include_inactive=False)

    def _render_detail(self, request, customer, *, reassign_form=None, status=200):
        can_reassign = self.can(REASSIGN_PERM)
        if can_reassign and reassign_form is None:
            reassign_form = CustomerReassignForm(reps=self._reps(), initial={"rep": customer.assigned_rep_id})
        context = {
            "customer": customer,
            "promotion_reach": customer_reach(brand=self.brand, customer=customer, purpose=Purpose.PROMOTIONAL),
            "timeline": customer_timeline(brand=self.brand, customer=customer),
            "source_detail": customer_source_detail(brand=self.brand, customer=customer),
            "groups": selectors.customer_group_memberships(brand=self.brand, customer=customer),
            "history": selectors.customer_audit_history(brand=self.brand, customer=customer),
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
            with form_errors(form) as outcome:
                services.customer_reassign(customer=customer, rep=rep, actor=self.actor)
            if outcome.ok:
                messages.success(request, _("%(name)s is now looked after by %(rep)s.")
                                 % {"name": customer.name, "rep": rep.user.display_name})
                return redirect("crm:customer_detail", slug=self.brand.slug, customer_id=customer.pk)
        return self._render_detail(request, customer, reassign_form=form, status=400)


class CustomersTransferView(BrandView):
    """Move every customer of one rep (e.g. one who is leaving) to another."""

    permission = REASSIGN_PERM

    def _form(self, data=None):
        return CustomersTransferForm(data, from_reps=rep_list(brand=self.brand, actor=self.actor),
                                     to_reps=member_list(brand=self.brand, actor=self.actor, role=Role.REP,
                                                         include_inactive=False))

    def get(self, request):
        initial_from = request.GET.get("from_rep", "")
        form = self._form()
        if is_int(initial_from):
            form.initial["from_rep"] = int(initial_from)
        return render(request, "crm/customers_transfer.html", {"form": form})

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            from_rep, to_rep = form.cleaned_data["from_rep"], form.cleaned_data["to_rep"]
            with form_errors(form) as outcome:
                moved = services.rep_customers_transfer(from_rep=from_rep, to_rep=to_rep, actor=self.actor)
            if outcome.ok:
                messages.success(request, ngettext(
                    "%(count)d customer moved from %(from)s to %(to)s.",
                    "%(count)d customers moved from %(from)s to %(to)s.", moved,
                ) % {"count": moved, "from": from_rep.user.display_name, "to": to_rep.user.display_name})
                return redirect("crm:customers_transfer", slug=self.brand.slug)
        return render(request, "crm/customers_transfer.html", {"form": form}, status=400)
