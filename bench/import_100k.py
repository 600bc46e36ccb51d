#!/usr/bin/env python
"""Time a 100,000-row customer import (and exporting them again) against PostgreSQL.

Not part of the test suite or `make bench`. Run it on its own:

    python bench/import_100k.py               # starts a throwaway PostgreSQL + Redis (tests/testenv.py)
    DATABASE_URL=... python bench/import_100k.py

It builds a brand with 10,000 existing customers, generates a 100,000-row CSV
(10% of the rows update those customers), then times each step of the import the
way the API runs it: reading the file, the synchronous check of every row that
answers the POST, the task (check again + write everything in one transaction),
and relaying the outbox events. Figures go to stdout.
"""

import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privtraffic.settings.base")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")

ROWS = 100_000
EXISTING = 10_000


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_csv(rows: int) -> bytes:
    lines = ["name,email,phone,consent_chat,consent_promotions"]
    for i in range(rows):
        # Every tenth row is a customer the brand already has (matched by email).
        lines.append(f"Customer {i},c{i}@example.test,+86138{i:08d},{'yes' if i % 3 else ''},{'no' if i % 2 else 'yes'}")
    return ("\n".join(lines) + "\n").encode()


class Upload:
    """Just enough of an UploadedFile for the import service."""

    def __init__(self, data: bytes, name: str):
        self.data, self.name, self.size = data, name, len(data)

    def chunks(self):
        yield self.data


def timed(label: str, fn, figures: dict):
    start = time.perf_counter()
    result = fn()
    figures[label] = time.perf_counter() - start
    print(f"{label:<42} {figures[label]:8.2f} s", flush=True)
    return result


def bench() -> int:
    import django

    django.setup()
    from unittest import mock

    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from crm.imports import checking, mapping, reading, services, writing
    from crm.models import Customer, ImportJob
    from privtraffic.events.models import Event
    from tests import factories

    brand = factories.make_brand(f"bench-import-{int(time.time())}")
    system = factories.system(brand, "bench:import")
    Customer.objects.bulk_create([
        Customer(brand=brand, name=f"Old {i}", email=f"c{i * 10}@example.test") for i in range(EXISTING)])
    data = make_csv(ROWS)
    print(f"{ROWS:,} rows, {len(data) / 2**20:.1f} MiB, {EXISTING:,} existing customers", flush=True)
    figures: dict[str, float] = {}

    parsed = timed("read + decode + split", lambda: reading.import_file_read(data=data, name="bench.csv"), figures)
    columns = mapping.import_mapping_resolve(parsed.header, None)
    valid, errors, _bad = timed("check every row (sync, answers the POST)",
                                lambda: checking.rows_check(brand, parsed, columns, progress_every=writing.BATCH_SIZE), figures)
    assert not errors, errors[:3]

    queued = []
    relays = []
    with mock.patch("crm.tasks.import_customers.delay", side_effect=lambda *a: queued.append(a)), \
         mock.patch("privtraffic.events.tasks.relay_events.delay", side_effect=lambda *a: relays.append(a)):
        job = timed("POST customers/import/ (read + check + queue)",
                    lambda: services.customer_import_create(brand=brand, actor=system, file=Upload(data, "bench.csv")), figures)
        assert queued, "the job was not queued"
        publishes = []
        real_publish = writing.progress_publish
        with mock.patch.object(writing, "progress_publish",
                               side_effect=lambda job_id, **v: (publishes.append(v), real_publish(job_id, **v))):
            job = timed("task: check again + write (one transaction)",
                        lambda: services.customer_import_run(job=ImportJob.objects.get(pk=job.pk)), figures)
    assert job.status == "done", job.errors[:3]
    from privtraffic.events.tasks import relay_events

    timed(f"relay {sum(len(r[1]) for r in relays):,} outbox events ({len(relays)} tasks)",
          lambda: [relay_events(*args) for args in relays], figures)
    exported = timed("export all customers to CSV", lambda: sum(
        len(chunk) for chunk in services.customers_export_csv(brand=brand, actor=system)), figures)

    print(f"created {job.created_count:,}, updated {job.updated_count:,}, skipped {job.skipped_count:,}")
    print(f"progress published {len(publishes)} times; events {Event.objects.filter(brand=brand).count():,}; "
          f"export {exported / 2**20:.1f} MiB")
    task = figures["task: check again + write (one transaction)"]
    print(f"task throughput {ROWS / task:,.0f} rows/s; whole import (POST + task) "
          f"{figures['POST customers/import/ (read + check + queue)'] + task:.1f} s; peak RSS {peak_mib():.0f} MiB")
    assert job.created_count == ROWS - EXISTING and job.updated_count == EXISTING
    return 0


def main() -> int:
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]
    from foundation import ensure_database  # bench/foundation.py

    if os.environ.get("DATABASE_URL"):
        ensure_database()
        return bench()
    from testenv import Postgres, Redis  # tests/testenv.py

    postgres, redis = Postgres(), Redis()
    try:
        os.environ["DATABASE_URL"] = postgres.start()
        os.environ["REDIS_URL"] = redis.start()
        ensure_database()
        return bench()
    finally:
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
