"""A Celery worker for tests/faults/test_worker_killed.py: the app's worker, plus two outbox subscribers of the
test event type `faults.check` that write a row each in the relay's transaction. The second one, the first time
it runs, records its process id in FAULTS_MARKER and sleeps: the test SIGKILLs that process mid-relay.

    python tests/faults/slow_worker.py QUEUE
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privtraffic.settings.test")

import django  # noqa: E402

django.setup()

from crm.models import Customer  # noqa: E402
from privtraffic.celery import app  # noqa: E402
from privtraffic.events.registry import subscribe  # noqa: E402

MARKER = Path(os.environ["FAULTS_MARKER"])


@subscribe("faults.check", name="faults.first")
def first(event) -> None:
    Customer.objects.create(brand_id=event.brand_id, name=f"first {event.id}")


@subscribe("faults.check", name="faults.slow")
def slow(event) -> None:
    Customer.objects.create(brand_id=event.brand_id, name=f"slow {event.id}")
    if not MARKER.exists():
        MARKER.write_text(str(os.getpid()))
        time.sleep(300)  # killed here, inside the relay's open transaction


if __name__ == "__main__":
    app.worker_main(["worker", "--pool=prefork", "--concurrency=1", "-Q", sys.argv[1], "--without-heartbeat",
                     "--without-gossip", "--without-mingle", "--loglevel=warning"])
