#!/usr/bin/env python
"""Benchmarks of the foundation, run by `make bench` against a throwaway PostgreSQL + Redis.

Measures with Django's in-process test client (no network), so figures compare
code paths, not servers. Writes docs/benchmarks.md with each figure beside its
baseline (bench/baseline.json, the first recorded run) and its budget.

    python tests/testenv.py --bench            # via make bench
    python bench/run.py --record-baseline      # make the current figures the baseline
"""

import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privtraffic.settings.base")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("LOG_LEVEL", "WARNING")

BASELINE = ROOT / "bench" / "baseline.json"
REPORT = ROOT / "docs" / "benchmarks.md"

# Budgets: what we promise. A figure over budget fails `make bench`.
BUDGETS = {
    "api_stores_list_p95_ms": 60.0,
    "api_stores_list_queries": 4,
    "api_reps_list_p95_ms": 80.0,
    "api_reps_list_queries": 4,
    "outbox_record_and_relay_per_s": 150.0,
    "healthz_p95_ms": 30.0,
    "api_list_peak_kib": 4096.0,
    "message_send_per_s": 50.0,
    "sync_page_p95_ms": 25.0,
    "group_join_per_s": 20.0,
}
HIGHER_IS_BETTER = {"outbox_record_and_relay_per_s", "message_send_per_s", "group_join_per_s"}


def ensure_database() -> None:
    import psycopg2
    from dj_database_url import parse

    cfg = parse(os.environ["DATABASE_URL"])
    conn = psycopg2.connect(dbname="postgres", user=cfg["USER"], host=cfg["HOST"], port=cfg["PORT"])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def main(argv: list[str]) -> int:
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Run through `make bench` (it starts PostgreSQL and Redis).")
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from privtraffic.events.services import event_record
    from privtraffic.tenancy.models import Membership, Store
    from privtraffic.tenancy.roles import Role
    from tests import factories

    call_command("migrate", verbosity=0)
    brand = factories.make_brand(f"bench-{int(time.time())}")
    Store.objects.bulk_create([Store(brand=brand, name=f"Store {i}", city="Shanghai") for i in range(1000)])
    stores = list(Store.objects.filter(brand=brand)[:50])
    users = [factories.make_user(password=None) for _ in range(300)]
    Membership.objects.bulk_create(
        [Membership(brand=brand, user=u, role=Role.REP, store=stores[i % 50]) for i, u in enumerate(users)]
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.make_api_key(brand)}")

    figures: dict[str, float] = {}
    for name, path in (("api_stores_list", "/api/v1/stores/"), ("api_reps_list", "/api/v1/reps/")):
        api.get(path)  # warm up
        figures[f"{name}_p95_ms"] = round(p95(timed(lambda p=path: api.get(p), 200)), 2)
        with CaptureQueriesContext(connection) as queries:
            api.get(path)
        figures[f"{name}_queries"] = len(queries)

    tracemalloc.start()
    api.get("/api/v1/stores/?limit=200")
    figures["api_list_peak_kib"] = round(tracemalloc.get_traced_memory()[1] / 1024, 1)
    tracemalloc.stop()

    count = 500
    start = time.perf_counter()
    for i in range(count):
        event_record(brand=brand, type="bench.tick", payload={"i": i})  # autocommit: relays at once
    figures["outbox_record_and_relay_per_s"] = round(count / (time.perf_counter() - start), 1)

    # Chat: the one write path (seq under a row lock, outbox event, broadcast on commit) and a sync page.
    from chats.selectors import message_list
    from chats.services import Sender, conversation_for_group, message_send
    from communities.groups.services import group_create
    from communities.invites.services import invite_join, invite_link_create
    from crm.models import Customer
    from privtraffic.tenancy.actors import SystemActor

    group = group_create(brand=brand, actor=SystemActor.for_brand(brand, "bench"), name="Bench VIP", capacity=500)
    conversation = conversation_for_group(group=group)
    sender = Sender.bot("bench", key="bench")
    start = time.perf_counter()
    for i in range(count):
        message_send(conversation=conversation, sender=sender, body=f"offer {i}", client_msg_id=f"b{i}")
    figures["message_send_per_s"] = round(count / (time.perf_counter() - start), 1)
    figures["sync_page_p95_ms"] = round(p95(timed(
        lambda: message_list(conversation=conversation, after_seq=count // 2, limit=100), 200)), 2)

    joiners = Customer.objects.bulk_create(
        [Customer(brand=brand, name=f"Joiner {i}", email=f"joiner{i}@bench.test") for i in range(200)])
    system = SystemActor.for_brand(brand, "bench")
    invite = invite_link_create(brand=brand, actor=system, group=group_create(brand=brand, actor=system, name="Join bench"))
    start = time.perf_counter()
    for customer in joiners:
        invite_join(invite=invite, customer=customer)
    figures["group_join_per_s"] = round(len(joiners) / (time.perf_counter() - start), 1)

    from django.test import Client

    web = Client()
    figures["healthz_p95_ms"] = round(p95(timed(lambda: web.get("/healthz"), 200)), 2)

    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if "--record-baseline" in argv:
        baseline = {}
    # A figure's first measurement becomes its baseline; later runs are compared with it.
    if any(name not in baseline for name in figures):
        baseline = {**figures, **baseline}
        BASELINE.write_text(json.dumps(baseline, indent=2) + "\n")
    failures = write_report(figures, baseline)
    print(REPORT.read_text())
    return 1 if failures else 0


def write_report(figures: dict, baseline: dict) -> list[str]:
    lines = [
        "# Benchmarks",
        "",
        "Run with `make bench` (throwaway PostgreSQL 15 + Redis, in-process Django test client, 2 cores).",
        "Baseline is `bench/baseline.json`; a figure past its budget fails the run.",
        "",
        "| figure | now | baseline | budget |",
        "| --- | --- | --- | --- |",
    ]
    failures = []
    for name, value in figures.items():
        budget = BUDGETS[name]
        over = value < budget if name in HIGHER_IS_BETTER else value > budget
        if over:
            failures.append(name)
        mark = " **over budget**" if over else ""
        sign = ">=" if name in HIGHER_IS_BETTER else "<="
        lines.append(f"| {name} | {value}{mark} | {baseline.get(name, '-')} | {sign} {budget} |")
    lines += [
        "",
        "Notes: list endpoints are measured on a brand with 1,000 stores and 300 reps (first page of 50);",
        "query counts are asserted constant in tests/tenancy/test_apis.py as well. message_send is sequential",
        "sends into one conversation (the seq row lock is the ceiling); group_join_per_s is invite joins",
        "including the join notice message, sequential; the concurrent exact-capacity case is a test",
        "(tests/communities/test_capacity.py), not a benchmark.",
        "",
    ]
    standalone = ROOT / "bench" / "standalone.md"
    if standalone.exists():
        lines += ["", standalone.read_text()]
    REPORT.write_text("\n".join(lines))
    return failures


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
