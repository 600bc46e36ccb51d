#!/usr/bin/env python
"""Benchmarks of the foundation: code paths measured with Django's in-process test client (no network).

`run(quick=...)` starts a throwaway Redis and takes a migrated database (bench/stack.py `database()`), measures in a child process and
returns rows for docs/benchmarks.md (bench/run.py). Each figure is held against its budget; the same-run
baselines of issue 12 are in bench/live.py.

    python bench/foundation.py            # the rows, as JSON lines
"""

import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if __name__ == "__main__" and "--child" in sys.argv:  # never in the runner's process: its stacks inherit os.environ
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privtraffic.settings.base")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("LOG_LEVEL", "WARNING")

# Budgets: what we promise. A figure over budget fails `make bench`.
BUDGETS = {
    "api_stores_list_p95_ms": 60.0,
    "api_stores_list_queries": 4,
    "api_reps_list_p95_ms": 80.0,
    "api_reps_list_queries": 4,
    "outbox_record_and_relay_per_s": 150.0,
    "outbox_backlog_relay_per_s": 400.0,
    "outbox_backlog_batch_relay_per_s": 400.0,
    "healthz_p95_ms": 30.0,
    "api_list_peak_kib": 4096.0,
    "message_send_per_s": 50.0,
    "sync_page_p95_ms": 25.0,
    "group_join_per_s": 20.0,
}
HIGHER_IS_BETTER = {"outbox_record_and_relay_per_s", "outbox_backlog_relay_per_s", "message_send_per_s", "group_join_per_s",
                    "outbox_backlog_batch_relay_per_s"}


QUICK = bool(os.environ.get("BENCH_QUICK"))  # the child's; run() passes it on
RUNS = 50 if QUICK else 200
# QUICK: a backlog of two of the relay's claims (200 each) and 20 joins give the same per-event and per-join
# rates as the full sizes, in a fraction of the time.
BACKLOG = {True: 400, False: 4_000}  # by QUICK
JOINS = {True: 20, False: 200}


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


class profiled:
    """BENCH_PROFILE=1: pyinstrument (if installed) around one figure's loop; the text lands in var/."""

    def __init__(self, name: str):
        self.name, self.profiler = name, None

    def __enter__(self):
        if os.environ.get("BENCH_PROFILE"):
            try:
                from pyinstrument import Profiler
            except ImportError:
                return self
            self.profiler = Profiler(interval=0.0005)
            self.profiler.start()
        return self

    def __exit__(self, *exc):
        if self.profiler is not None:
            self.profiler.stop()
            out = ROOT / "var" / f"profile-foundation-{self.name}.txt"
            out.parent.mkdir(exist_ok=True)
            out.write_text(self.profiler.output_text(unicode=False, show_all=False))
            print(f"profile of {self.name}: {out}", file=sys.stderr)


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
        figures[f"{name}_p95_ms"] = round(p95(timed(lambda p=path: api.get(p), RUNS)), 2)
        with CaptureQueriesContext(connection) as queries:
            api.get(path)
        figures[f"{name}_queries"] = len(queries)

    tracemalloc.start()
    api.get("/api/v1/stores/?limit=200")
    figures["api_list_peak_kib"] = round(tracemalloc.get_traced_memory()[1] / 1024, 1)
    tracemalloc.stop()

    count = RUNS * 2
    with profiled("outbox"):
        start = time.perf_counter()
        for i in range(count):
            event_record(brand=brand, type="bench.tick", payload={"i": i})  # autocommit: relays at once
        figures["outbox_record_and_relay_per_s"] = round(count / (time.perf_counter() - start), 1)

    # A backlog (a worker was down, or a burst): the sweep relays it. One subscriber that does nothing, so the
    # figure is the relay's own cost: claim, then per event a transaction with its lock, receipt and mark.
    from privtraffic.events import registry
    from privtraffic.events.models import Event
    from privtraffic.events.services import event_relay_pending

    def backlog_rate(event_type: str, *, batch: bool) -> float:
        registry.subscribe(event_type, name=event_type, batch=batch)(lambda event: None)
        backlog = BACKLOG[QUICK]
        Event.objects.bulk_create([Event(brand=brand, type=event_type, payload={"i": i}) for i in range(backlog)])
        with profiled(event_type.removeprefix("bench.")):
            start = time.perf_counter()
            relayed = 0
            while relayed < backlog:
                relayed += event_relay_pending(older_than_seconds=0, limit=backlog)
            rate = round(backlog / (time.perf_counter() - start), 1)
        registry.unsubscribe(event_type)
        return rate

    figures["outbox_backlog_relay_per_s"] = backlog_rate("bench.backlog", batch=False)
    # The same backlog for a subscriber that declares batch=True, as the webhook subscriber does: a chunk of
    # events per transaction (one lock, one INSERT of receipts, one UPDATE of marks).
    figures["outbox_backlog_batch_relay_per_s"] = backlog_rate("bench.backlog_batch", batch=True)

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
    with profiled("message_send"):
        start = time.perf_counter()
        for i in range(count):
            message_send(conversation=conversation, sender=sender, body=f"offer {i}", client_msg_id=f"b{i}")
        figures["message_send_per_s"] = round(count / (time.perf_counter() - start), 1)
    figures["sync_page_p95_ms"] = round(p95(timed(
        lambda: message_list(conversation=conversation, after_seq=count // 2, limit=100), RUNS)), 2)

    joiners = Customer.objects.bulk_create(
        [Customer(brand=brand, name=f"Joiner {i}", email=f"joiner{i}@bench.test") for i in range(JOINS[QUICK])])
    system = SystemActor.for_brand(brand, "bench")
    invite = invite_link_create(brand=brand, actor=system, group=group_create(brand=brand, actor=system, name="Join bench"))
    start = time.perf_counter()
    for customer in joiners:
        invite_join(invite=invite, customer=customer)
    figures["group_join_per_s"] = round(len(joiners) / (time.perf_counter() - start), 1)

    from django.test import Client

    web = Client()
    figures["healthz_p95_ms"] = round(p95(timed(lambda: web.get("/healthz"), RUNS)), 2)

    print(json.dumps(figures))
    return 0


UNITS = {"_ms": "ms", "_queries": "queries", "_per_s": "/s", "_kib": "KiB"}
NOTES = {
    "message_send_per_s": "sequential sends into one conversation (the seq row lock is the ceiling)",
    "group_join_per_s": "invite joins with the join notice, sequential",
    "outbox_backlog_relay_per_s": "the sweep over {backlog:,} pending events, one no-op subscriber",
    "outbox_backlog_batch_relay_per_s": "the same sweep, the no-op subscriber declared batch=True",
}


def run(*, quick: bool) -> list[dict]:
    import subprocess

    from bench.stack import database
    from tests.testenv import Redis

    redis = Redis()
    try:
        with database("bench_foundation") as database_url:
            env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis.start(),
                   **({"BENCH_QUICK": "1"} if quick else {})}
            out = subprocess.run([sys.executable, __file__, "--child"], cwd=ROOT, env=env, check=True,
                                 stdout=subprocess.PIPE, text=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        redis.stop()
    rows = []
    for name, value in figures.items():
        unit = next((u for suffix, u in UNITS.items() if name.endswith(suffix)), "")
        sign = ">=" if name in HIGHER_IS_BETTER else "<="
        note = NOTES.get(name, "budget only").format(backlog=BACKLOG[quick])
        rows.append({"scenario": "foundation (in-process test client)", "figure": name.replace("_", " "),
                     "value": value, "unit": unit, "baseline": note, "baseline_value": None,
                     "target": f"{sign} {BUDGETS[name]}"})
    return rows


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.exit(main(sys.argv[1:]))
    for row in run(quick=True):
        print(json.dumps(row))
