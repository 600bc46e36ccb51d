"""The transactional outbox: record inside the writer's transaction, relay after commit."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from privtraffic.tenancy.models import Brand

from .models import Event, EventReceipt
from .registry import subscribers_for

logger = logging.getLogger(__name__)


# The relay claims pending events in batches of this size (SELECT ... FOR UPDATE SKIP LOCKED).
RELAY_BATCH_SIZE = 200
# At most one relay task is queued per this many seconds while one is pending: a committing writer queues a
# task only if this key was absent (cache.add); the task deletes it before it claims, so an event committed
# after that claim queues the next task. A task lost with the key set only delays events until the key expires
# (the next writer queues again) or the periodic sweep.
RELAY_SCHEDULED_KEY = "events:relay-scheduled"
RELAY_SCHEDULED_TTL = 5
# Events whose subscribers all batch (registry.subscribe(batch=True)) are relayed this many per transaction.
RELAY_CHUNK_SIZE = 50
# One task relays at most this many batches, then hands over to a fresh task (other work gets the worker).
RELAY_MAX_BATCHES = 25


def _clean(payload: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def event_record(*, brand: Brand | None = None, brand_id: int | None = None, type: str,  # noqa: A002
                 payload: dict[str, Any]) -> Event:
    """Write an event in the caller's transaction; a relay is queued only if that transaction commits.

    The brand is given as `brand`, or as `brand_id` by a writer that holds only the id (no query to load it).
    The relay is coalesced: one per transaction at most, and none while one is already queued (see
    RELAY_SCHEDULED_KEY); the queued task relays every pending event in batches.
    """
    if (brand is None) == (brand_id is None):
        raise TypeError("event_record takes exactly one of brand and brand_id")
    event = Event.objects.create(brand_id=brand.pk if brand is not None else brand_id, type=type,
                                 payload=_clean(payload))
    _relay_on_commit()
    return event


def _relay_on_commit() -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # Once per transaction: a hook registered where this savepoint stack also holds survives as long as
        # this event does (if its savepoint rolls back, so does ours).
        current = set(connection.savepoint_ids)
        if any(func is _relay_soon and sids <= current for sids, func, _robust in connection.run_on_commit):
            return
    # robust: the write has committed; if the broker is away, the periodic sweep relays the event later.
    transaction.on_commit(_relay_soon, robust=True)


def _relay_soon() -> None:
    """Queue one relay task unless one is already queued."""
    from django.core.cache import cache

    from .tasks import relay_outbox

    if relay_outbox.app.conf.task_always_eager:
        relay_outbox.delay()  # in-process (the embedded default, tests): nothing queued to coalesce with
        return
    if not cache.add(RELAY_SCHEDULED_KEY, 1, RELAY_SCHEDULED_TTL):
        return
    try:
        relay_outbox.delay()
    except Exception:
        cache.delete(RELAY_SCHEDULED_KEY)  # the next writer tries again; the sweep covers the meantime
        raise


def event_record_many(*, brand: Brand, events: list[tuple[str, dict[str, Any]]],
                      chunk_size: int = 500) -> list[Event]:
    """Bulk writers (imports, campaign fan-out): one INSERT per chunk, one relay task per chunk after commit.

    `events` is a list of (type, payload). Same guarantees as event_record: written in the caller's
    transaction, relayed at least once after it commits (the sweep picks up what a lost broker drops).
    """
    from .tasks import relay_events

    rows = [Event(brand=brand, type=type_, payload=_clean(payload)) for type_, payload in events]
    created: list[Event] = []
    for start in range(0, len(rows), chunk_size):
        chunk = Event.objects.bulk_create(rows[start:start + chunk_size])
        created.extend(chunk)
        ids = [str(e.id) for e in chunk]
        transaction.on_commit(lambda ids=ids: relay_events.delay(brand.id, ids), robust=True)
    return created


def _claimable(now) -> Any:
    """Pending events due now, oldest first, each claimed by one relayer: locked rows are skipped."""
    return (Event.objects.select_for_update(skip_locked=True)
            .filter(relayed_at__isnull=True, failed_at__isnull=True)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("created_at"))


def event_relay_batch(*, limit: int = RELAY_BATCH_SIZE, older_than_seconds: int = 0) -> int:
    """Claim up to `limit` pending events (FOR UPDATE SKIP LOCKED, oldest first) and relay them.

    Events nobody listens to are marked relayed in the claim's own transaction, with one UPDATE. Each other
    event is then relayed in a transaction of its own that locks it again (SKIP LOCKED) and checks it is still
    pending: concurrent relayers never handle the same event, and a handler's locks (a conversation's seq, a
    customer row) are held for one event, not for a whole batch. A relayer killed mid-event rolls that event
    back whole; what it had not reached stays pending for the next relay or the sweep. Returns how many events
    were claimed.
    """
    now = timezone.now()
    pending = _claimable(now)
    if older_than_seconds:
        pending = pending.filter(created_at__lte=now - timedelta(seconds=older_than_seconds))
    claimed, _relayed = _relay_in_turn(pending[:limit])
    return claimed


def _relay_in_turn(pending) -> tuple[int, int]:
    """Claim `pending` (a locking queryset), mark its quiet events at once, relay the others: runs of events
    whose subscribers all batch in chunks of RELAY_CHUNK_SIZE, each other event in a transaction of its own,
    in the order claimed. Returns (claimed, relayed)."""
    now = timezone.now()
    subscribers: dict[tuple[str, int], list] = {}
    with transaction.atomic():
        events = list(pending)
        for event in events:
            key = (event.type, event.brand_id)
            if key not in subscribers:
                subscribers[key] = subscribers_for(event.type, event.brand_id)
        quiet = [e.pk for e in events if not subscribers[(e.type, e.brand_id)]]
        if quiet:
            Event.objects.filter(pk__in=quiet).update(relayed_at=now)
    relayed = len(quiet)
    chunk: list[Event] = []
    for event in events:
        listeners = subscribers[(event.type, event.brand_id)]
        if listeners and all(s.batch for s in listeners):
            chunk.append(event)
            if len(chunk) == RELAY_CHUNK_SIZE:
                relayed += _relay_chunk(chunk, subscribers)
                chunk = []
            continue
        if chunk:
            relayed += _relay_chunk(chunk, subscribers)
            chunk = []
        if listeners:
            relayed += _relay_one(event.pk, subscribers, listeners)
    if chunk:
        relayed += _relay_chunk(chunk, subscribers)
    return len(events), relayed


def _relay_locked(pks: list[Any], subscribers: dict[tuple[str, int], list], *, savepoints: bool) -> int:
    """In one transaction: lock these events again (SKIP LOCKED: one another relayer holds is that one's to
    relay), keep those still pending and due, and relay them. Returns how many are now relayed.

    The lock also tells, per event, whether it has receipts (an EXISTS in the same statement): only those
    events, and those tried before, have their receipts read (see _relay_claimed)."""
    with transaction.atomic():
        now = timezone.now()
        # By primary key, unordered (`order_by()`): ordered by created_at, PostgreSQL walked the pending index.
        locked = list(Event.objects.select_for_update(skip_locked=True)
                      .filter(pk__in=pks, relayed_at__isnull=True, failed_at__isnull=True)
                      .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                      .annotate(has_receipts=Exists(EventReceipt.objects.filter(event_id=OuterRef("pk"))))
                      .order_by())
        order = {pk: n for n, pk in enumerate(pks)}
        locked.sort(key=lambda e: order[e.pk])
        return _relay_claimed(locked, subscribers, check_receipts=False, savepoints=savepoints)


class _HandlerFailed(Exception):
    """A handler raised where it ran without a savepoint: its transaction is to roll back whole."""

    def __init__(self, event: Event, subscriber: str, error: str):
        super().__init__(error)
        self.event_id, self.attempts, self.subscriber, self.error = event.pk, event.attempts, subscriber, error


def _relay_one(pk: Any, subscribers: dict[tuple[str, int], list], listeners: list) -> int:
    """One event in its own transaction. With several subscribers each runs in a savepoint (a failing one's
    writes roll back alone; the others' commit with their receipts). With one there is nothing to keep apart:
    no savepoint, and if it fails the transaction rolls back and the attempt is counted in a second one."""
    try:
        return _relay_locked([pk], subscribers, savepoints=len(listeners) > 1)
    except _HandlerFailed as failure:
        logger.error("Subscriber %s failed on event %s", failure.subscriber, failure.event_id,
                     exc_info=failure.__cause__)
        with transaction.atomic():
            # Unless another relayer took the event over meanwhile (then it is that one's to relay or count).
            event = Event.objects.select_for_update(skip_locked=True).filter(
                pk=pk, relayed_at__isnull=True, failed_at__isnull=True, attempts=failure.attempts).order_by().first()
            if event is not None:
                event.last_error = failure.error[:4000]
                _count_attempt(event, timezone.now())
        return 0


def _count_attempt(event: Event, now) -> None:
    """A failed attempt: back off (retry_delay), give up after EVENTS_MAX_ATTEMPTS."""
    event.attempts += 1
    event.next_attempt_at = now + retry_delay(event.attempts)
    if event.attempts >= settings.EVENTS_MAX_ATTEMPTS:
        event.failed_at = now
    event.save(update_fields=["attempts", "last_error", "failed_at", "next_attempt_at"])


def _relay_chunk(events: list[Event], subscribers: dict[tuple[str, int], list]) -> int:
    """Events whose subscribers all batch: one transaction for the chunk, handlers without savepoints, the
    receipts in one INSERT and the marks in one UPDATE. If anything fails, the chunk rolls back whole (with
    its on-commit hooks) and its events are relayed one transaction each, where a failure is counted against
    its own event: a batching handler may so run again after its chunk rolled back."""
    try:
        return _relay_locked([e.pk for e in events], subscribers, savepoints=False)
    except Exception:
        logger.info("A relay chunk of %d events rolled back; relaying them one by one", len(events), exc_info=True)
    return sum(_relay_one(e.pk, subscribers, subscribers[(e.type, e.brand_id)]) for e in events)


def event_relay_batches(*, batch_size: int = RELAY_BATCH_SIZE, max_batches: int = RELAY_MAX_BATCHES) -> int:
    """The coalesced relay task's work: batches until nothing is pending. Returns how many were claimed."""
    from django.core.cache import cache

    from .tasks import relay_outbox

    if not relay_outbox.app.conf.task_always_eager:
        cache.delete(RELAY_SCHEDULED_KEY)  # before the first claim: whatever commits after it queues a new task
    total = 0
    for _ in range(max_batches):
        claimed = event_relay_batch(limit=batch_size)
        total += claimed
        if claimed < batch_size:
            return total
    _relay_soon()  # more is pending: a fresh task goes on with it
    return total


def event_relay_many(*, brand_id: int, event_ids: list[str]) -> int:
    """Relay these events (a bulk writer's chunk); returns how many of them are now relayed.

    Events of a type nobody subscribes to are marked relayed with one UPDATE (100,000 events: seconds instead
    of minutes). Events another relayer holds are skipped: that one relays them.
    """
    _claimed, relayed = _relay_in_turn(_claimable(timezone.now()).filter(brand_id=brand_id, pk__in=event_ids))
    return relayed


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at 1 h: twelve attempts span about seven hours."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def event_relay(*, event: Event) -> bool:
    """Deliver one event to every subscriber that has not handled it. True when all have."""
    if event.relayed_at is not None or event.failed_at is not None:
        return True
    with transaction.atomic():
        locked = Event.objects.select_for_update(skip_locked=True).filter(pk=event.pk).first()
        if locked is None:
            # Pruned (nothing to deliver), or held by a concurrent relayer, which delivers it.
            return not Event.objects.filter(pk=event.pk).exists()
        if locked.relayed_at is not None or locked.failed_at is not None:
            return True
        return _relay_claimed([locked]) == 1


def _relay_claimed(events: list[Event], subscribers: dict[tuple[str, int], list] | None = None, *,
                   check_receipts: bool = True, savepoints: bool = True) -> int:
    """Relay events this transaction holds locked; returns how many are now relayed.

    Each handler runs in a savepoint (a failing one's writes roll back alone); the receipts of those that
    succeeded commit with their writes, and the unique receipt per (event, subscriber) means a repeated
    delivery skips it, so a subscriber's effect happens once per event.

    Receipts are written only here, in the same transaction that either marks the event relayed or counts a
    failed attempt: so a pending event with `attempts == 0` has none, unless it was set back to pending by hand
    without deleting its receipts. With `check_receipts=False` they are read only for events tried before or
    locked with `has_receipts` (the lock's EXISTS; it reads the statement's snapshot, so a receipt a concurrent
    relayer committed after it is missed, but that relayer also counted an attempt or marked the event, and the
    locked row is its latest version). `savepoints=False` (a chunk of batching subscribers): a handler's
    exception propagates and the caller's transaction rolls back whole.
    """
    if not events:
        return 0
    subscribers = {} if subscribers is None else subscribers
    for event in events:
        key = (event.type, event.brand_id)
        if key not in subscribers:
            subscribers[key] = subscribers_for(event.type, event.brand_id)
    # One query for the whole batch: which subscribers already handled which event (a failed subscriber's
    # siblings keep their receipts; so does a relay that crashed before marking).
    listened = [e.pk for e in events if subscribers[(e.type, e.brand_id)]
                and (check_receipts or e.attempts or getattr(e, "has_receipts", True))]
    done: set[tuple[Any, str]] = set(EventReceipt.objects.filter(event_id__in=listened).values_list(
        "event_id", "subscriber")) if listened else set()
    relayed, failed, receipts = [], [], []
    for event in events:
        errors = []
        for subscriber in subscribers[(event.type, event.brand_id)]:
            if (event.pk, subscriber.name) in done:
                continue
            if not savepoints:
                try:
                    subscriber.handler(event)
                except Exception as exc:
                    raise _HandlerFailed(event, subscriber.name, f"{subscriber.name}: {exc!r}") from exc
                receipts.append(EventReceipt(brand_id=event.brand_id, event=event, subscriber=subscriber.name))
                continue
            try:
                with transaction.atomic():  # a failing handler's writes roll back alone
                    subscriber.handler(event)
            except Exception as exc:
                logger.exception("Subscriber %s failed on event %s", subscriber.name, event.id)
                errors.append(f"{subscriber.name}: {exc!r}")
            else:
                receipts.append(EventReceipt(brand_id=event.brand_id, event=event, subscriber=subscriber.name))
        (failed if errors else relayed).append(event)
        if errors:
            event.last_error = "\n".join(errors)[:4000]
    # The receipts in one INSERT: every relayer holds its events locked (no other can have written one since
    # `done` was read), and they commit with the handlers' writes or not at all.
    EventReceipt.objects.bulk_create(receipts)
    now = timezone.now()
    if relayed:
        Event.objects.filter(pk__in=[e.pk for e in relayed]).update(relayed_at=now)
        for event in relayed:
            event.relayed_at = now
    for event in failed:
        _count_attempt(event, now)
    return len(relayed)


def event_relay_pending(*, older_than_seconds: int = 10, limit: int = 500) -> int:
    """The sweep: relay events a lost task or a crash left behind (older than `older_than_seconds`, due now).

    Claims like the coalesced relay does, so it never handles an event a running relay holds. Returns how many
    it tried.
    """
    tried = 0
    while tried < limit:
        want = min(RELAY_BATCH_SIZE, limit - tried)
        claimed = event_relay_batch(limit=want, older_than_seconds=older_than_seconds)
        tried += claimed
        if claimed < want:
            break
    return tried


def event_prune(*, retention_days: int | None = None) -> int:
    """Delete relayed (or given-up) events older than the retention window."""
    days = settings.EVENTS_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now() - timedelta(days=days)
    finished = Event.objects.filter(created_at__lt=cutoff).exclude(relayed_at__isnull=True, failed_at__isnull=True)
    deleted, _ = finished.delete()
    return deleted
