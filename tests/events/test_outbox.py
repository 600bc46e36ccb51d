from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from privtraffic.events import registry
from privtraffic.events.models import Event, EventReceipt
from privtraffic.events.services import event_prune, event_record, event_relay, event_relay_pending
from privtraffic.events.tasks import relay_pending_events
from privtraffic.tenancy.models import Store

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def calls():
    """Subscribe a recording handler to test.happened for the duration of a test."""
    seen: list = []
    failing = {"on": False}

    def handler(event):
        if failing["on"]:
            raise RuntimeError("downstream is down")
        seen.append(event.id)
        # A subscriber's own write, to prove it commits or rolls back with the receipt.
        Store.objects.create(brand_id=event.brand_id, name=f"from-{event.id}")

    registry.subscribe("test.happened", name="tests.recorder")(handler)
    yield seen, failing
    registry.unsubscribe("tests.recorder")


def test_event_is_relayed_after_commit(brand, calls):
    seen, _ = calls
    with transaction.atomic():
        event = event_record(brand=brand, type="test.happened", payload={"n": 1})
        assert seen == []  # nothing leaves while the transaction is open
    assert seen == [event.id]
    event.refresh_from_db()
    assert event.relayed_at is not None
    assert EventReceipt.objects.filter(event=event, subscriber="tests.recorder", brand=brand).count() == 1


def test_rolled_back_transaction_records_and_relays_nothing(brand, calls):
    seen, _ = calls
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        event_record(brand=brand, type="test.happened", payload={})
        1 / 0  # noqa: B018
    assert seen == [] and not Event.objects.exists()


def test_relaying_twice_runs_each_subscriber_once(brand, calls):
    seen, _ = calls
    event = event_record(brand=brand, type="test.happened", payload={})
    Event.objects.filter(pk=event.pk).update(relayed_at=None)  # as if the first relay crashed before marking
    event.refresh_from_db()
    assert event_relay(event=event)
    assert seen == [event.id]
    assert Store.objects.filter(brand=brand, name=f"from-{event.id}").count() == 1


def test_other_types_do_not_reach_the_subscriber(brand, calls):
    seen, _ = calls
    event_record(brand=brand, type="something.else", payload={})
    assert seen == []


def test_failed_subscriber_is_retried_by_the_sweep_then_given_up(brand, calls, settings):
    seen, failing = calls
    failing["on"] = True
    event = event_record(brand=brand, type="test.happened", payload={})
    event.refresh_from_db()
    assert event.relayed_at is None and event.attempts == 1 and "downstream is down" in event.last_error
    assert not Store.objects.filter(name=f"from-{event.id}").exists()  # the failed handler's write rolled back

    assert event.next_attempt_at > timezone.now()  # backed off: the sweep leaves it alone for now
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert event_relay_pending() == 0
    Event.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    failing["on"] = False
    assert relay_pending_events.apply().result == 1
    event.refresh_from_db()
    assert event.relayed_at is not None and seen == [event.id]

    settings.EVENTS_MAX_ATTEMPTS = 2
    failing["on"] = True
    doomed = event_record(brand=brand, type="test.happened", payload={})
    Event.objects.filter(pk=doomed.pk).update(created_at=timezone.now() - timedelta(minutes=1),
                                              next_attempt_at=timezone.now() - timedelta(seconds=1))
    event_relay_pending()
    doomed.refresh_from_db()
    assert doomed.failed_at is not None and doomed.attempts == 2
    assert event_relay_pending() == 0  # given up: the sweep leaves it for an operator


def test_sweep_leaves_fresh_events_to_their_own_task(brand):
    event = event_record(brand=brand, type="nobody.listens", payload={})
    Event.objects.filter(pk=event.pk).update(relayed_at=None)
    assert event_relay_pending(older_than_seconds=60) == 0


def test_prune_deletes_old_finished_events_only(brand):
    old_done = event_record(brand=brand, type="x", payload={})
    old_pending = event_record(brand=brand, type="x", payload={})
    fresh = event_record(brand=brand, type="x", payload={})
    long_ago = timezone.now() - timedelta(days=30)
    Event.objects.filter(pk__in=[old_done.pk, old_pending.pk]).update(created_at=long_ago)
    Event.objects.filter(pk=old_pending.pk).update(relayed_at=None)
    assert event_prune(retention_days=7) == 1
    assert set(Event.objects.values_list("pk", flat=True)) == {old_pending.pk, fresh.pk}


def test_payload_is_stored_as_json(brand):
    from decimal import Decimal

    event = event_record(brand=brand, type="x", payload={"total": Decimal("12.50"), "at": timezone.now()})
    event.refresh_from_db()
    assert event.payload["total"] == "12.50" and isinstance(event.payload["at"], str)


def test_integrity_error_inside_a_handler_is_a_failure_not_a_duplicate(brand):
    from django.db import IntegrityError

    def handler(event):
        raise IntegrityError("duplicate key in the subscriber's own table")

    registry.subscribe("test.integrity", name="tests.integrity")(handler)
    try:
        event = event_record(brand=brand, type="test.integrity", payload={})
        event.refresh_from_db()
        assert event.relayed_at is None and event.attempts == 1 and "duplicate key" in event.last_error
    finally:
        registry.unsubscribe("tests.integrity")


def test_retry_delay_grows_and_is_capped():
    from privtraffic.events.services import retry_delay

    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 12)] == [30, 60, 120, 3600, 3600]
