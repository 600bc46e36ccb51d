import uuid

from django.db import models

from privtraffic.tenancy.models import BrandOwned


class Event(BrandOwned):
    """A change other parts care about, written in the same transaction as the change."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    relayed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # After a failure the sweep waits until then (exponential backoff), so an outage is ridden out.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["brand", "type", "created_at"], name="event_brand_type_created"),
            models.Index(
                fields=["created_at"], name="event_pending",
                condition=models.Q(relayed_at__isnull=True, failed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class EventReceipt(BrandOwned):
    """One subscriber has handled one event; the unique pair makes handling idempotent."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="receipts")
    subscriber = models.CharField(max_length=128)
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"], name="receipt_once_per_subscriber")]
        indexes = [models.Index(fields=["brand", "handled_at"], name="receipt_brand_handled")]
