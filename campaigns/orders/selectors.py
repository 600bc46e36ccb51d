"""Reads of order attribution and order cards; each takes `brand` first."""

from django.db.models import Q, QuerySet

from privtraffic.tenancy.models import Brand

from ..models import Campaign
from .models import OrderAttribution, OrderNotice


def customer_order_attributions(brand: Brand | int, *, customer_id: int, limit: int) -> list[OrderAttribution]:
    """The customer's orders credited to a campaign or a coupon, newest first (the profile's timeline)."""
    return list(OrderAttribution.objects.filter(brand=brand, order__customer_id=customer_id)
                .filter(Q(campaign__isnull=False) | Q(coupon__isnull=False))
                .select_related("order", "campaign").order_by("-order__placed_at", "-id")[:limit])


def campaign_order_attributions(brand: Brand, *, campaign: Campaign, limit: int = 50) -> QuerySet[OrderAttribution]:
    """The orders persisted as attributed to this campaign (last touch when each order was created)."""
    return (OrderAttribution.objects.filter(brand=brand, campaign=campaign)
            .select_related("order__customer", "order__rep__user", "order__store")
            .order_by("-order__placed_at", "-id")[:limit])


def order_notices(brand: Brand, *, order_id: int) -> QuerySet[OrderNotice]:
    return OrderNotice.objects.filter(brand=brand, order_id=order_id).order_by("created_at", "id")
