"""Exact capacity and waitlist promotion under concurrency, on PostgreSQL with real threads and connections."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from campaigns.events.models import CommunityEvent, Rsvp, RsvpStatus
from campaigns.events.services import event_rsvp, event_rsvp_cancel
from chats.models import Message
from crm.models import Customer
from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 40


def _run_concurrently(fn, items):
    def call(item):
        try:
            return fn(item)
        except ApplicationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(call, items))


def _customers(brand, count, prefix="Fan"):
    Customer.objects.bulk_create(
        [Customer(brand=brand, name=f"{prefix} {i}", email=f"{prefix.lower()}{i}@example.test") for i in range(count)])
    return list(Customer.objects.filter(brand=brand, name__startswith=prefix).order_by("id"))


def _rsvp(event, customer):
    return event_rsvp(actor=CustomerActor(customer), event=event, customer=customer)


def _cancel(event, customer):
    return event_rsvp_cancel(actor=CustomerActor(customer), event=event, customer=customer)


def test_1000_concurrent_rsvps_to_100_seats_give_100_going_and_900_waitlisted_in_order(brand):
    event = factories.make_event(brand, capacity=100)
    customers = _customers(brand, 1000)

    results = _run_concurrently(lambda c: _rsvp(event, c), customers)

    assert all(isinstance(r, Rsvp) for r in results)
    event.refresh_from_db()
    assert event.seats_taken == 100 and event.waitlist_seq == 900
    rows = Rsvp.objects.filter(event=event)
    assert rows.filter(status=RsvpStatus.GOING).count() == 100
    waitlist = list(rows.filter(status=RsvpStatus.WAITLISTED).order_by("waitlist_position")
                    .values_list("waitlist_position", flat=True))
    assert waitlist == list(range(1, 901))  # one queue, no gaps, no position handed out twice
    assert rows.values("customer").distinct().count() == 1000
    # What each caller was answered is what was stored.
    assert sorted(r.waitlist_position or 0 for r in results) == [0] * 100 + list(range(1, 901))


def test_the_same_customer_pressing_rsvp_many_times_at_once_takes_one_seat(brand):
    event = factories.make_event(brand, capacity=5)
    customer = factories.make_customer(brand)
    results = _run_concurrently(lambda _: _rsvp(event, customer), range(20))
    assert len({r.pk for r in results}) == 1
    event.refresh_from_db()
    assert event.seats_taken == 1 and Rsvp.objects.filter(event=event).count() == 1


def test_concurrent_cancellations_promote_the_first_waitlisted_exactly_once_each(brand):
    event = factories.make_event(brand, capacity=10)
    going = _customers(brand, 10, "Going")
    waiting = _customers(brand, 20, "Waiting")
    for c in going + waiting:
        _rsvp(event, c)

    # Every seat holder cancels, each twice at the same moment.
    outcomes = _run_concurrently(lambda c: _cancel(event, c), going + going)

    assert sum(isinstance(o, Rsvp) for o in outcomes) == 10 and outcomes.count("no_rsvp") == 10
    event.refresh_from_db()
    assert event.seats_taken == 10
    promoted = set(Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).values_list("customer_id", flat=True))
    assert promoted == {c.pk for c in waiting[:10]}  # the first ten in line, no one else
    still = list(Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).order_by("waitlist_position")
                 .values_list("customer_id", flat=True))
    assert still == [c.pk for c in waiting[10:]]
    # Each promoted customer was told once, in their own 1:1 chat; nobody else was.
    told = list(Message.objects.filter(brand=brand).values_list("conversation__customer_id", flat=True))
    assert sorted(told) == sorted(promoted)


def test_rsvps_and_cancellations_racing_never_overfill_or_leave_a_seat_empty_while_someone_waits(brand):
    event = factories.make_event(brand, capacity=20)
    first = _customers(brand, 20, "First")
    later = _customers(brand, 60, "Later")
    for c in first:
        _rsvp(event, c)

    def act(item):
        kind, customer = item
        return _rsvp(event, customer) if kind == "rsvp" else _cancel(event, customer)

    work = [("cancel", c) for c in first[:15]] + [("rsvp", c) for c in later]
    work = [x for pair in zip(work[::2], work[1::2], strict=False) for x in pair] + work[len(work) // 2 * 2:]
    _run_concurrently(act, work)

    event.refresh_from_db()
    going = Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count()
    waiting = Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).count()
    assert going == event.seats_taken == 20  # 5 stayed, 15 freed seats all went to someone
    assert going + waiting == 20 - 15 + 60
    assert CommunityEvent.objects.get(pk=event.pk).seats_taken <= event.capacity
