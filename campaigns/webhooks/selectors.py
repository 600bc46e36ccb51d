"""Reads of webhook endpoints and their delivery log; each takes the brand first."""

from django.db.models import QuerySet

from privtraffic.tenancy.selectors import brand_get_object

from .catalogue import EVENT_TYPES, wants
from .models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, brand) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(brand=brand).order_by("-created_at", "-id")


def webhook_endpoint_get(*, brand, endpoint_id) -> WebhookEndpoint:
    return brand_get_object(WebhookEndpoint.objects.all(), brand=brand, what="webhook", pk=endpoint_id)


def webhook_delivery_list(*, brand, endpoint: WebhookEndpoint, status: str | None = None) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.filter(brand=brand, endpoint=endpoint)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-created_at", "-id")


def webhook_delivery_get(*, brand, endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    return brand_get_object(WebhookDelivery.objects.filter(endpoint=endpoint), brand=brand, what="delivery",
                            pk=delivery_id)


def webhook_endpoints_want(brand_id: int, event_type: str) -> bool:
    """Does any active endpoint of the brand want this event type? (The outbox relay asks before handing an
    event over, so brands without webhooks keep the bulk relay's one UPDATE per chunk.)"""
    if event_type not in EVENT_TYPES:
        return False
    return any(wants(events, event_type) for events in
               WebhookEndpoint.objects.filter(brand_id=brand_id, active=True).values_list("events", flat=True))
