import datetime

import pytest
from django.utils import timezone

from chats.analytics import selectors
from chats.analytics.services import analytics_days_fill
from chats.models import Message, MessageDayStat, ResponseDayStat
from chats.services import Sender, message_send
from tests import factories

pytestmark = pytest.mark.django_db


def _send(conversation, sender, at):
    message = message_send(conversation=conversation, sender=sender, body="hi")
    Message.objects.filter(pk=message.pk).update(created_at=at)
    return message


def first_response_stats(brand, *, start, store_id=None):
    """The overview's order: fill the finished days' rollups, then read."""
    analytics_days_fill(brand=brand, actor=factories.system(brand), since=start.astimezone(brand.tzinfo).date())
    return selectors.first_response_stats(brand, start=start, store_id=store_id)


def message_counts_by_day(brand, *, start, store_id=None):
    analytics_days_fill(brand=brand, actor=factories.system(brand), since=start.astimezone(brand.tzinfo).date())
    return selectors.message_counts_by_day(brand, start=start, store_id=store_id)


def _customer(brand, rep, **fields):
    return factories.make_customer(brand, assigned_rep=rep, consent_chat=True, **fields)


def test_first_response_is_the_median_wait_from_a_customer_turn_to_the_next_staff_message(brand, rep, other_rep):
    now = timezone.now() - datetime.timedelta(hours=5)
    start = now - datetime.timedelta(days=1)
    a = factories.make_conversation(brand, _customer(brand, rep))
    # Two customer messages in a row are one wait (from the first); the bot does not answer it.
    _send(a, Sender.of_customer(a.customer), now)
    _send(a, Sender.of_customer(a.customer), now + datetime.timedelta(seconds=30))
    _send(a, Sender.bot("Helper", "helper"), now + datetime.timedelta(seconds=40))
    _send(a, Sender.of_staff(rep), now + datetime.timedelta(seconds=60))
    _send(a, Sender.of_customer(a.customer), now + datetime.timedelta(minutes=10))
    _send(a, Sender.of_staff(rep), now + datetime.timedelta(minutes=13))
    b = factories.make_conversation(brand, _customer(brand, other_rep))
    _send(b, Sender.of_customer(b.customer), now)
    _send(b, Sender.of_staff(other_rep), now + datetime.timedelta(minutes=30))
    _send(b, Sender.of_customer(b.customer), now + datetime.timedelta(minutes=40))  # not answered yet: no figure

    stats = first_response_stats(brand, start=start)
    assert stats["count"] == 3
    # Medians come from a histogram: within half a step (5 s under 2 min, 15 s to 10 min, 1 min to an hour).
    assert stats["median"] == pytest.approx(180, abs=8)
    assert stats["by_user"][rep.user_id] == {"median": pytest.approx(120, abs=8), "count": 2}
    assert stats["by_user"][other_rep.user_id] == {"median": pytest.approx(1800, abs=30), "count": 1}


def test_first_response_leaves_out_other_brands_other_stores_and_older_messages(brand, other_brand, rep):
    now = timezone.now() - datetime.timedelta(hours=2)
    conversation = factories.make_conversation(brand, _customer(brand, rep))
    _send(conversation, Sender.of_customer(conversation.customer), now - datetime.timedelta(days=3))
    _send(conversation, Sender.of_staff(rep), now - datetime.timedelta(days=3) + datetime.timedelta(minutes=1))
    other_rep = factories.make_member(other_brand, store=factories.make_store(other_brand))
    theirs = factories.make_conversation(other_brand, _customer(other_brand, other_rep))
    _send(theirs, Sender.of_customer(theirs.customer), now)
    _send(theirs, Sender.of_staff(other_rep), now + datetime.timedelta(minutes=1))

    assert first_response_stats(brand, start=now - datetime.timedelta(days=1))["count"] == 0
    assert first_response_stats(brand, start=now - datetime.timedelta(days=7))["count"] == 1
    elsewhere = factories.make_store(brand, "Elsewhere")
    assert first_response_stats(brand, start=now - datetime.timedelta(days=7), store_id=elsewhere.pk)["count"] == 0
    assert first_response_stats(brand, start=now - datetime.timedelta(days=7), store_id=rep.store_id)["count"] == 1


def test_messages_are_counted_per_day_by_customers_and_by_staff(brand, rep):
    conversation = factories.make_conversation(brand, _customer(brand, rep))
    now = timezone.now()
    _send(conversation, Sender.of_customer(conversation.customer), now)
    _send(conversation, Sender.of_customer(conversation.customer), now)
    _send(conversation, Sender.of_staff(rep), now)
    _send(conversation, Sender.system(), now)
    counts = message_counts_by_day(brand, start=now - datetime.timedelta(days=1))
    today = timezone.localdate(now, timezone=brand.tzinfo)
    assert counts == {today: {"customer": 2, "staff": 1}}


def test_finished_days_are_rolled_up_once_and_today_stays_live(brand, rep):
    conversation = factories.make_conversation(brand, _customer(brand, rep))
    now = timezone.now()
    two_days_ago = now - datetime.timedelta(days=2)
    _send(conversation, Sender.of_customer(conversation.customer), two_days_ago)
    _send(conversation, Sender.of_staff(rep), two_days_ago + datetime.timedelta(minutes=4))
    start = now - datetime.timedelta(days=7)
    system = factories.system(brand)
    since = start.astimezone(brand.tzinfo).date()
    assert analytics_days_fill(brand=brand, actor=system, since=since) == 7
    assert analytics_days_fill(brand=brand, actor=system, since=since) == 0  # each finished day once
    assert ResponseDayStat.objects.get(brand=brand).count == 1
    assert MessageDayStat.objects.filter(brand=brand).count() == 1
    # Today is read live: a message sent now counts at once, with the rolled-up days.
    _send(conversation, Sender.of_customer(conversation.customer), now - datetime.timedelta(seconds=90))
    _send(conversation, Sender.of_staff(rep), now - datetime.timedelta(seconds=30))
    stats = selectors.first_response_stats(brand, start=start)
    assert stats["count"] == 2 and stats["median"] == pytest.approx((240 + 60) / 2, abs=8)
    counts = selectors.message_counts_by_day(brand, start=start)
    assert sum(day["customer"] for day in counts.values()) == 2 and sum(day["staff"] for day in counts.values()) == 2


def test_rolling_up_another_brands_days_is_refused(brand, other_brand):
    from privtraffic.tenancy.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        analytics_days_fill(brand=other_brand, actor=factories.system(brand), since=timezone.localdate())
    assert exc.value.status == 404


def test_histogram_median_matches_the_exact_median_within_half_a_step():
    import random
    import statistics

    from chats.analytics.rollup import bucket_of, histogram_median

    rng = random.Random(3)
    for _ in range(50):
        waits = [rng.expovariate(1 / 300) for _ in range(rng.randint(1, 400))]
        histogram: dict = {}
        for w in waits:
            histogram[str(bucket_of(w))] = histogram.get(str(bucket_of(w)), 0) + 1
        exact = statistics.median(waits)
        assert abs(histogram_median(histogram) - exact) <= max(30, exact * 0.05)
    assert histogram_median({}) is None


def test_finished_days_sum_per_responder_across_days_and_stores(brand, rep, other_rep):
    """The rolled-up days are summed by the database per responder and bucket: the period's figures, a store's
    figures and each rep's are those of the waits themselves, whatever day and store they fell on."""
    far = factories.make_member(brand, "rep", store=factories.make_store(brand, "Xuhui"),
                                user=factories.make_user(name="Fay Far"))
    now = timezone.now()
    waits = [(rep, 3, 60), (rep, 2, 120), (rep, 2, 240), (other_rep, 3, 600), (far, 2, 1800), (far, 4, 1800)]
    for responder, days_ago, seconds in waits:
        conversation = factories.make_conversation(brand, _customer(brand, responder))
        asked = now - datetime.timedelta(days=days_ago)
        _send(conversation, Sender.of_customer(conversation.customer), asked)
        _send(conversation, Sender.of_staff(responder), asked + datetime.timedelta(seconds=seconds))
    start = now - datetime.timedelta(days=6)
    stats = first_response_stats(brand, start=start)
    assert ResponseDayStat.objects.filter(brand=brand).count() >= 4  # several finished days were rolled up
    assert stats["count"] == 6 and stats["median"] == pytest.approx((240 + 600) / 2, abs=30)
    assert stats["by_user"][rep.user_id] == {"median": pytest.approx(120, abs=8), "count": 3}
    assert stats["by_user"][other_rep.user_id] == {"median": pytest.approx(600, abs=30), "count": 1}
    assert stats["by_user"][far.user_id] == {"median": pytest.approx(1800, abs=30), "count": 2}
    xuhui = selectors.first_response_stats(brand, start=start, store_id=far.store_id)
    assert xuhui["count"] == 2 and set(xuhui["by_user"]) == {far.user_id}
    jingan = selectors.first_response_stats(brand, start=start, store_id=rep.store_id)
    assert jingan["count"] == 4 and set(jingan["by_user"]) == {rep.user_id, other_rep.user_id}
