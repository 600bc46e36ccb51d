"""Reads of group-buys; each takes the brand first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from crm.models import Customer, Product
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import is_int

from .models import GroupBuy, GroupBuyParticipant


def group_buy_list(brand: Brand, *, status: str = "") -> QuerySet[GroupBuy]:
    qs = GroupBuy.objects.filter(brand=brand).select_related("product")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def group_buy_get(brand: Brand | int, *, group_buy_id: int) -> GroupBuy | None:
    brand_id = brand if isinstance(brand, int) else brand.pk
    if not is_int(group_buy_id, minimum=1):  # beyond 64 bits, or not a whole number: none
        return None
    return GroupBuy.objects.select_related("brand", "product").filter(brand_id=brand_id, pk=group_buy_id).first()


def group_buy_brand_id(group_buy_id: int) -> int | None:
    """The brand of a group-buy (for the card registry's `brand_of`); None when there is none."""
    return GroupBuy.objects.filter(pk=group_buy_id).values_list("brand_id", flat=True).first()


def participant_of(brand: Brand | int, *, group_buy: GroupBuy, customer: Customer) -> GroupBuyParticipant | None:
    brand_id = brand if isinstance(brand, int) else brand.pk
    return GroupBuyParticipant.objects.filter(brand_id=brand_id, group_buy=group_buy, customer=customer).first()


def participant_by_referral_code(*, code: str) -> GroupBuyParticipant | None:
    """The participant whose referral link this is (any brand: the code itself names it); None when unknown."""
    if not code or len(code) > 24:
        return None
    return (GroupBuyParticipant.objects.select_related("brand", "group_buy", "group_buy__product", "customer")
            .filter(referral_code=code).first())


def participant_list(brand: Brand, *, group_buy: GroupBuy) -> QuerySet[GroupBuyParticipant]:
    return (GroupBuyParticipant.objects.filter(brand=brand, group_buy=group_buy)
            .select_related("customer", "referred_by__customer").order_by("joined_at", "id"))


@dataclass(frozen=True)
class ReferrerRow:
    participant: GroupBuyParticipant
    referrals: int
    new_customers: int


def referrers_of(brand: Brand, *, group_buy: GroupBuy, limit: int = 100) -> list[ReferrerRow]:
    """Participants who brought others, most first: how many joined by their link, and how many of those were
    new to the brand. One grouped query over the referrer index."""
    rows = (GroupBuyParticipant.objects.filter(brand=brand, group_buy=group_buy, referrals__isnull=False)
            .annotate(n=Count("referrals"), new=Count("referrals", filter=Q(referrals__new_customer=True)))
            .select_related("customer").order_by("-n", "id")[:limit])
    return [ReferrerRow(participant=p, referrals=p.n, new_customers=p.new) for p in rows]


def product_choices(brand: Brand) -> QuerySet[Product]:
    return Product.objects.filter(brand=brand, active=True).order_by("name", "id")


def product_for(brand: Brand, *, product_id: int) -> Product | None:
    return Product.objects.filter(brand=brand, pk=product_id).first()
