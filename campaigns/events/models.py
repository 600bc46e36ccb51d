"""Community events (a running club, a skincare class) and the customers' RSVPs.

Named CommunityEvent, never "Event": privtraffic.events is the outbox. Seats are a counter on the event
(`seats_taken`), taken and given back by conditional UPDATEs, never read-then-write; the waitlist is ordered
by `waitlist_position`, handed out by the event's own counter (`waitlist_seq`) under the same row lock, so
1,000 concurrent RSVPs to 100 seats give exactly 100 going and 900 waitlisted 1..900.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from communities.models import VipGroup
from crm.models import Customer
from privtraffic.tenancy.models import BrandOwned, Membership, Store

__all__ = ["CommunityEvent", "EventStatus", "Rsvp", "RsvpStatus"]


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Open for RSVPs")
    CANCELLED = "cancelled", _("Cancelled")


class CommunityEvent(BrandOwned):
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("seats"))
    # Counters moved only by conditional UPDATEs (campaigns/events/services.py).
    seats_taken = models.PositiveIntegerField(default=0)
    waitlist_seq = models.PositiveIntegerField(default=0)  # the last waitlist position handed out
    group = models.ForeignKey(VipGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("group"))
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store"))
    status = models.CharField(_("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.PUBLISHED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(seats_taken__lte=F("capacity")), name="event_seats_within_capacity"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["brand", "starts_at"], name="event_brand_starts"),
            # The reminder scan across brands: published events starting soon.
            models.Index(fields=["status", "starts_at"], name="event_status_starts"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


class RsvpStatus(models.TextChoices):
    GOING = "going", _("Going")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")
    CHECKED_IN = "checked_in", _("Checked in")


class Rsvp(BrandOwned):
    """One customer's answer to one event. `checkin_code` (random, unique in the brand) is what their phone
    shows at the door, as text and as a QR code."""

    event = models.ForeignKey(CommunityEvent, on_delete=models.CASCADE, related_name="rsvps")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="event_rsvps")
    status = models.CharField(max_length=10, choices=RsvpStatus.choices)
    waitlist_position = models.PositiveIntegerField(null=True, blank=True)
    checkin_code = models.CharField(max_length=16)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    promoted_at = models.DateTimeField(null=True, blank=True)  # moved from the waitlist to a seat
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Reminder bookkeeping: set in the same transaction that writes the reminder (or when it is not needed).
    reminded_day_at = models.DateTimeField(null=True, blank=True)
    reminded_hour_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "customer"], name="rsvp_once_per_customer"),
            models.UniqueConstraint(fields=["brand", "checkin_code"], name="rsvp_unique_checkin_code"),
            models.UniqueConstraint(fields=["event", "waitlist_position"], name="rsvp_unique_waitlist_position",
                                    condition=Q(waitlist_position__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["event", "status", "waitlist_position"], name="rsvp_event_status_position"),
            models.Index(fields=["brand", "customer"], name="rsvp_brand_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} at {self.event_id}: {self.status}"
