"""RSVP, cancel, the waitlist and its promotion, editing an event, and every check-in refusal."""

import datetime

import pytest
from django.utils import timezone

from campaigns.events.models import Rsvp
from campaigns.events.services import (
    checkin_code_display,
    checkin_code_normalize,
    event_checkin,
    event_rsvp,
    event_rsvp_cancel,
    event_update,
)
from chats.models import Conversation, Message, MessageKind
from privtraffic.events.models import Event as OutboxEvent
from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.errors import ApplicationError
from tests import factories


def _rsvp(event, customer):
    return event_rsvp(actor=CustomerActor(customer), event=event, customer=customer)


def _cancel(event, customer):
    return event_rsvp_cancel(actor=CustomerActor(customer), event=event, customer=customer)


def _update(event, actor, **changes):
    fields = {"title": event.title, "place": event.place, "starts_at": event.starts_at, "ends_at": event.ends_at,
              "capacity": event.capacity, "description": event.description, "status": event.status}
    fields.update(changes)
    return event_update(actor=actor, event=event, **fields)


def test_rsvps_fill_the_seats_then_the_waitlist_in_order(brand):
    event = factories.make_event(brand, capacity=2)
    people = [factories.make_customer(brand, f"Runner {i}") for i in range(4)]
    rsvps = [_rsvp(event, c) for c in people]
    assert [r.status for r in rsvps] == ["going", "going", "waitlisted", "waitlisted"]
    assert [r.waitlist_position for r in rsvps] == [None, None, 1, 2]
    event.refresh_from_db()
    assert (event.seats_taken, event.seats_left) == (2, 0)
    # Pressing RSVP again answers the same RSVP and takes nothing.
    again = _rsvp(event, people[0])
    assert again.pk == rsvps[0].pk and again.status == "going"
    event.refresh_from_db()
    assert event.seats_taken == 2 and Rsvp.objects.filter(event=event).count() == 4
    # Check-in codes are unguessable and unique.
    codes = {r.checkin_code for r in rsvps}
    assert len(codes) == 4 and all(len(c) == 10 for c in codes)
    types = list(OutboxEvent.objects.filter(brand=brand, type="event.rsvp").values_list("payload__status", flat=True))
    assert types == ["going", "going", "waitlisted", "waitlisted"]


def test_cancelling_a_seat_promotes_the_first_waitlisted_and_tells_them_in_their_chat(brand):
    event = factories.make_event(brand, capacity=1, title="Skincare class")
    first, second, third = (factories.make_customer(brand, n) for n in ("Ann", "Bo", "Cy"))
    for c in (first, second, third):
        _rsvp(event, c)

    cancelled = _cancel(event, first)

    assert cancelled.status == "cancelled"
    assert Rsvp.objects.get(event=event, customer=second).status == "going"
    assert Rsvp.objects.get(event=event, customer=second).promoted_at is not None
    assert Rsvp.objects.get(event=event, customer=third).status == "waitlisted"
    event.refresh_from_db()
    assert event.seats_taken == 1  # the seat moved; it never became free
    told = Message.objects.get(conversation__customer=second)
    assert told.kind == MessageKind.EVENT and told.payload == {"title": "Skincare class", "ref": event.pk}
    assert "a seat opened up" in told.body and "Skincare class" in told.body
    assert not Message.objects.filter(conversation__customer=third).exists()
    assert not Message.objects.filter(conversation__customer=first).exists()
    promoted = OutboxEvent.objects.filter(brand=brand, type="event.rsvp", payload__promoted=True)
    assert [e.payload["customer"] for e in promoted] == [second.pk]


def test_cancelling_when_nobody_waits_frees_the_seat_and_rsvp_again_rejoins(brand):
    event = factories.make_event(brand, capacity=1)
    ann = factories.make_customer(brand, "Ann")
    code = _rsvp(event, ann).checkin_code
    _cancel(event, ann)
    event.refresh_from_db()
    assert event.seats_taken == 0
    back = _rsvp(event, ann)
    assert back.status == "going" and back.checkin_code == code  # the same code, the same row
    with pytest.raises(ApplicationError) as twice:
        _cancel(event, ann)
        _cancel(event, ann)
    assert twice.value.code == "no_rsvp"


def test_leaving_the_waitlist_moves_the_others_up(brand, client):
    event = factories.make_event(brand, capacity=1)
    people = [factories.make_customer(brand, f"P{i}") for i in range(4)]
    for c in people:
        _rsvp(event, c)
    _cancel(event, people[1])  # waitlist #1 leaves
    event.refresh_from_db()
    assert event.seats_taken == 1
    from campaigns.events.selectors import waitlist_rank

    assert [waitlist_rank(brand, rsvp=Rsvp.objects.get(event=event, customer=c)) for c in people[2:]] == [1, 2]


def test_rsvp_refusals(brand, other_brand):
    ann = factories.make_customer(brand, "Ann")
    started = factories.make_event(brand, starts_in_hours=-0.5)
    with pytest.raises(ApplicationError) as late:
        _rsvp(started, ann)
    assert late.value.code == "event_started" and late.value.status == 409
    draft = factories.make_event(brand, status="draft")
    with pytest.raises(ApplicationError) as closed:
        _rsvp(draft, ann)
    assert closed.value.code == "event_closed"
    cancelled = factories.make_event(brand, status="cancelled")
    with pytest.raises(ApplicationError) as gone:
        _rsvp(cancelled, ann)
    assert gone.value.code == "event_cancelled"
    foreign = factories.make_event(other_brand)
    with pytest.raises(ApplicationError) as other:
        _rsvp(foreign, ann)
    assert other.value.status == 404
    # A customer answers only for themselves.
    bo = factories.make_customer(brand, "Bo")
    event = factories.make_event(brand)
    with pytest.raises(ApplicationError) as someone_else:
        event_rsvp(actor=CustomerActor(ann), event=event, customer=bo)
    assert someone_else.value.status == 404
    assert not Rsvp.objects.exists()


def test_more_seats_promote_the_waitlist_and_fewer_than_going_is_refused(brand, marketer):
    event = factories.make_event(brand, capacity=2)
    people = [factories.make_customer(brand, f"P{i}") for i in range(5)]
    for c in people:
        _rsvp(event, c)
    with pytest.raises(ApplicationError) as shrink:
        _update(event, marketer, capacity=1)
    assert "capacity" in shrink.value.fields
    _update(event, marketer, capacity=4)
    event.refresh_from_db()
    assert event.seats_taken == 4
    statuses = [Rsvp.objects.get(event=event, customer=c).status for c in people]
    assert statuses == ["going", "going", "going", "going", "waitlisted"]
    assert Message.objects.filter(conversation__customer__in=people[2:4]).count() == 2


def test_editing_needs_the_campaigns_permission_and_checks_the_fields(brand, rep, marketer):
    event = factories.make_event(brand)
    with pytest.raises(ApplicationError) as refused:
        _update(event, rep, title="Mine now")
    assert refused.value.status == 403
    with pytest.raises(ApplicationError) as bad:
        _update(event, marketer, title="", ends_at=event.starts_at - datetime.timedelta(hours=1), capacity=0)
    assert set(bad.value.fields) == {"title", "ends_at", "capacity"}


@pytest.fixture
def door(brand, rep):
    event = factories.make_event(brand, capacity=2, title="Run club")
    ann, bo, cy = (factories.make_customer(brand, n) for n in ("Ann", "Bo", "Cy"))
    return {"event": event, "ann": _rsvp(event, ann), "bo": _rsvp(event, bo), "cy": _rsvp(event, cy), "rep": rep}


def test_check_in_by_typed_code_in_any_case_with_or_without_the_dash(brand, door):
    code = checkin_code_display(door["ann"].checkin_code).lower()
    rsvp = event_checkin(actor=door["rep"], event=door["event"], code=f"  {code} ")
    assert rsvp.status == "checked_in" and rsvp.checked_in_by == door["rep"] and rsvp.checked_in_at
    event = OutboxEvent.objects.get(brand=brand, type="event.checked_in")
    assert event.payload["customer"] == door["ann"].customer_id


@pytest.mark.parametrize("case,code", [
    ("unknown", "ABCDE-FGHJK"),
    ("garbage", "not a code at all"),
    ("unicode digits", "２３４５６７８９ＡＢ"),
    ("not a string", 12345),
])
def test_check_in_refuses_codes_nobody_holds(door, case, code):
    with pytest.raises(ApplicationError) as refused:
        event_checkin(actor=door["rep"], event=door["event"], code=code)
    assert refused.value.code == "checkin_code_unknown" and refused.value.fields == {
        "code": ["No RSVP has this code. Check it and try again."]}
    assert not Rsvp.objects.filter(status="checked_in").exists()


def test_check_in_refusals_are_specific(brand, other_brand, door):
    event, rep = door["event"], door["rep"]
    event_checkin(actor=rep, event=event, code=door["ann"].checkin_code)
    with pytest.raises(ApplicationError) as again:
        event_checkin(actor=rep, event=event, code=door["ann"].checkin_code)
    assert again.value.code == "already_checked_in" and "Ann already checked in at" in again.value.message
    with pytest.raises(ApplicationError) as waiting:
        event_checkin(actor=rep, event=event, code=door["cy"].checkin_code)
    assert waiting.value.code == "rsvp_waitlisted"
    other_event = factories.make_event(brand, title="Yoga")
    dee = factories.make_customer(brand, "Dee")
    elsewhere = _rsvp(other_event, dee)
    with pytest.raises(ApplicationError) as other:
        event_checkin(actor=rep, event=event, code=elsewhere.checkin_code)
    assert other.value.code == "checkin_other_event" and "Yoga" in other.value.message
    _cancel(event, door["bo"].customer)
    with pytest.raises(ApplicationError) as cancelled:
        event_checkin(actor=rep, event=event, code=door["bo"].checkin_code)
    assert cancelled.value.code == "rsvp_cancelled"
    # Another brand's code is unknown here (its existence is never confirmed).
    foreign = factories.make_event(other_brand)
    stranger = _rsvp(foreign, factories.make_customer(other_brand, "Zed"))
    with pytest.raises(ApplicationError) as unknown:
        event_checkin(actor=rep, event=event, code=stranger.checkin_code)
    assert unknown.value.code == "checkin_code_unknown"
    # And another brand's rep cannot check in at this event at all.
    with pytest.raises(ApplicationError) as foreign_rep:
        event_checkin(actor=factories.make_member(other_brand), event=event, code=door["bo"].checkin_code)
    assert foreign_rep.value.status == 404


def test_a_checked_in_customer_cannot_cancel(door):
    event_checkin(actor=door["rep"], event=door["event"], code=door["ann"].checkin_code)
    with pytest.raises(ApplicationError) as refused:
        _cancel(door["event"], door["ann"].customer)
    assert refused.value.code == "already_checked_in"


def test_code_normalisation():
    assert checkin_code_normalize("abcde-fghjk") == "ABCDEFGHJK"
    assert checkin_code_normalize("ABCDE FGHJ0") is None  # 0 is not in the alphabet
    assert checkin_code_normalize("x" * 1000) is None
    assert checkin_code_normalize(None) is None


def test_moving_the_start_re_arms_the_reminders(brand, marketer):
    event = factories.make_event(brand, starts_in_hours=3)
    rsvp = _rsvp(event, factories.make_customer(brand))
    assert rsvp.reminded_day_at is not None and rsvp.reminded_hour_at is None  # inside the day window already
    later = event.starts_at + datetime.timedelta(days=3)
    _update(event, marketer, starts_at=later, ends_at=later + datetime.timedelta(hours=2))
    rsvp.refresh_from_db()
    assert rsvp.reminded_day_at is None and rsvp.reminded_hour_at is None
    assert timezone.now() < later
    assert Conversation.objects.count() == 0  # nobody was messaged by the edit itself
