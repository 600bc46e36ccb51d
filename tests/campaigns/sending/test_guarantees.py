"""The engine's guarantees (issue 10, item 9), on PostgreSQL, with real concurrency where the claim is about it:
two dispatchers at once start each campaign once and send each delivery once; a chunk whose worker died sends
no duplicates when retried, nor does a chunk sent twice at once; a run that went quiet is queued again;
quiet hours defer (never drop); the weekly budget is shared with reps' own 1:1 promotions; cancel stops what
has not gone out."""

import datetime
import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

from campaigns.authoring.services import campaign_cancel, campaign_schedule
from campaigns.models import (
    Campaign,
    CampaignRun,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    RunStatus,
)
from campaigns.sending.dispatcher import campaigns_dispatch, run_counts
from campaigns.sending.fanout import delivery_chunk_send
from chats.models import Message
from chats.services import Sender, conversation_for_customer, message_send
from crm.consent.services import contact_policy_save
from crm.models import PromotionContact
from privtraffic.tenancy.errors import ApplicationError
from tests import factories

PRODUCT = {"name": "BBQ set", "price": "899.00", "currency": "CNY", "url": "https://acme.cn/bbq"}


class Killed(Exception):
    """A worker dying before its chunk's transaction commits."""


def policy(brand, *, budget=3, quiet=(datetime.time(0, 0), datetime.time(0, 0))):
    contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=quiet[0],
                        quiet_hours_end=quiet[1], weekly_promotion_budget=budget)


def assert_each_sent_once(expected_messages):
    """Every message of a campaign is one delivery's (no client_msg_id twice), every delivery is settled."""
    ids = Counter(Message.objects.filter(client_msg_id__startswith="campaign-delivery:")
                  .values_list("client_msg_id", flat=True))
    assert sum(ids.values()) == expected_messages
    assert ids and max(ids.values()) == 1
    sent = Delivery.objects.filter(status=DeliveryStatus.SENT)
    assert sent.count() == expected_messages
    assert sorted(f"campaign-delivery:{pk}" for pk in sent.values_list("pk", flat=True)) == sorted(ids)
    assert PromotionContact.objects.count() == expected_messages


def run_in_threads(*targets):
    """Start every target at the same moment, each in its own thread (and its own database connection)."""
    barrier, errors, results = threading.Barrier(len(targets)), [], [None] * len(targets)

    def wrap(i, target):
        barrier.wait()
        try:
            results[i] = target()
        except Exception as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_start_each_campaign_once_and_send_each_delivery_once(brand, reachable, settings):
    settings.CAMPAIGN_CHUNK_SIZE = 3
    policy(brand, budget=10)
    customers = [reachable(f"Fan {i:02d}") for i in range(8)]
    campaigns = [factories.make_campaign(brand, name=f"Sale {i}") for i in range(6)]
    for campaign in campaigns:
        campaign_schedule(campaign=campaign, actor=factories.system(brand), send_at=None)

    first, second = run_in_threads(campaigns_dispatch, campaigns_dispatch)

    started = first.runs_started + second.runs_started
    assert len(started) == len(set(started)) == 6  # each due campaign started by exactly one dispatcher
    assert CampaignRun.objects.count() == 6
    assert Delivery.objects.count() == 6 * len(customers)
    assert_each_sent_once(6 * len(customers))
    assert set(Campaign.objects.values_list("status", flat=True)) == {CampaignStatus.SENT}
    for customer in customers:
        assert Message.objects.filter(conversation__customer=customer).count() == 6


def scheduled_run(brand, *, chunk_size=None, settings=None, **campaign_fields):
    """A campaign started by the dispatcher whose chunk tasks never ran (the worker died, the task was lost)."""
    if chunk_size:
        settings.CAMPAIGN_CHUNK_SIZE = chunk_size
    campaign = factories.make_campaign(brand, **campaign_fields)
    campaign_schedule(campaign=campaign, actor=factories.system(brand), send_at=None)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        campaigns_dispatch()
    return campaign, CampaignRun.objects.get(campaign=campaign), queued


def chunk(brand, run, number, now=None):
    return delivery_chunk_send(brand=brand, actor=factories.system(brand, "task:campaign_chunk"), run_id=run.pk,
                               chunk=number, now=now)


def test_a_chunk_whose_worker_died_before_commit_sends_no_duplicates_when_retried(brand, reachable):
    for i in range(3):
        reachable(f"Fan {i}")
    _campaign, run, queued = scheduled_run(brand)
    assert len(queued) == 1  # one chunk task queued on commit, never run

    with pytest.raises(Killed), transaction.atomic():
        result = chunk(brand, run, 0)
        assert result.sent == 3 and Message.objects.count() == 3  # written, then the worker dies
        raise Killed
    assert Message.objects.count() == 0 and not PromotionContact.objects.exists()
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3

    assert chunk(brand, run, 0).sent == 3  # redelivered (acks_late): sends what is still pending
    assert chunk(brand, run, 0).sent == 0  # and once more: nothing left
    assert_each_sent_once(3)


@pytest.mark.django_db(transaction=True)
def test_the_same_chunk_sent_twice_at_once_sends_each_recipient_once(brand, reachable):
    # Everyone deferred by quiet hours: at their end the chunk is queued again, and here it runs twice at once.
    policy(brand, quiet=(datetime.time(22, 0), datetime.time(8, 0)))
    for i in range(5):
        reachable(f"Fan {i}")
    night = datetime.datetime(2027, 1, 15, 23, 0, tzinfo=brand.tzinfo)
    morning = datetime.datetime(2027, 1, 16, 8, 0, 30, tzinfo=brand.tzinfo)
    campaign_schedule(campaign=factories.make_campaign(brand), actor=factories.system(brand), send_at=night)
    campaigns_dispatch(now=night)
    run = CampaignRun.objects.get()
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING, reason="quiet_hours").count() == 5
    holding, release = threading.Event(), threading.Event()

    def slow_worker():
        with transaction.atomic():
            result = chunk(brand, run, 0, now=morning)
            holding.set()  # its rows are claimed and its messages written, not yet committed
            release.wait(10)
        return result

    def duplicate():
        holding.wait(10)
        threading.Timer(0.3, release.set).start()
        return chunk(brand, run, 0, now=morning)

    slow, dup = run_in_threads(slow_worker, duplicate)
    assert (slow.sent, dup.sent) == (5, 0)
    assert_each_sent_once(5)


def test_a_run_that_went_quiet_is_queued_again_and_finishes(brand, reachable, settings):
    for i in range(5):
        reachable(f"Fan {i}")
    campaign, run, queued = scheduled_run(brand, chunk_size=2, settings=settings)
    assert len(queued) == 1 and run.chunks == 3  # one callback queues the three chunk tasks
    chunk(brand, run, 1)  # one chunk got through before the workers died
    started = run.progress_at

    with TestCase.captureOnCommitCallbacks(execute=True):
        soon = campaigns_dispatch(now=started + datetime.timedelta(seconds=settings.CAMPAIGN_STALE_SECONDS - 1))
    assert soon.chunks_queued == 0 and Message.objects.count() == 2  # not quiet for long enough yet

    late = started + datetime.timedelta(seconds=settings.CAMPAIGN_STALE_SECONDS + 1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = campaigns_dispatch(now=late)
    assert result.chunks_queued == 2  # only the unfinished chunks
    assert_each_sent_once(5)
    run.refresh_from_db()
    campaign.refresh_from_db()
    assert run.status == RunStatus.DONE and campaign.status == CampaignStatus.SENT


def test_quiet_hours_defer_to_their_end_in_the_brand_time_zone_and_never_drop(brand, reachable):
    policy(brand, quiet=(datetime.time(22, 0), datetime.time(8, 0)))  # Asia/Shanghai
    mei = reachable("Mei Lin")
    night = datetime.datetime(2027, 1, 15, 23, 0, tzinfo=brand.tzinfo)
    end = datetime.datetime(2027, 1, 16, 8, 0, tzinfo=brand.tzinfo)
    campaign = factories.make_campaign(brand)
    campaign_schedule(campaign=campaign, actor=factories.system(brand), send_at=night)

    with TestCase.captureOnCommitCallbacks(execute=True):
        campaigns_dispatch(now=night)
    delivery = Delivery.objects.get(customer=mei)
    assert (delivery.status, delivery.reason, delivery.not_before) == (DeliveryStatus.PENDING, "quiet_hours", end)
    assert not Message.objects.exists()
    assert run_counts(run=delivery.run)["by_reason"] == {"quiet_hours": 1}

    with TestCase.captureOnCommitCallbacks(execute=True):
        campaigns_dispatch(now=end - datetime.timedelta(minutes=1))
    assert not Message.objects.exists()

    after = end + datetime.timedelta(seconds=30)
    with TestCase.captureOnCommitCallbacks(execute=True):
        campaigns_dispatch(now=after)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason, delivery.sent_at) == (DeliveryStatus.SENT, "", after)
    assert Message.objects.get(conversation__customer=mei).body == "Hi Mei, 20% off this week."
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_a_campaign_that_took_the_last_slot_leaves_none_for_the_rep(brand, rep, reachable):
    policy(brand, budget=1)
    mei = reachable("Mei Lin", assigned_rep=rep)
    factories.send_campaign_now(factories.make_campaign(brand))
    assert Delivery.objects.get(customer=mei).status == DeliveryStatus.SENT

    conversation = conversation_for_customer(customer=mei)
    with pytest.raises(ApplicationError) as exc:
        message_send(conversation=conversation, sender=Sender.of_staff(rep), kind="product", body="", payload=PRODUCT)
    assert (exc.value.code, exc.value.status) == ("weekly_budget_spent", 409)
    assert Message.objects.filter(conversation=conversation).count() == 1
    assert PromotionContact.objects.filter(customer=mei).count() == 1


def test_a_rep_who_took_the_last_slot_leaves_none_for_the_campaign(brand, rep, reachable):
    policy(brand, budget=1)
    mei = reachable("Mei Lin", assigned_rep=rep)
    bo = reachable("Bo Chen")
    message_send(conversation=conversation_for_customer(customer=mei), sender=Sender.of_staff(rep), kind="product",
                 body="", payload=PRODUCT)

    factories.send_campaign_now(factories.make_campaign(brand))

    mine = Delivery.objects.get(customer=mei)
    assert (mine.status, mine.reason) == (DeliveryStatus.SKIPPED, "budget")
    assert Delivery.objects.get(customer=bo).status == DeliveryStatus.SENT
    assert Message.objects.filter(conversation__customer=mei).count() == 1  # the rep's card only
    assert PromotionContact.objects.filter(customer=mei).count() == 1


def test_cancel_stops_what_has_not_gone_out(brand, reachable, settings):
    for i in range(5):
        reachable(f"Fan {i}")
    campaign, run, queued = scheduled_run(brand, chunk_size=2, settings=settings)
    chunk(brand, run, 0)  # two went out

    campaign_cancel(campaign=campaign, actor=factories.system(brand))
    for callback in queued:  # the chunk tasks queued before the cancel now run: nothing more goes out
        callback()
    with TestCase.captureOnCommitCallbacks(execute=True):
        campaigns_dispatch(now=timezone.now() + datetime.timedelta(hours=1))

    assert Message.objects.count() == 2
    counts = run_counts(run=run)
    assert (counts["sent"], counts["skipped"], counts["pending"]) == (2, 3, 0)
    assert counts["by_reason"] == {"cancelled": 3}
    run.refresh_from_db()
    campaign.refresh_from_db()
    assert (run.status, campaign.status) == (RunStatus.CANCELLED, CampaignStatus.CANCELLED)


def test_a_cancelled_schedule_never_starts(brand, reachable):
    reachable("Mei Lin")
    campaign = factories.make_campaign(brand, recurrence={"days": [4], "time": "20:00"})
    campaign = campaign_schedule(campaign=campaign, actor=factories.system(brand), send_at=None)
    due = campaign.next_run_at
    campaign_cancel(campaign=campaign, actor=factories.system(brand))

    with TestCase.captureOnCommitCallbacks(execute=True):
        result = campaigns_dispatch(now=due + datetime.timedelta(days=30))
    assert result.runs_started == [] and not CampaignRun.objects.exists() and not Message.objects.exists()
