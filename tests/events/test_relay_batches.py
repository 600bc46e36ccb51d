"""The coalesced outbox relay: batches claimed with FOR UPDATE SKIP LOCKED on the real PostgreSQL and broker."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from privtraffic.celery import app as celery_app
from privtraffic.events import registry
from privtraffic.events.models import Event, EventReceipt
from privtraffic.events.services import (
    RELAY_SCHEDULED_TTL,
    event_record,
    event_relay_batch,
    event_relay_batches,
    event_relay_pending,
)
from privtraffic.tenancy.models import Store

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def recorder():
    """A subscriber of test.batch that counts every call (committed or not) and writes one Store row."""
    calls: Counter = Counter()
    lock = threading.Lock()

    def handler(event):
        with lock:
            calls[event.id] += 1
        time.sleep(0.002)  # long enough for concurrent relayers to overlap
        Store.objects.create(brand_id=event.brand_id, name=f"from-{event.id}")

    registry.subscribe("test.batch", name="tests.batch_recorder")(handler)
    yield calls
    registry.unsubscribe("tests.batch_recorder")


def _pending(brand, count: int, type_: str = "test.batch") -> list[Event]:
    """Committed events no relay has seen yet (as if their relay tasks were lost)."""
    return Event.objects.bulk_create([Event(brand=brand, type=type_, payload={"n": n}) for n in range(count)])


def _in_thread(target, errors: list) -> threading.Thread:
    def run():
        try:
            target()
        except Exception as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def test_concurrent_relayers_handle_each_event_once(brand, recorder):
    if connection.vendor != "postgresql":
        pytest.fail("make test runs on PostgreSQL; SKIP LOCKED needs it")
    events = _pending(brand, 300)
    errors: list = []
    claimed: list[int] = []

    def relayer():
        claimed.append(event_relay_batches(batch_size=10))

    threads = [_in_thread(relayer, errors) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(claimed) >= 300  # a listed event another relayer is handling is skipped when locked again
    assert len([n for n in claimed if n]) >= 2  # they did run side by side
    assert set(recorder) == {e.id for e in events}
    assert max(recorder.values()) == 1  # no handler ran twice, not even one rolled back
    assert Store.objects.filter(brand=brand, name__startswith="from-").count() == 300
    assert EventReceipt.objects.filter(brand=brand, subscriber="tests.batch_recorder").count() == 300
    assert not Event.objects.filter(relayed_at__isnull=True).exists()


def test_a_batch_relays_its_healthy_events_and_backs_off_the_failing_one(brand, settings):
    seen = []

    def handler(event):
        if event.payload["n"] == 2:
            raise RuntimeError("downstream refused this one")
        seen.append(event.payload["n"])

    registry.subscribe("test.batch", name="tests.batch_picky")(handler)
    try:
        events = _pending(brand, 5)
        assert event_relay_batch(limit=10) == 5
        assert sorted(seen) == [0, 1, 3, 4]
        bad = Event.objects.get(pk=events[2].pk)
        assert bad.relayed_at is None and bad.attempts == 1 and "refused" in bad.last_error
        assert bad.next_attempt_at > timezone.now()
        assert Event.objects.filter(relayed_at__isnull=False).count() == 4
        assert event_relay_batch(limit=10) == 0  # backing off: not claimed again yet
    finally:
        registry.unsubscribe("tests.batch_picky")


def test_events_nobody_listens_to_are_marked_in_one_statement(brand, django_assert_max_num_queries):
    _pending(brand, 150, type_="nobody.listens")
    with django_assert_max_num_queries(4):  # the claim, who listens (webhook endpoints), one UPDATE
        assert event_relay_batch(limit=200) == 150
    assert not Event.objects.filter(relayed_at__isnull=True).exists()


def test_a_relayer_killed_mid_batch_leaves_it_to_the_sweep(brand, recorder):
    """A worker process claims a batch and dies (SIGKILL) inside a handler: that event's transaction rolls back
    whole, and the sweep relays it; every event is handled once."""
    events = _pending(brand, 20)
    db = connection.settings_dict
    script = "\n".join([
        "import time",
        "import django",
        "django.setup()",
        "from privtraffic.events import registry",
        "from privtraffic.events.services import event_relay_batch",
        "from privtraffic.tenancy.models import Store",
        "def hang(event):",
        "    Store.objects.create(brand_id=event.brand_id, name=f'killed-{event.id}')",
        "    print('claimed', flush=True)",
        "    time.sleep(600)",
        "registry.subscribe('test.batch', name='tests.batch_recorder')(hang)",
        "event_relay_batch(limit=50)",
    ])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "privtraffic.settings.test",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().strip() == "claimed"
        # While it holds one event, another relayer relays the rest and leaves that one alone.
        assert event_relay_batch(limit=50) == 19
        assert len(recorder) == 19
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    Event.objects.filter(brand=brand).update(created_at=timezone.now() - timedelta(minutes=1))
    deadline = time.monotonic() + 20
    while event_relay_pending() == 0:  # PostgreSQL ends the dead client's transaction when it sees the socket close
        assert time.monotonic() < deadline, "the killed relayer's locks were never released"
        time.sleep(0.1)
    assert not Event.objects.filter(relayed_at__isnull=True).exists()
    assert not Store.objects.filter(name__startswith="killed-").exists()  # the killed batch's writes rolled back
    assert set(recorder) == {e.id for e in events} and max(recorder.values()) == 1
    assert EventReceipt.objects.filter(brand=brand).count() == 20


@pytest.fixture
def broker_queue():
    """A real broker queue for this test's tasks (nothing consumes it) and the relay's coalescing key cleared."""
    from django.core.cache import cache

    if not settings.REDIS_URL:
        pytest.fail("make test provides REDIS_URL; this test needs the real broker")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    eager, default_queue = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    client = redis.Redis.from_url(celery_app.conf.broker_url)

    def queued() -> int:
        return sum(client.llen(key) for key in client.keys(f"{queue}*"))

    try:
        yield queued
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.task_default_queue = default_queue
        for key in client.keys(f"{queue}*"):
            client.delete(key)
        cache.clear()


def test_many_committed_events_queue_a_bounded_number_of_relay_tasks(brand, broker_queue, recorder):
    start = time.monotonic()
    events = [event_record(brand=brand, type="test.batch", payload={"n": n}) for n in range(100)]  # 100 commits
    elapsed = time.monotonic() - start
    assert 1 <= broker_queue() <= 1 + int(elapsed / RELAY_SCHEDULED_TTL)  # one per window, not one per event
    assert not recorder  # queued, not run
    # The one task relays them all (here in this process, as the worker would).
    assert event_relay_batches() == 100
    assert set(recorder) == {e.id for e in events}
    # It cleared the key first: the next commit queues a new task.
    before = broker_queue()
    event_record(brand=brand, type="test.batch", payload={})
    assert broker_queue() == before + 1


def test_one_transaction_queues_one_relay_whatever_it_records(brand, broker_queue):
    with transaction.atomic():
        for n in range(50):
            event_record(brand=brand, type="test.batch", payload={"n": n})
        with transaction.atomic():
            event_record(brand=brand, type="test.batch", payload={"inner": True})
    assert broker_queue() == 1
    assert Event.objects.filter(brand=brand).count() == 51


def test_an_event_recorded_in_a_rolled_back_savepoint_still_leaves_the_outer_relay(brand, broker_queue):
    from django.core.cache import cache

    with transaction.atomic():
        try:
            with transaction.atomic():
                event_record(brand=brand, type="test.batch", payload={"gone": True})
                raise ValueError
        except ValueError:
            pass
        kept = event_record(brand=brand, type="test.batch", payload={"kept": True})
    assert broker_queue() == 1  # the outer event queued its own relay; the inner one's hook went with its savepoint
    assert list(Event.objects.values_list("pk", flat=True)) == [kept.pk]
    cache.clear()


def _statements(captured) -> list[str]:
    return [q["sql"].split()[0].upper() for q in captured.captured_queries]


def test_a_backlog_of_a_batching_subscriber_costs_a_few_statements_per_chunk(brand):
    """The sweep over a backlog whose one subscriber batches: the claim, then per chunk of RELAY_CHUNK_SIZE one
    lock, one INSERT of the receipts and one UPDATE of the marks in one transaction (the per-event relay took
    ~8 statements per event: lock, receipts query, savepoint, release, receipt, mark, BEGIN, COMMIT)."""
    from django.test.utils import CaptureQueriesContext

    seen = []
    registry.subscribe("test.batch", name="tests.batch_quick", batch=True)(lambda event: seen.append(event.id))
    try:
        events = _pending(brand, 200)
        with CaptureQueriesContext(connection) as captured:
            assert event_relay_batch(limit=200) == 200
        # claim (BEGIN, SELECT, COMMIT) + 4 chunks x (BEGIN, lock, INSERT, UPDATE, COMMIT)
        assert len(captured) <= 3 + 4 * 5, _statements(captured)
        assert len(captured) / 200 < 0.15
        assert "SAVEPOINT" not in _statements(captured)
    finally:
        registry.unsubscribe("tests.batch_quick")
    assert sorted(seen) == sorted(e.id for e in events)
    assert EventReceipt.objects.filter(brand=brand, subscriber="tests.batch_quick").count() == 200
    assert not Event.objects.filter(relayed_at__isnull=True).exists()


def test_an_event_of_one_plain_subscriber_costs_five_statements(brand, recorder, django_assert_max_num_queries):
    """Not batching: a transaction per event, but no savepoint for a lone subscriber and no receipts query for an
    event never tried: BEGIN, lock, (the handler's INSERT), receipt, mark, COMMIT."""
    _pending(brand, 20)
    # the claim (BEGIN, SELECT, COMMIT), then 20 x (5 + the handler's one INSERT)
    with django_assert_max_num_queries(3 + 20 * 6):
        assert event_relay_batch(limit=20) == 20
    assert len(recorder) == 20
    assert EventReceipt.objects.filter(brand=brand).count() == 20


def test_a_failing_handler_in_a_chunk_fails_only_its_own_event(brand, settings):
    """The chunk rolls back whole (the healthy events' deliveries too) and its events are relayed one by one:
    the failing one backs off with its error, the others are delivered once."""
    handled = Counter()

    def handler(event):
        handled[event.payload["n"]] += 1
        Store.objects.create(brand_id=event.brand_id, name=f"batch-{event.payload['n']}")
        if event.payload["n"] == 3:
            raise RuntimeError("endpoint table locked")

    registry.subscribe("test.batch", name="tests.batch_flaky", batch=True)(handler)
    try:
        events = _pending(brand, 6)
        assert event_relay_batch(limit=10) == 6
    finally:
        registry.unsubscribe("tests.batch_flaky")
    bad = Event.objects.get(pk=events[3].pk)
    assert bad.relayed_at is None and bad.attempts == 1 and "endpoint table locked" in bad.last_error
    assert bad.next_attempt_at > timezone.now()
    assert Event.objects.filter(relayed_at__isnull=False).count() == 5
    # Committed once each; the failing one's write rolled back both times.
    assert sorted(Store.objects.filter(brand=brand, name__startswith="batch-").values_list("name", flat=True)) == [
        "batch-0", "batch-1", "batch-2", "batch-4", "batch-5"]
    assert EventReceipt.objects.filter(brand=brand, subscriber="tests.batch_flaky").count() == 5
    assert handled[3] == 2 and all(handled[n] <= 2 for n in range(6))


def test_an_event_put_back_by_hand_with_its_receipts_still_runs_each_subscriber_once(brand, recorder):
    """The relay reads receipts only of events tried before or that the lock finds with receipts: a pending event
    with attempts == 0 has none unless it was set back to pending by hand with its receipts kept."""
    [event] = _pending(brand, 1)
    assert event_relay_batch(limit=10) == 1
    Event.objects.filter(pk=event.pk).update(relayed_at=None)
    assert event_relay_batch(limit=10) == 1
    assert Store.objects.filter(brand=brand, name=f"from-{event.id}").count() == 1
    assert EventReceipt.objects.filter(event_id=event.pk).count() == 1
    assert Event.objects.get(pk=event.pk).relayed_at is not None
