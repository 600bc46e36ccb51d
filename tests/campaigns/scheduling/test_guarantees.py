"""Schedules live in the database: a restart of either run mode loses nothing (beat's task in the full stack,
the in-process ticker in the embedded default, the same task); recurring schedules keep their wall-clock time
in the brand's zone across daylight-saving changes, in next_occurrence and in the dispatcher's next_run_at."""

import datetime
import time
import zoneinfo

import pytest
from django.conf import settings
from django.test import TestCase
from django.utils import timezone

import campaigns.tasks  # noqa: F401  (registers the tasks the ticker looks up by name)
from campaigns.authoring.services import campaign_schedule
from campaigns.models import CampaignRun, CampaignStatus, Delivery, DeliveryStatus
from campaigns.scheduling.recurrence import next_occurrence, occurrences_between
from campaigns.sending.dispatcher import campaigns_dispatch
from chats.models import Message
from privtraffic.ticker import PeriodicTicker
from tests import factories

UTC = datetime.UTC
NEW_YORK, BERLIN = zoneinfo.ZoneInfo("America/New_York"), zoneinfo.ZoneInfo("Europe/Berlin")
FRIDAY_8PM = {"days": [4], "time": "20:00"}


def test_the_dispatch_task_is_periodic_in_both_run_modes():
    entry = settings.PERIODIC_TASKS["campaigns-dispatch"]
    assert entry["task"] == "campaigns.tasks.dispatch_campaigns"
    assert settings.CELERY_BEAT_SCHEDULE["campaigns-dispatch"]["task"] == entry["task"]  # beat: the same task


def beat_tick():
    """Full stack: beat sends the periodic task to a worker (run here in-process, as a worker would)."""
    campaigns.tasks.dispatch_campaigns.apply()


def ticker_tick():
    """Embedded default: a fresh process's ticker, with the schedule both modes share."""
    PeriodicTicker(schedule={"campaigns-dispatch": settings.PERIODIC_TASKS["campaigns-dispatch"]}).run_due(
        time.monotonic())


@pytest.mark.parametrize("tick", [beat_tick, ticker_tick], ids=["beat", "ticker"])
def test_a_schedule_survives_a_restart(brand, reachable, tick):
    mei = reachable("Mei Lin")
    campaign = factories.make_campaign(brand)
    campaign_schedule(campaign=campaign, actor=factories.system(brand),
                      send_at=timezone.now() + datetime.timedelta(seconds=1.5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        tick()  # the process before the restart: not due yet
    assert not CampaignRun.objects.exists()

    # The restart: no process memory survives; only the database. The next process's first tick sends it.
    time.sleep(1.6)
    with TestCase.captureOnCommitCallbacks(execute=True):
        tick()
    assert Delivery.objects.get(customer=mei).status == DeliveryStatus.SENT
    assert Message.objects.filter(conversation__customer=mei).count() == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    with TestCase.captureOnCommitCallbacks(execute=True):
        tick()  # and once more: nothing twice
    assert Message.objects.count() == 1 and CampaignRun.objects.count() == 1


@pytest.mark.parametrize(("tz", "before", "after"), [
    # New York leaves daylight time on 1 November 2026, Berlin on 25 October 2026.
    (NEW_YORK, datetime.datetime(2026, 10, 31, 0, 0, tzinfo=UTC), datetime.datetime(2026, 11, 7, 1, 0, tzinfo=UTC)),
    (BERLIN, datetime.datetime(2026, 10, 23, 18, 0, tzinfo=UTC), datetime.datetime(2026, 10, 30, 19, 0, tzinfo=UTC)),
    # ... and enters it on 14 March 2027 (New York), 28 March 2027 (Berlin).
    (NEW_YORK, datetime.datetime(2027, 3, 13, 1, 0, tzinfo=UTC), datetime.datetime(2027, 3, 20, 0, 0, tzinfo=UTC)),
    (BERLIN, datetime.datetime(2027, 3, 26, 19, 0, tzinfo=UTC), datetime.datetime(2027, 4, 2, 18, 0, tzinfo=UTC)),
], ids=["new-york-fall", "berlin-fall", "new-york-spring", "berlin-spring"])
def test_every_friday_8pm_stays_8pm_local_across_a_daylight_saving_change(tz, before, after):
    assert next_occurrence(FRIDAY_8PM, after=before - datetime.timedelta(days=3), tz=tz) == before
    assert next_occurrence(FRIDAY_8PM, after=before, tz=tz) == after
    for moment in (before, after):
        local = moment.astimezone(tz)
        assert (local.weekday(), local.hour, local.minute) == (4, 20, 0)
    assert occurrences_between(FRIDAY_8PM, start=before, end=after + datetime.timedelta(seconds=1), tz=tz) == [
        before, after]


def test_a_time_that_does_not_exist_runs_after_the_jump_and_a_repeated_one_once():
    daily = {"cron": "30 2 * * *"}
    # 14 March 2027, New York: 02:00 -> 03:00. 02:30 does not exist: it runs at 03:30 local.
    spring = next_occurrence(daily, after=datetime.datetime(2027, 3, 14, 5, 0, tzinfo=UTC), tz=NEW_YORK)
    assert spring.astimezone(NEW_YORK).replace(tzinfo=None) == datetime.datetime(2027, 3, 14, 3, 30)
    # 1 November 2026: 01:00-02:00 happens twice; 01:30 runs once, at the first.
    twice = {"cron": "30 1 * * *"}
    fall = occurrences_between(twice, start=datetime.datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
                               end=datetime.datetime(2026, 11, 2, 0, 0, tzinfo=UTC), tz=NEW_YORK)
    assert fall == [datetime.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]


def test_the_dispatcher_keeps_a_recurring_campaign_at_8pm_local_across_the_change(brand, reachable):
    brand.time_zone = "America/New_York"
    brand.save(update_fields=["time_zone"])
    mei = reachable("Mei Lin")
    campaign = factories.make_campaign(brand, recurrence=FRIDAY_8PM)
    campaign = campaign_schedule(campaign=campaign, actor=factories.system(brand),
                                 send_at=datetime.datetime(2027, 3, 10, 12, 0, tzinfo=NEW_YORK))
    first = datetime.datetime(2027, 3, 13, 1, 0, tzinfo=UTC)  # Friday 12 March, 20:00 EST
    second = datetime.datetime(2027, 3, 20, 0, 0, tzinfo=UTC)  # Friday 19 March, 20:00 EDT
    assert campaign.next_run_at == first

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert campaigns_dispatch(now=first - datetime.timedelta(minutes=1)).runs_started == []
    with TestCase.captureOnCommitCallbacks(execute=True):
        campaigns_dispatch(now=first)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.next_run_at) == (CampaignStatus.SCHEDULED, second)

    with TestCase.captureOnCommitCallbacks(execute=True):
        campaigns_dispatch(now=second + datetime.timedelta(seconds=5))
    campaign.refresh_from_db()
    runs = list(CampaignRun.objects.filter(campaign=campaign).order_by("due_at"))
    assert [r.due_at for r in runs] == [first, second]
    assert {(r.due_at.astimezone(NEW_YORK).weekday(), r.due_at.astimezone(NEW_YORK).hour) for r in runs} == {(4, 20)}
    assert campaign.next_run_at == datetime.datetime(2027, 3, 27, 0, 0, tzinfo=UTC)
    assert Message.objects.filter(conversation__customer=mei).count() == 2
