"""A Celery worker SIGKILLed in the middle of an outbox relay, and no subscriber's writes happen twice. The relay
runs an event's subscribers in one transaction (each in a savepoint, its receipt beside its writes), so a kill
mid-relay rolls back both the finished subscriber's and the interrupted one's work, and the next relay runs each
once more: one receipt and one row per subscriber in the end.

- Its pool process killed (acks_late, reject on a lost worker): the task is delivered again at once and the
  replacement process completes it.
- The whole worker killed (parent and pool process) and started again: the broker holds the unacknowledged task
  until its visibility timeout, so the relay is completed by the outbox sweep that beat runs every 30 s
  (`relay_pending_events`, sent here by the test as beat would).
"""

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from crm.models import Customer
from privtraffic.celery import app as celery_app
from privtraffic.events.models import Event, EventReceipt
from privtraffic.events.services import RELAY_SCHEDULED_KEY, event_record
from tests.faults.servers import ROOT, app_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _start_worker(queue: str, database_url: str, marker) -> subprocess.Popen:
    # A session of its own: the test's cleanup kills the parent and its pool processes together, so a pool
    # process left sleeping inside its transaction can never block the suite's next flush.
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "faults" / "slow_worker.py"), queue], cwd=ROOT, start_new_session=True,
        env=app_env(database_url=database_url, redis_url=settings.REDIS_URL, FAULTS_MARKER=str(marker)))


def _stop_worker(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(20)


def _mid_relay_nothing_committed(brand, event) -> None:
    """The second subscriber sleeps inside the event's transaction: the first one's row and receipt are not
    committed yet either."""
    assert not EventReceipt.objects.filter(event_id=event.pk).exists()
    assert not Customer.objects.filter(brand=brand, name__endswith=str(event.pk)).exists()


@pytest.fixture
def workers(suite_database_url, tmp_path):
    """Slow workers on a queue of this test's own, with the app sending its tasks there (not eagerly); every
    worker started is killed with its pool processes at the end."""
    queue, marker, started = f"faults-{uuid.uuid4().hex[:8]}", tmp_path / "relaying.pid", []
    eager, default_queue = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    cache.delete(RELAY_SCHEDULED_KEY)  # no relay task of an earlier test counts as queued for this one

    def start() -> subprocess.Popen:
        started.append(_start_worker(queue, suite_database_url, marker))
        return started[-1]

    try:
        yield start, marker
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.task_default_queue = default_queue
        for worker in started:
            _stop_worker(worker)


def _assert_relayed_once(brand, event) -> None:
    receipts = sorted(EventReceipt.objects.filter(event_id=event.pk).values_list("subscriber", flat=True))
    assert receipts == ["faults.first", "faults.slow"]
    assert sorted(Customer.objects.filter(brand=brand, name__endswith=str(event.pk)).values_list("name", flat=True)) == [
        f"first {event.pk}", f"slow {event.pk}"]


def test_a_worker_killed_mid_relay_is_replaced_and_the_relay_completes_once(brand, workers):
    start, marker = workers
    worker = start()
    event = event_record(brand=brand, type="faults.check", payload={"n": 1})
    relaying = int(wait_for(lambda: marker.exists() and marker.read_text(), timeout=60,
                            what="the worker relaying the event"))
    assert relaying != worker.pid  # the pool process doing the work, not the worker's parent
    _mid_relay_nothing_committed(brand, event)
    os.kill(relaying, signal.SIGKILL)
    wait_for(lambda: not _alive(relaying), timeout=10, what="the killed process gone")

    wait_for(lambda: Event.objects.filter(pk=event.pk, relayed_at__isnull=False).exists(), timeout=60,
             what="the relay completed by the replacement process")
    assert worker.poll() is None

    _assert_relayed_once(brand, event)
    event.refresh_from_db()
    assert event.attempts == 0 and event.last_error == ""  # completed by the redelivery, not left to the sweep


def test_a_whole_worker_killed_mid_relay_and_restarted_completes_it_through_the_sweep(brand, workers):
    from privtraffic.events.tasks import relay_pending_events

    start, marker = workers
    worker = start()
    event = event_record(brand=brand, type="faults.check", payload={"n": 2})
    relaying = int(wait_for(lambda: marker.exists() and marker.read_text(), timeout=60,
                            what="the worker relaying the event"))
    _mid_relay_nothing_committed(brand, event)
    worker.send_signal(signal.SIGKILL)  # the parent first: nothing is left to requeue the task
    worker.wait(10)
    os.kill(relaying, signal.SIGKILL)
    wait_for(lambda: not _alive(relaying), timeout=10, what="the killed pool process gone")
    assert not Event.objects.filter(pk=event.pk, relayed_at__isnull=False).exists()

    start()
    # The sweep relays events older than 10 s that are still pending; beat would send it within 30 s.
    wait_for(lambda: Event.objects.get(pk=event.pk).created_at < timezone.now() - timedelta(seconds=11),
             timeout=30, what="the event 11 s old")
    relay_pending_events.delay()
    wait_for(lambda: Event.objects.filter(pk=event.pk, relayed_at__isnull=False).exists(), timeout=60,
             what="the relay completed by the restarted worker")

    _assert_relayed_once(brand, event)
