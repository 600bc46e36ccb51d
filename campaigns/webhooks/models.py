"""Outbound webhooks: a brand's endpoints and every delivery made to them (the delivery log).

An endpoint receives the brand's outbox events it subscribed to (`events`, "*" for all), each as one
WebhookDelivery signed per the Standard Webhooks spec. A delivery is the schedule of its own retries
(`next_attempt_at`, `attempts`): the dispatcher sends what is due, so a restart loses nothing.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.models import BrandOwned

__all__ = ["WebhookDelivery", "WebhookDeliveryStatus", "WebhookEndpoint"]


class WebhookEndpoint(BrandOwned):
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Event types (campaigns.webhooks.catalogue.EVENT_TYPES), or ["*"] for every one.
    events = models.JSONField(default=list)
    # `whsec_<base64>`: shown once (on creation and on rotation), kept to sign.
    secret = models.CharField(max_length=100)
    # After a rotation the previous secret signs alongside the new one until `previous_secret_expires_at`.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["brand", "active"], name="webhook_endpoint_brand_active")]

    def __str__(self) -> str:
        return self.url


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(BrandOwned):
    """One message to one endpoint: its body is fixed at creation, its attempts follow the retry schedule."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The outbox event (or, for a test message, a fresh id); `msg_id` is the `webhook-id` header, stable
    # across retries and redeliveries so receivers can deduplicate.
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    msg_id = models.CharField(max_length=64)
    body = models.TextField()
    # A manual redelivery is a new row pointing at the delivery it repeats.
    redelivery_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=WebhookDeliveryStatus.choices,
                              default=WebhookDeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when an attempt is claimed; only the holder of the claim records its outcome.
    claim = models.UUIDField(null=True, blank=True)
    # The last attempt: what was sent and what came back.
    request_headers = models.JSONField(default=dict, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One delivery per endpoint and outbox event, however often the relay repeats it.
            models.UniqueConstraint(fields=["endpoint", "event_id"], condition=Q(redelivery_of__isnull=True),
                                    name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["brand", "endpoint", "created_at"], name="webhook_delivery_endpoint"),
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_id}"
