"""Reads of events and RSVPs; each takes the brand first (a Brand or its id)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from crm.models import Customer
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand

from .models import CommunityEvent, Rsvp, RsvpStatus


def _brand_id(brand: Brand | int) -> int:
    return brand if isinstance(brand, int) else brand.pk


def event_brand_id(event_id: int) -> int | None:
    """The brand of an event id (the card registry's brand_of): None when there is no such event."""
    return CommunityEvent.objects.filter(pk=event_id).values_list("brand_id", flat=True).first()


def event_list(brand: Brand | int, *, upcoming: bool | None = None) -> QuerySet[CommunityEvent]:
    qs = CommunityEvent.objects.filter(brand_id=_brand_id(brand)).select_related("brand", "group", "store").annotate(
        checked_in=Count("rsvps", filter=Q(rsvps__status=RsvpStatus.CHECKED_IN)),
        waitlisted=Count("rsvps", filter=Q(rsvps__status=RsvpStatus.WAITLISTED)))
    now = timezone.now()
    if upcoming is True:
        return qs.filter(ends_at__gt=now).order_by("starts_at", "id")
    if upcoming is False:
        return qs.filter(ends_at__lte=now).order_by("-starts_at", "-id")
    return qs


def event_choices(brand: Brand | int, *, limit: int = 200) -> list[CommunityEvent]:
    """What a campaign's event card may name: published events that have not started, soonest first."""
    return list(CommunityEvent.objects.filter(brand_id=_brand_id(brand), status="published",
                                              starts_at__gt=timezone.now()).order_by("starts_at", "id")[:limit])


def event_get(brand: Brand | int, *, event_id: int) -> CommunityEvent:
    event = CommunityEvent.objects.filter(brand_id=_brand_id(brand), pk=event_id).select_related(
        "brand", "group", "store").first()
    if event is None:
        raise ApplicationError.not_found("event")
    return event


def event_rsvps(brand: Brand | int, *, event: CommunityEvent, status: str | None = None) -> QuerySet[Rsvp]:
    qs = Rsvp.objects.filter(brand_id=_brand_id(brand), event=event).select_related("customer", "checked_in_by__user")
    if status is not None:
        qs = qs.filter(status=status)
    if status == RsvpStatus.WAITLISTED:
        return qs.order_by("waitlist_position")
    if status == RsvpStatus.CHECKED_IN:
        return qs.order_by("checked_in_at", "id")
    return qs.order_by("created_at", "id")


def rsvp_for_customer(brand: Brand | int, *, event: CommunityEvent, customer: Customer) -> Rsvp | None:
    return Rsvp.objects.filter(brand_id=_brand_id(brand), event=event, customer=customer).first()


def waitlist_rank(brand: Brand | int, *, rsvp: Rsvp) -> int:
    """Where a waitlisted RSVP stands now: 1 for the next to get a seat."""
    return Rsvp.objects.filter(brand_id=_brand_id(brand), event_id=rsvp.event_id, status=RsvpStatus.WAITLISTED,
                               waitlist_position__lte=rsvp.waitlist_position).count()


def event_counts(brand: Brand | int, *, event: CommunityEvent) -> dict[str, int]:
    rows = (Rsvp.objects.filter(brand_id=_brand_id(brand), event=event).values("status")
            .annotate(n=Count("id")).values_list("status", "n"))
    counts = dict.fromkeys(RsvpStatus.values, 0)
    counts.update(dict(rows))
    return counts
