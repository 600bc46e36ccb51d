"""Reads of coupons: the list, one coupon, its claims and redemptions, what a card or a picker shows."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import Coupon, CouponClaim, CouponRedemption

STATUSES = ("active", "ended")


def coupon_list(*, brand: Brand, status: str | None = None, search: str = "") -> QuerySet[Coupon]:
    """Newest first. status: active (on and not past its end), ended (deactivated or past its end)."""
    coupons = Coupon.objects.filter(brand=brand).select_related("campaign")
    live = Q(active=True) & (Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()))
    if status == "active":
        coupons = coupons.filter(live)
    elif status == "ended":
        coupons = coupons.exclude(live)
    if search:
        coupons = coupons.filter(Q(title__icontains=search) | Q(code__icontains=search))
    return coupons


def coupon_get(*, brand: Brand, coupon_id) -> Coupon:
    return brand_get_object(Coupon.objects.select_related("campaign"), brand=brand, what="coupon", pk=coupon_id)


def coupon_choices(*, brand_id: int, ref: int | None = None) -> list[tuple[int, str]]:
    """The brand's coupons a rep or a marketer can send now, as (id, title): active, not past their end.
    With `ref`, that coupon alone (or nothing)."""
    now = timezone.now()
    coupons = Coupon.objects.filter(brand_id=brand_id, active=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    if ref is not None:
        coupons = coupons.filter(pk=ref)
    return list(coupons.order_by("-created_at", "-id").values_list("id", "title")[:200])


def coupon_claim_list(*, brand: Brand, coupon: Coupon) -> QuerySet[CouponClaim]:
    return CouponClaim.objects.filter(brand=brand, coupon=coupon).select_related("customer")


def coupon_redemption_list(*, brand: Brand, coupon: Coupon | None = None) -> QuerySet[CouponRedemption]:
    redemptions = CouponRedemption.objects.filter(brand=brand).select_related("customer", "order", "coupon")
    if coupon is not None:
        redemptions = redemptions.filter(coupon=coupon)
    return redemptions


def coupon_redemption_count_for_campaign(*, brand: Brand, campaign_id: int, card_ref=None) -> int:
    """Redemptions of a campaign's coupons: those made for it, and the coupon its card carries."""
    which = Q(coupon__campaign_id=campaign_id)
    if isinstance(card_ref, int) and not isinstance(card_ref, bool):
        which |= Q(coupon_id=card_ref)
    return CouponRedemption.objects.filter(which, brand=brand).count()
