"""Reminders a day and an hour before: due ones go out once, across dispatcher runs, a restart and two
dispatchers at once; late or needless ones do not."""

import datetime
import threading

import pytest
from django.db import connection, transaction

from campaigns.events.models import Rsvp
from campaigns.events.reminders import events_dispatch
from campaigns.events.services import event_rsvp, event_rsvp_cancel
from chats.models import Message, MessageKind
from privtraffic.tenancy.actors import CustomerActor
from tests import factories

H = datetime.timedelta(hours=1)


def _rsvp(event, customer):
    return event_rsvp(actor=CustomerActor(customer), event=event, customer=customer)


@pytest.fixture
def club(brand):
    event = factories.make_event(brand, capacity=3, starts_in_hours=48, title="Run club")
    people = [factories.make_customer(brand, n) for n in ("Ann", "Bo", "Cy", "Dee", "Eve")]
    for c in people:
        _rsvp(event, c)  # three going, two waitlisted
    event_rsvp_cancel(actor=CustomerActor(people[4]), event=event, customer=people[4])  # Eve leaves the waitlist
    Message.objects.all().delete()
    return event, people


def _told(customer):
    return list(Message.objects.filter(conversation__customer=customer).order_by("id").values_list("body", flat=True))


def test_a_day_and_an_hour_before_each_going_customer_is_reminded_once(club):
    event, people = club
    assert events_dispatch(now=event.starts_at - 30 * H).day_reminders == 0  # not yet

    first = events_dispatch(now=event.starts_at - 23 * H)
    second = events_dispatch(now=event.starts_at - 23 * H)  # the next tick
    third = events_dispatch(now=event.starts_at - 2 * H)  # later, e.g. after a restart
    assert (first.day_reminders, second.day_reminders, third.day_reminders) == (3, 0, 0)

    hour = events_dispatch(now=event.starts_at - 50 * datetime.timedelta(minutes=1))
    again = events_dispatch(now=event.starts_at - 10 * datetime.timedelta(minutes=1))
    assert (hour.hour_reminders, again.hour_reminders, hour.day_reminders) == (3, 0, 0)

    for customer in people[:3]:
        day, soon = _told(customer)
        assert day.startswith("Reminder: Run club is tomorrow") and "Riverside park" in day
        assert soon.startswith("Reminder: Run club starts in an hour")
    assert _told(people[3]) == [] and _told(people[4]) == []  # waitlisted, cancelled
    card = Message.objects.filter(conversation__customer=people[0]).first()
    assert card.kind == MessageKind.EVENT and card.payload == {"title": "Run club", "ref": event.pk}
    assert card.sender_type == "bot" and card.sender_name == event.brand.name  # the brand speaks (no persona)


def test_a_dispatcher_killed_before_commit_sends_nothing_and_the_next_run_sends_everything_once(club):
    event, people = club
    with pytest.raises(RuntimeError), transaction.atomic():
        assert events_dispatch(now=event.starts_at - 20 * H, chunk=2).day_reminders == 3
        raise RuntimeError("worker killed before commit")
    assert not Message.objects.exists() and not Rsvp.objects.filter(reminded_day_at__isnull=False).exists()
    assert events_dispatch(now=event.starts_at - 20 * H, chunk=2).day_reminders == 3
    assert events_dispatch(now=event.starts_at - 19 * H, chunk=2).day_reminders == 0
    assert [len(_told(c)) for c in people] == [1, 1, 1, 0, 0]


def test_after_downtime_only_the_hour_reminder_goes_and_nothing_after_the_start(brand, club):
    event, people = club
    assert events_dispatch(now=event.starts_at - 30 * datetime.timedelta(minutes=1)).hour_reminders == 3
    assert events_dispatch(now=event.starts_at - 20 * datetime.timedelta(minutes=1)).day_reminders == 0
    assert [len(_told(c)) for c in people[:3]] == [1, 1, 1]
    late = factories.make_event(brand, starts_in_hours=30)
    _rsvp(late, people[0])
    result = events_dispatch(now=late.starts_at + 5 * datetime.timedelta(minutes=1))
    assert (result.day_reminders, result.hour_reminders) == (0, 0)


def test_cancelled_events_are_not_reminded(brand, marketer, club):
    event, _people = club
    from campaigns.events.services import event_update

    event_update(actor=marketer, event=event, title=event.title, place=event.place, starts_at=event.starts_at,
                 ends_at=event.ends_at, capacity=event.capacity, status="cancelled")
    assert events_dispatch(now=event.starts_at - 23 * H).day_reminders == 0


def test_customers_who_rsvp_inside_a_window_are_not_reminded_of_what_they_just_read(brand):
    event = factories.make_event(brand, starts_in_hours=5)
    _rsvp(event, factories.make_customer(brand))
    assert events_dispatch(now=event.starts_at - 4 * H).day_reminders == 0
    assert events_dispatch(now=event.starts_at - 0.5 * H).hour_reminders == 1


def test_the_campaign_dispatcher_task_sends_due_reminders(brand):
    from campaigns.tasks import dispatch_campaigns

    event = factories.make_event(brand, starts_in_hours=0.5)
    customer = factories.make_customer(brand, "Ann")
    _rsvp(event, customer)
    Rsvp.objects.update(reminded_day_at=None, reminded_hour_at=None)  # as if they had answered days ago
    dispatch_campaigns.apply()
    dispatch_campaigns.apply()
    assert len(_told(customer)) == 1 and _told(customer)[0].startswith("Reminder:")


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_split_the_work_and_send_each_reminder_once(brand):
    from crm.models import Customer

    event = factories.make_event(brand, capacity=300, starts_in_hours=48)
    Customer.objects.bulk_create([Customer(brand=brand, name=f"Fan {i}", email=f"f{i}@example.test")
                                  for i in range(300)])
    for customer in Customer.objects.filter(brand=brand):
        _rsvp(event, customer)
    now = event.starts_at - 23 * H
    results, barrier = [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(events_dispatch(now=now, chunk=50).day_reminders)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 300
    assert Message.objects.filter(brand=brand).count() == 300
    assert Message.objects.values("conversation").distinct().count() == 300
