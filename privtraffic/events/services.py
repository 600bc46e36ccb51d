"""The transactional outbox: record inside the writer's transaction, relay after commit."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from privtraffic.tenancy.models import Brand

from .models import Event, EventReceipt
from .registry import subscribers_for

logger = logging.getLogger(__name__)


def event_record(*, brand: Brand, type: str, payload: dict[str, Any]) -> Event:  # noqa: A002
    """Write an event in the caller's transaction; the relay is queued only if that transaction commits."""
    import json

    from .tasks import relay_event

    clean_payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    event = Event.objects.create(brand=brand, type=type, payload=clean_payload)
    # robust: the write has committed; if the broker is away, the periodic sweep relays the event later.
    transaction.on_commit(lambda: relay_event.delay(brand.id, str(event.id)), robust=True)
    return event


def event_record_many(*, brand: Brand, events: list[tuple[str, dict[str, Any]]],
                      chunk_size: int = 500) -> list[Event]:
    """Bulk writers (imports, campaign fan-out): one INSERT per chunk, one relay task per chunk after commit.

    `events` is a list of (type, payload). Same guarantees as event_record: written in the caller's
    transaction, relayed at least once after it commits (the sweep picks up what a lost broker drops).
    """
    import json

    from .tasks import relay_events

    rows = [Event(brand=brand, type=type_, payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)))
            for type_, payload in events]
    created: list[Event] = []
    for start in range(0, len(rows), chunk_size):
        chunk = Event.objects.bulk_create(rows[start:start + chunk_size])
        created.extend(chunk)
        ids = [str(e.id) for e in chunk]
        transaction.on_commit(lambda ids=ids: relay_events.delay(brand.id, ids), robust=True)
    return created


def event_relay_many(*, brand_id: int, event_ids: list[str]) -> int:
    """Relay a batch of events; returns how many are now relayed.

    Events of a type nobody subscribes to are marked relayed with one UPDATE, which is exactly what
    `event_relay` would do one by one (100,000 events: seconds instead of minutes); the others go
    through `event_relay`.
    """
    pending = Event.objects.filter(brand_id=brand_id, pk__in=event_ids, relayed_at__isnull=True,
                                   failed_at__isnull=True)
    types = set(pending.values_list("type", flat=True).distinct())
    quiet = [t for t in types if not subscribers_for(t, brand_id)]
    relayed = pending.filter(type__in=quiet).update(relayed_at=timezone.now()) if quiet else 0
    for event in pending.exclude(type__in=quiet).order_by("created_at"):
        relayed += bool(event_relay(event=event))
    return relayed


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at 1 h: twelve attempts span about seven hours."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def event_relay(*, event: Event) -> bool:
    """Deliver one event to every subscriber that has not handled it. True when all have."""
    if event.relayed_at is not None or event.failed_at is not None:
        return True
    done = set(EventReceipt.objects.filter(event=event).values_list("subscriber", flat=True))
    errors = []
    for subscriber in subscribers_for(event.type, event.brand_id):
        if subscriber.name in done:
            continue
        try:
            with transaction.atomic():
                subscriber.handler(event)
                EventReceipt.objects.create(brand_id=event.brand_id, event=event, subscriber=subscriber.name)
        except IntegrityError as exc:
            if EventReceipt.objects.filter(event=event, subscriber=subscriber.name).exists():
                continue  # a concurrent relay handled it first; its receipt stands and our writes rolled back
            logger.exception("Subscriber %s failed on event %s", subscriber.name, event.id)
            errors.append(f"{subscriber.name}: {exc!r}")
        except Exception as exc:
            logger.exception("Subscriber %s failed on event %s", subscriber.name, event.id)
            errors.append(f"{subscriber.name}: {exc!r}")
    now = timezone.now()
    if errors:
        event.attempts += 1
        event.last_error = "\n".join(errors)[:4000]
        event.next_attempt_at = now + retry_delay(event.attempts)
        if event.attempts >= settings.EVENTS_MAX_ATTEMPTS:
            event.failed_at = now
        event.save(update_fields=["attempts", "last_error", "failed_at", "next_attempt_at"])
        return False
    event.relayed_at = now
    event.save(update_fields=["relayed_at"])
    return True


def event_relay_pending(*, older_than_seconds: int = 10, limit: int = 500) -> int:
    """The sweep: relay events a lost task or a crash left behind. Returns how many it tried."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    now = timezone.now()
    pending = Event.objects.filter(relayed_at__isnull=True, failed_at__isnull=True, created_at__lte=cutoff).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    events = list(pending.order_by("created_at")[:limit])
    for event in events:
        event_relay(event=event)
    return len(events)


def event_prune(*, retention_days: int | None = None) -> int:
    """Delete relayed (or given-up) events older than the retention window."""
    days = settings.EVENTS_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now() - timedelta(days=days)
    finished = Event.objects.filter(created_at__lt=cutoff).exclude(relayed_at__isnull=True, failed_at__isnull=True)
    deleted, _ = finished.delete()
    return deleted
