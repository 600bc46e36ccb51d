"""What events add to crm's customer features (registered from CampaignsConfig.ready()): a customer's RSVPs in
their data export and on their timeline, and, when they are erased, their seats and places in line given up
(the waitlist moves up as usual); past attendance stays, under the anonymised name."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.privacy.registry import erase_step, export_section, export_time
from crm.profile.timeline import TimelineEntry, timeline_source

from .models import Rsvp, RsvpStatus
from .services import event_rsvp_cancel


@export_section("event_rsvps")
def export_rsvps(customer: Customer) -> list[dict[str, Any]]:
    rows = Rsvp.objects.filter(brand_id=customer.brand_id, customer=customer).select_related("event").order_by(
        "created_at", "id")
    return [{"event": {"id": r.event_id, "title": r.event.title, "starts_at": export_time(r.event.starts_at)},
             "status": r.status, "waitlist_position": r.waitlist_position, "created_at": export_time(r.created_at),
             "checked_in_at": export_time(r.checked_in_at), "cancelled_at": export_time(r.cancelled_at)}
            for r in rows]


@timeline_source("events.rsvps")
def rsvp_timeline(customer: Customer, limit: int) -> list[TimelineEntry]:
    rows = (Rsvp.objects.filter(brand_id=customer.brand_id, customer=customer).select_related("event")
            .order_by("-created_at")[:limit])
    entries = []
    for r in rows:
        if r.status == RsvpStatus.CHECKED_IN:
            title = _("Checked in at %(title)s") % {"title": r.event.title}
        else:
            title = _("RSVP to %(title)s") % {"title": r.event.title}
        entries.append(TimelineEntry(r.checked_in_at or r.created_at, "event", title, r.get_status_display()))
    return entries


@erase_step("events")
def erase_rsvps(customer: Customer, actor) -> None:
    upcoming = Rsvp.objects.filter(brand_id=customer.brand_id, customer=customer, event__starts_at__gt=timezone.now(),
                                   status__in=[RsvpStatus.GOING, RsvpStatus.WAITLISTED]).select_related("event")
    for rsvp in upcoming:
        event_rsvp_cancel(actor=actor, event=rsvp.event, customer=customer)
