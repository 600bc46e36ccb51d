"""What coupons hand crm, registered from CampaignsConfig.ready(): claims and redemptions on the customer's
timeline, and in their data export."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from crm.models import Customer
from crm.privacy.registry import export_section, export_time
from crm.profile.timeline import TimelineEntry, timeline_source

from ..models import CouponClaim, CouponRedemption


@timeline_source("campaigns.coupons")
def coupon_timeline(customer: Customer, limit: int) -> list[TimelineEntry]:
    """One query per kind: the newest claims and the newest redemptions."""
    redemptions = (CouponRedemption.objects.filter(brand_id=customer.brand_id, customer=customer)
                   .select_related("coupon", "order").order_by("-redeemed_at", "-id")[:limit])
    claims = (CouponClaim.objects.filter(brand_id=customer.brand_id, customer=customer)
              .select_related("coupon").order_by("-claimed_at", "-id")[:limit])
    entries = [TimelineEntry(r.redeemed_at, "coupon", _("Redeemed the coupon %(title)s") % {"title": r.coupon.title},
                             (_("Code %(code)s, order %(order)s") % {"code": r.code, "order": r.order.external_id})
                             if r.order_id else _("Code %(code)s") % {"code": r.code}) for r in redemptions]
    entries += [TimelineEntry(c.claimed_at, "coupon", _("Got the coupon %(title)s") % {"title": c.coupon.title},
                              _("Code %(code)s") % {"code": c.code}) for c in claims]
    return entries


@export_section("coupons")
def export_coupons(customer: Customer) -> dict[str, Any]:
    claims = (CouponClaim.objects.filter(brand_id=customer.brand_id, customer=customer).select_related("coupon")
              .order_by("claimed_at", "id"))
    redemptions = (CouponRedemption.objects.filter(brand_id=customer.brand_id, customer=customer)
                   .order_by("redeemed_at", "id"))
    return {
        "claims": [{"coupon": c.coupon_id, "title": c.coupon.title, "code": c.code,
                    "claimed_at": export_time(c.claimed_at), "redemptions": c.redemptions_count} for c in claims],
        "redemptions": [{"coupon": r.coupon_id, "code": r.code, "order": r.order_id,
                         "redeemed_at": export_time(r.redeemed_at)} for r in redemptions],
    }
