"""The outbox relay through the real broker and a real Celery worker process."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from privtraffic.celery import app as celery_app
from privtraffic.events.models import Event
from privtraffic.events.services import event_record

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_real_worker_relays_an_event_recorded_on_commit(brand):
    if not settings.REDIS_URL:
        pytest.fail("make test provides REDIS_URL; the worker test needs the real broker")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privtraffic.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "privtraffic", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=warning"],
        cwd=ROOT, env=env,
    )
    eager, default_queue = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        event = event_record(brand=brand, type="worker.check", payload={"hello": "world"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if Event.objects.filter(pk=event.pk, relayed_at__isnull=False).exists():
                break
            assert worker.poll() is None, "the worker exited"
            time.sleep(0.2)
        else:
            pytest.fail("the worker did not relay the event within 30s")
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.task_default_queue = default_queue
        worker.terminate()
        worker.wait(15)
