"""Reminders a day and an hour before an event, sent by the dispatcher (campaigns/tasks.py dispatch_campaigns).

The state is in the database: each RSVP records when it was reminded (`reminded_day_at`, `reminded_hour_at`)
in the same transaction that writes the reminder messages, and rows are claimed with SELECT ... FOR UPDATE
SKIP LOCKED, so two dispatchers at once take different rows, a crash rolls both back, and a restart sends
what is still due and nothing twice. A reminder whose window has passed (the dispatcher was down until
after the start) is not sent late; someone who got their seat inside a window was told the time then.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .formatting import event_start_time, event_when
from .models import EventStatus, Rsvp, RsvpStatus
from .services import DAY, HOUR, _notify

CHUNK = 1000


@dataclass
class EventsDispatchResult:
    day_reminders: int = 0
    hour_reminders: int = 0


def _due(kind: str, now: datetime.datetime):
    qs = Rsvp.objects.filter(status=RsvpStatus.GOING, event__status=EventStatus.PUBLISHED)
    if kind == "hour":
        return qs.filter(reminded_hour_at__isnull=True, event__starts_at__gt=now, event__starts_at__lte=now + HOUR)
    # The day reminder goes until an hour before; after that the hour reminder says it all.
    return qs.filter(reminded_day_at__isnull=True, event__starts_at__gt=now + HOUR, event__starts_at__lte=now + DAY)


def _text(kind: str, event) -> str:
    values = {"title": event.title, "when": event_when(event), "time": event_start_time(event), "place": event.place}
    if kind == "hour":
        return _("Reminder: %(title)s starts in an hour, at %(time)s, %(place)s. Show your check-in code at the "
                 "door.") % values
    return _("Reminder: %(title)s is tomorrow: %(when)s, %(place)s. Show your check-in code at the door.") % values


def _send_chunk(kind: str, now: datetime.datetime, chunk: int) -> int:
    """Claim up to `chunk` due RSVPs, write their reminders and mark them, in one transaction."""
    with transaction.atomic():
        rows = list(_due(kind, now).select_for_update(skip_locked=True, of=("self",))
                    .select_related("event__brand").order_by("event_id", "id")[:chunk])
        if not rows:
            return 0
        by_event = defaultdict(list)
        for rsvp in rows:
            by_event[rsvp.event_id].append(rsvp)
        for rsvps in by_event.values():
            event = rsvps[0].event
            _notify(event, {r.customer_id: f"event-{kind}:{r.pk}:{int(event.starts_at.timestamp())}"
                            for r in rsvps}, _text(kind, event), key=f"reminder_{kind}")
        ids = [r.pk for r in rows]
        if kind == "hour":  # the day reminder is never sent after the hour one
            Rsvp.objects.filter(pk__in=ids).update(reminded_hour_at=now)
            Rsvp.objects.filter(pk__in=ids, reminded_day_at__isnull=True).update(reminded_day_at=now)
        else:
            Rsvp.objects.filter(pk__in=ids).update(reminded_day_at=now)
    return len(rows)


def events_dispatch(*, now: datetime.datetime | None = None, chunk: int = CHUNK) -> EventsDispatchResult:
    """One pass: every reminder that is due goes out, by the chunk. Safe to run from several processes."""
    now = now or timezone.now()
    result = EventsDispatchResult()
    for kind in ("hour", "day"):
        while sent := _send_chunk(kind, now, chunk):
            if kind == "hour":
                result.hour_reminders += sent
            else:
                result.day_reminders += sent
    return result
