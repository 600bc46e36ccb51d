import pytest

from privtraffic.events.models import Event
from privtraffic.ticker import PeriodicTicker

pytestmark = pytest.mark.django_db


def test_ticker_runs_each_task_at_its_interval(brand):
    schedule = {
        "often": {"task": "privtraffic.events.tasks.relay_pending_events", "seconds": 10},
        "rarely": {"task": "privtraffic.events.tasks.prune_events", "seconds": 3600},
    }
    ticker = PeriodicTicker(schedule=schedule)
    assert ticker.run_due(1000.0) == ["often", "rarely"]
    assert ticker.run_due(1005.0) == []
    assert ticker.run_due(1010.0) == ["often"]
    assert ticker.run_due(4600.0) == ["often", "rarely"]


def test_ticker_runs_the_same_schedule_as_beat(settings):
    from privtraffic.celery import app as celery_app

    ticker = PeriodicTicker()
    assert ticker.schedule == settings.PERIODIC_TASKS
    assert {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()} == {e["task"] for e in settings.PERIODIC_TASKS.values()}
    celery_app.loader.import_default_modules()
    for entry in settings.PERIODIC_TASKS.values():
        assert entry["task"] in celery_app.tasks


def test_ticker_relays_what_a_lost_task_left_behind(brand):
    from datetime import timedelta

    from django.utils import timezone

    event = Event.objects.create(brand=brand, type="x", payload={})
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    PeriodicTicker().run_due(0.0)
    event.refresh_from_db()
    assert event.relayed_at is not None
