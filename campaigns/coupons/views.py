"""The coupons pages: the list, create and edit, and a coupon's page with its claims and redemptions.
Thin: parse the form, call campaigns.coupons.services, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, flash_errors, form_errors
from privtraffic.tenancy.parsing import query_choice, query_int
from privtraffic.tenancy.roles import Perm

from ..authoring.selectors import campaign_list
from . import display, selectors, services
from .forms import CouponForm, initial_from

PAGE_SIZE = 50
DETAIL_ROWS = 100
CAMPAIGN_CHOICES = 200
# Coupons are marketing work: owners, admins, marketers.
COUPON_PERM = Perm.MANAGE_CAMPAIGNS


def _row(coupon, tz) -> dict:
    state = display.coupon_state(coupon)
    return {"coupon": coupon, "discount": display.coupon_discount(coupon), "minimum": display.coupon_minimum(coupon),
            "validity": display.coupon_validity(coupon, tz), "state": state,
            "state_label": display.coupon_state_label(state)}


class CouponListView(BrandView):
    permission = COUPON_PERM

    def get(self, request):
        status = query_choice(request, "status", selectors.STATUSES)
        page = Paginator(selectors.coupon_list(brand=self.brand, status=status), PAGE_SIZE).get_page(
            query_int(request, "page", minimum=1) or 1)
        rows = [_row(c, self.brand.tzinfo) for c in page.object_list]
        return render(request, "campaigns/coupons/list.html", {
            "rows": rows, "page": page, "status": status or "",
            "statuses": [("active", _("Active")), ("ended", _("Ended"))],
            "any_coupon": bool(rows) or status is not None})


class _FormMixin:
    def _form(self, data=None, initial=None) -> CouponForm:
        campaigns = campaign_list(brand=self.brand).select_related(None).only("id", "name")[:CAMPAIGN_CHOICES]
        return CouponForm(data, initial=initial, tz=self.brand.tzinfo, campaigns=campaigns)

    def _render(self, request, form, coupon=None, status=200):
        return render(request, "campaigns/coupons/form.html", {
            "form": form, "coupon": coupon, "tz_name": self.brand.time_zone}, status=status)


class CouponCreateView(_FormMixin, BrandView):
    permission = COUPON_PERM

    def get(self, request):
        return self._render(request, self._form(initial={"currency": self.brand.default_currency}))

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                coupon = services.coupon_create(brand=self.brand, actor=self.actor, **form.service_fields())
            if outcome.ok:
                messages.success(request, _("Coupon “%(title)s” created.") % {"title": coupon.title})
                return redirect("coupons:detail", slug=self.brand.slug, coupon_id=coupon.pk)
        return self._render(request, form, status=400)


class CouponEditView(_FormMixin, BrandView):
    permission = COUPON_PERM

    def get(self, request, coupon_id):
        coupon = selectors.coupon_get(brand=self.brand, coupon_id=coupon_id)
        return self._render(request, self._form(initial=initial_from(coupon, self.brand.tzinfo)), coupon)

    def post(self, request, coupon_id):
        coupon = selectors.coupon_get(brand=self.brand, coupon_id=coupon_id)
        form = self._form(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                coupon = services.coupon_update(coupon=coupon, actor=self.actor, **form.service_fields())
            if outcome.ok:
                messages.success(request, _("Saved."))
                return redirect("coupons:detail", slug=self.brand.slug, coupon_id=coupon.pk)
        return self._render(request, form, coupon, status=400)


class CouponDetailView(BrandView):
    """The coupon, who claimed it and who redeemed it (when, with which order)."""

    permission = COUPON_PERM

    def get(self, request, coupon_id):
        coupon = selectors.coupon_get(brand=self.brand, coupon_id=coupon_id)
        claims = list(selectors.coupon_claim_list(brand=self.brand, coupon=coupon)[:DETAIL_ROWS])
        redemptions = list(selectors.coupon_redemption_list(brand=self.brand, coupon=coupon)[:DETAIL_ROWS])
        return render(request, "campaigns/coupons/detail.html", {
            "coupon": coupon, "row": _row(coupon, self.brand.tzinfo), "claims": claims, "redemptions": redemptions,
            "limit": DETAIL_ROWS})


class CouponDeactivateView(BrandView):
    permission = COUPON_PERM

    def post(self, request, coupon_id):
        coupon = selectors.coupon_get(brand=self.brand, coupon_id=coupon_id)
        with flash_errors(request) as outcome:
            services.coupon_deactivate(coupon=coupon, actor=self.actor)
        if outcome.ok:
            messages.success(request, _("The coupon has ended: nobody can claim or redeem it any more."))
        return redirect("coupons:detail", slug=self.brand.slug, coupon_id=coupon.pk)
