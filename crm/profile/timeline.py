"""The customer's timeline on the profile page: joins, messages, orders, consents, surveys and notes, newest
first (coupons join it when the campaigns app brings them).

One query per kind, each capped at `limit`, merged in Python: the page costs the same for a customer with
ten events as for one with ten thousand. Group and message rows belong to higher apps (communities, chats):
crm sits below them and never reads their tables, so they register timeline sources (`timeline_source`)
from their `AppConfig.ready()`; each is `fn(customer, limit) -> list[TimelineEntry]`, one query per kind.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from privtraffic.tenancy.models import Brand

from ..models import ConsentChange, Customer, CustomerNote, Order, SurveyResponse

DEFAULT_LIMIT = 30


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str  # joined, group_joined, group_left, message, order, consent, survey, note
    title: str
    detail: str = ""


TimelineSource = Callable[[Customer, int], list[TimelineEntry]]
_sources: dict[str, TimelineSource] = {}


def timeline_source(name: str):
    """Decorator for higher apps: `fn(customer, limit)` returns that app's entries (newest `limit` of a kind)."""

    def register(fn: TimelineSource) -> TimelineSource:
        if name in _sources and _sources[name] is not fn:
            raise ValueError(f"Timeline source {name!r} is already registered.")
        _sources[name] = fn
        return fn

    return register


def _order_entries(brand: Brand, customer: Customer, limit: int) -> list[TimelineEntry]:
    rows = (Order.objects.filter(brand=brand, customer=customer).select_related("rep__user", "store")
            .order_by("-placed_at")[:limit])
    return [TimelineEntry(o.placed_at, "order", _("Order %(id)s: %(total)s %(currency)s") % {
        "id": o.external_id, "total": o.total, "currency": o.currency}, _order_detail(o)) for o in rows]


def _order_detail(order: Order) -> str:
    """The status, and who the order is attributed to: the customer's rep and home store when it was placed."""
    parts = [str(order.get_status_display())]
    if order.rep_id:
        parts.append(_("Rep %(name)s") % {"name": order.rep.user.display_name})
    if order.store_id:
        parts.append(_("Store %(name)s") % {"name": order.store.name})
    return " · ".join(parts)


def _consent_entries(brand: Brand, customer: Customer, limit: int) -> list[TimelineEntry]:
    rows = ConsentChange.objects.filter(brand=brand, customer=customer).order_by("-created_at")[:limit]
    return [TimelineEntry(c.created_at, "consent",
                          (_("Agreed to %(channel)s") if c.granted else _("Withdrew %(channel)s"))
                          % {"channel": c.get_channel_display().lower()}, c.source.replace("_", " "))
            for c in rows]


def _survey_entries(brand: Brand, customer: Customer, limit: int) -> list[TimelineEntry]:
    rows = (SurveyResponse.objects.filter(brand=brand, customer=customer).select_related("survey")
            .order_by("-created_at")[:limit])
    entries = []
    for r in rows:
        if r.completed_at:
            entries.append(TimelineEntry(r.completed_at, "survey", _("Answered the survey %(title)s")
                                         % {"title": r.survey.title}))
        elif r.skipped_at:
            entries.append(TimelineEntry(r.skipped_at, "survey", _("Skipped the survey %(title)s")
                                         % {"title": r.survey.title}))
    return entries


def _note_entries(brand: Brand, customer: Customer, limit: int) -> list[TimelineEntry]:
    rows = CustomerNote.objects.filter(brand=brand, customer=customer).select_related("author")[:limit]
    return [TimelineEntry(n.created_at, "note", _("Note by %(author)s") % {
        "author": n.author.display_name if n.author else _("the brand")}, n.body) for n in rows]


def customer_timeline(*, brand: Brand, customer: Customer, limit: int = DEFAULT_LIMIT) -> list[TimelineEntry]:
    if customer.brand_id != brand.id:
        return []
    entries = [TimelineEntry(customer.created_at, "joined", _("Became a customer"), customer.get_source_display())]
    for source in _sources.values():  # registered sources first: ties keep the order they always had
        entries += source(customer, limit)
    for own in (_order_entries, _consent_entries, _survey_entries, _note_entries):
        entries += own(brand, customer, limit)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
