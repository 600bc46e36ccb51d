#!/usr/bin/env python
"""S5: a promotion to 100,000 customers (QUICK: 5,000) plus a post to 200 groups, through the real engine.

    python bench/campaign_100k.py [--quick]     # starts a throwaway PostgreSQL + Redis (tests/testenv.py)
    DATABASE_URL=... REDIS_URL=... python bench/campaign_100k.py [--quick]

`make bench` imports this module and calls `run(quick=...)`; run alone, it prints its rows as a table.

What runs: a brand with N consenting customers, 90% of them assigned to 200 reps across 50 stores (the
others hear from the brand persona), and 200 VIP groups. Two campaigns are scheduled for now: a 1:1
promotion from each customer's rep to all of them, and a group post to the 200 groups. The real dispatcher
(`campaigns.tasks.dispatch_campaigns`) is called on a loop every CAMPAIGN_DISPATCH_SECONDS as beat would,
and two real Celery worker processes (`celery -A privtraffic worker --concurrency 1`, Redis broker, not
eager) send the chunks. Once some chunks have committed and the first worker is inside a chunk, its whole
process group gets SIGKILL and a replacement worker is started (as a supervisor would). The clock runs
from the moment both campaigns are scheduled to the moment the last run is finished; then exactly-once is
checked: as many Delivery rows as recipients, none left pending, every skip with a reason, one campaign
message per conversation (client_msg_id "campaign-delivery:<id>"), each sent delivery pointing at its own
message, one budget slot per 1:1 message, and 200 group posts.

Baselines in the same run: the same number of message rows written into chats_message (the real table,
for a scratch brand's conversations) with Django `bulk_create` in chunks of 1,000, and with one PostgreSQL
`COPY` (psycopg2 `copy_expert`).
"""

import contextlib
import csv
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privtraffic.settings.base")
os.environ.setdefault("LOG_LEVEL", "WARNING")

SCENARIO = "S5"
CUSTOMERS = {False: 100_000, True: 5_000}
GROUPS = 200
STORES = 50
REPS = 200
BATCH = 5_000
DISPATCH_SECONDS = 1  # the beat interval for the bench (default 5)
STALE_SECONDS = 10  # a run quiet this long gets its unfinished chunks queued again (default 20)
KILL_AFTER = 0.3  # SIGKILL the first worker once this share of the chunks has committed
TARGET_SECONDS = 60
TIMEOUT_SECONDS = 1800

CHUNK_RECEIVED = re.compile(r"Task campaigns\.tasks\.send_campaign_chunk\[([0-9a-f-]+)\] received")
CHUNK_DONE = re.compile(r"Task campaigns\.tasks\.send_campaign_chunk\[([0-9a-f-]+)\] succeeded in ([0-9.]+)s: "
                        r"\{'sent': (\d+), 'skipped': (\d+), 'deferred': (\d+)\}")


def log(message: str) -> None:
    print(f"[S5] {message}", flush=True)


# --- servers and processes -------------------------------------------------------------------------------------


def _ensure_database() -> None:
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


@contextlib.contextmanager
def _servers():
    """A migrated database (bench/stack.py `database()`) and a throwaway redis-server (tests/testenv.py) unless
    DATABASE_URL and REDIS_URL are set."""
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        _ensure_database()
        yield
        return
    from bench.stack import database
    from tests.testenv import Redis

    redis = Redis()
    try:
        with database("bench_campaign") as database_url:
            os.environ["DATABASE_URL"] = database_url
            os.environ["REDIS_URL"] = redis.start()
            _ensure_database()
            yield
    finally:
        redis.stop()


class Worker:
    """One `celery -A privtraffic worker --concurrency 1` in its own process group, logging to a file."""

    def __init__(self, name: str, logdir: Path):
        self.name = name
        self.log = logdir / f"{name}.log"
        env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false", "LOG_LEVEL": "INFO",
               "CAMPAIGN_DISPATCH_SECONDS": str(DISPATCH_SECONDS), "CAMPAIGN_STALE_SECONDS": str(STALE_SECONDS)}
        self.started = time.perf_counter()
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "privtraffic", "worker", "--concurrency", "1",
                 "--loglevel", "info", "-n", f"{name}@%h"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.ready_after: float | None = None

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.text():
                self.ready_after = time.perf_counter() - self.started
                return self.ready_after
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited:\n{self.text()[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"worker {self.name} not ready after {timeout}s:\n{self.text()[-3000:]}")

    def in_flight(self) -> set[str]:
        text = self.text()
        return set(CHUNK_RECEIVED.findall(text)) - {m[0] for m in CHUNK_DONE.findall(text)}

    def kill(self) -> None:
        """SIGKILL the worker and its pool child at once (a machine or container dying)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


class CpuMeter:
    """CPU seconds (user + system, from /proc) used by the workers, PostgreSQL and this process during the run:
    a figure the other load on a shared machine does not inflate the way it inflates wall time."""

    def __init__(self, roots: dict[str, list[int]]):
        self.roots = roots  # group -> pids whose whole process trees count for it
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}

    @staticmethod
    def _stat(pid: int) -> tuple[int, float] | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def sample(self, *, first: bool = False) -> None:
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (stat := self._stat(int(entry))):
                stats[int(entry)] = stat
        group_of = {pid: group for group, pids in self.roots.items() for pid in pids}
        changed = True
        while changed:  # descendants belong to their ancestor's group
            changed = False
            for pid, (ppid, _cpu) in stats.items():
                if pid not in group_of and ppid in group_of:
                    group_of[pid] = group_of[ppid]
                    changed = True
        for pid, group in group_of.items():
            if pid in stats:
                if first:
                    self.first[pid] = stats[pid][1]
                self.last[pid] = (group, stats[pid][1])

    def used(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, (group, cpu) in self.last.items():
            totals[group] = totals.get(group, 0.0) + cpu - self.first.get(pid, 0.0)
        return totals


def _postmaster_pid() -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    stat = CpuMeter._stat(backend)
    return stat[0] if stat else None  # None: PostgreSQL runs elsewhere


# --- setup ----------------------------------------------------------------------------------------------------


def _setup(n: int):
    """The brand: stores, reps, N consenting customers (90% assigned), a persona, 200 groups; no quiet hours."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chats.models import BrandPersona
    from crm.consent.services import contact_policy_save
    from crm.models import Customer
    from privtraffic.tenancy.models import Membership, Store
    from privtraffic.tenancy.roles import Role
    from tests import factories

    stamp = int(time.time())
    brand = factories.make_brand(f"bench-s5-{stamp}", name="Bloom Beauty")
    system = factories.system(brand, "bench:s5")
    contact_policy_save(brand=brand, actor=system, quiet_hours_start=datetime.time(0, 0),
                        quiet_hours_end=datetime.time(0, 0), weekly_promotion_budget=3)
    BrandPersona.objects.create(brand=brand, name="Bella", bio="Your beauty assistant")
    stores = Store.objects.bulk_create([Store(brand=brand, name=f"Store {i}", city="Shanghai")
                                        for i in range(STORES)])
    users = get_user_model().objects.bulk_create([
        get_user_model()(email=f"rep{i}-{stamp}@bench.test", name=f"Rep {i}", password="!") for i in range(REPS)])
    reps = Membership.objects.bulk_create([Membership(brand=brand, user=u, role=Role.REP, store=stores[i % STORES])
                                           for i, u in enumerate(users)])
    now = timezone.now()
    for offset in range(0, n, BATCH):
        rows = []
        for i in range(offset, min(n, offset + BATCH)):
            rep = reps[i % REPS] if i % 10 else None  # 90% assigned to a rep, the rest hear from the persona
            rows.append(Customer(brand=brand, name=f"Cust{i} Lee", email=f"c{i}@bench.test",
                                 assigned_rep=rep, home_store=rep.store if rep else None,
                                 consent_chat=True, consent_chat_at=now, consent_promotions=True,
                                 consent_promotions_at=now))
        Customer.objects.bulk_create(rows)
    groups = [factories.make_group(brand, f"VIP {i}", store=stores[i % STORES]) for i in range(GROUPS)]
    return brand, system, groups, users


def _scratch_conversations(n: int) -> tuple[object, list[int]]:
    """A scratch brand with N customers and their 1:1 conversations: where the baselines write."""
    from chats.models import Conversation, ConversationKind
    from crm.models import Customer
    from tests import factories

    brand = factories.make_brand(f"bench-s5-scratch-{int(time.time())}")
    for offset in range(0, n, BATCH):
        customers = Customer.objects.bulk_create([Customer(brand=brand, name=f"Cust{i} Lee", email=f"s{i}@bench.test")
                                                  for i in range(offset, min(n, offset + BATCH))])
        Conversation.objects.bulk_create([Conversation(brand=brand, kind=ConversationKind.DIRECT, customer=c)
                                          for c in customers])
    ids = list(Conversation.objects.filter(brand=brand).order_by("id").values_list("id", flat=True))
    return brand, ids


# --- the campaign run ---------------------------------------------------------------------------------------------


def _campaign_run(n: int, logdir: Path) -> dict:
    from django.db.models import Count, Max, Q
    from django.utils import timezone

    from campaigns.authoring.services import campaign_schedule
    from campaigns.models import CampaignRun, Delivery, DeliveryStatus, RunStatus
    from campaigns.sending import dispatcher
    from campaigns.tasks import dispatch_campaigns
    from chats.models import Message
    from crm.models import PromotionContact
    from privtraffic.celery import app
    from tests import factories

    t = time.perf_counter()
    brand, system, groups, _users = _setup(n)
    log(f"setup: {n:,} customers, {REPS} reps in {STORES} stores, {GROUPS} groups in {time.perf_counter() - t:.1f} s")
    direct = factories.make_campaign(
        brand, name="Spring sale", channel="direct",
        body="Hi {first_name}, {rep_name} from {store_name} here: 20% off everything this week.")
    group_post = factories.make_campaign(brand, name="Spring sale (groups)", channel="group",
                                         body="Spring sale in {store_name}: 20% off everything this week.",
                                         audience={"groups": [g.pk for g in groups]})
    audience = n + GROUPS
    expected_chunks = -(-n // dispatcher.chunk_size()) + -(-GROUPS // dispatcher.chunk_size())

    # Instrumentation only: how long the dispatcher's INSERT ... SELECT takes for each campaign.
    materialise_times: dict[int, float] = {}
    real_materialise = dispatcher._materialise

    def timed_materialise(campaign, run):
        start = time.perf_counter()
        rows = real_materialise(campaign, run)
        materialise_times[campaign.pk] = time.perf_counter() - start
        return rows

    app.control.purge()
    workers = [Worker("w1", logdir), Worker("w2", logdir)]
    figures: dict = {"requeued_chunks": 0, "dispatcher_passes": 0}
    try:
        for w in workers:
            w.wait_ready()
        log(f"2 workers ready ({', '.join(f'{w.ready_after:.1f} s' for w in workers)})")
        dispatcher._materialise = timed_materialise
        meter = CpuMeter({"workers": [w.proc.pid for w in workers], "postgres": [p for p in [_postmaster_pid()] if p],
                          "dispatcher": [os.getpid()]})
        meter.sample(first=True)
        figures["load"] = round(os.getloadavg()[0], 1)
        last_sample = time.perf_counter()
        scheduled_at = timezone.now()
        start = time.perf_counter()
        campaign_schedule(campaign=direct, actor=system, send_at=None)
        campaign_schedule(campaign=group_post, actor=system, send_at=None)
        run_ids: list[int] = []
        next_tick, killed, lost = start, None, set()
        while True:
            now = time.perf_counter()
            if now - start > TIMEOUT_SECONDS:
                raise RuntimeError(f"not finished after {TIMEOUT_SECONDS} s")
            if now >= next_tick:  # beat's tick
                result = dispatch_campaigns()
                figures["dispatcher_passes"] += 1
                run_ids += result["runs_started"]
                if figures["dispatcher_passes"] > 1:
                    figures["requeued_chunks"] += result["chunks_queued"]
                next_tick = max(next_tick + DISPATCH_SECONDS, now)
            if killed is None:
                done_chunks = sum(len(CHUNK_DONE.findall(w.text())) for w in workers)
                busy = workers[0].in_flight()
                if done_chunks >= KILL_AFTER * expected_chunks and busy:
                    meter.sample()
                    workers[0].kill()
                    killed, lost = time.perf_counter() - start, busy
                    figures["chunks_before_kill"] = done_chunks
                    log(f"SIGKILL w1 at {killed:.1f} s after {done_chunks} chunks, inside chunk task {sorted(lost)}")
                    workers.append(Worker("w3", logdir))  # the supervisor's restart
                    meter.roots["workers"].append(workers[2].proc.pid)
            if killed is not None and workers[2].ready_after is None and " ready." in workers[2].text():
                workers[2].ready_after = time.perf_counter() - workers[2].started
            if len(run_ids) == 2 and CampaignRun.objects.filter(pk__in=run_ids, status=RunStatus.DONE).count() == 2:
                break
            if time.perf_counter() - last_sample > 1:
                meter.sample()
                last_sample = time.perf_counter()
            time.sleep(0.25)
        meter.sample()
        figures["cpu"] = meter.used()
        finished = CampaignRun.objects.filter(pk__in=run_ids).aggregate(at=Max("finished_at"))["at"]
        figures["elapsed_s"] = (finished - scheduled_at).total_seconds()
        if killed is None:
            raise RuntimeError("the run finished before a worker could be killed")
        figures["killed_at_s"] = killed
        figures["replacement_ready_s"] = workers[2].ready_after
        log(f"every recipient done {figures['elapsed_s']:.1f} s after scheduling")
    finally:
        dispatcher._materialise = real_materialise
        for w in workers:
            w.stop()

    # Exactly once.
    deliveries = Delivery.objects.filter(run_id__in=run_ids)
    counts = dict(deliveries.values_list("status").annotate(n=Count("id")).order_by())
    campaign_messages = Message.objects.filter(brand=brand, client_msg_id__startswith="campaign-delivery:")
    figures["deliveries"] = deliveries.count()
    figures["audience"] = audience
    figures["sent"] = counts.get(DeliveryStatus.SENT, 0)
    figures["skipped"] = counts.get(DeliveryStatus.SKIPPED, 0)
    figures["unfinished"] = (counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.FAILED, 0)
                             + deliveries.filter(status=DeliveryStatus.SKIPPED, reason="").count())
    figures["messages"] = campaign_messages.count()
    figures["duplicate_conversations"] = (campaign_messages.values("conversation").annotate(n=Count("id"))
                                          .filter(n__gt=1).count())
    figures["mismatched"] = (deliveries.filter(status=DeliveryStatus.SENT)
                             .filter(Q(message__isnull=True) | ~Q(message__conversation__brand=brand)).count()
                             + figures["messages"] - figures["sent"])
    bad_ids = [d for d, m in deliveries.filter(status=DeliveryStatus.SENT)
               .values_list("id", "message__client_msg_id") if m != f"campaign-delivery:{d}"]
    figures["mismatched"] += len(bad_ids)
    figures["group_posts"] = campaign_messages.filter(conversation__group__isnull=False).count()
    figures["budget_slots"] = PromotionContact.objects.filter(brand=brand, ref__startswith=f"campaign:{direct.pk}:").count()
    figures["direct_sent"] = deliveries.filter(status=DeliveryStatus.SENT, customer__isnull=False).count()
    figures["by_rep"] = deliveries.filter(status=DeliveryStatus.SENT, rep__isnull=False).count()
    figures["by_persona"] = deliveries.filter(status=DeliveryStatus.SENT, persona__isnull=False).count()
    figures["materialise_s"] = materialise_times.get(direct.pk)
    figures["materialise_groups_s"] = materialise_times.get(group_post.pk)
    figures["lost_chunk_recovered"] = not deliveries.filter(status=DeliveryStatus.PENDING).exists()
    figures["sent_spread_s"] = (deliveries.aggregate(a=Max("sent_at"))["a"] - scheduled_at).total_seconds()

    # Per chunk, from the workers' logs (chunks that sent something: re-queued no-ops left out).
    chunk_times, relays = [], 0
    for w in workers:
        text = w.text()
        chunk_times += [float(s) for _id, s, sent, skipped, _d in CHUNK_DONE.findall(text) if int(sent) + int(skipped)]
        relays += len(re.findall(r"Task privtraffic\.events\.tasks\.(?:relay_events?|relay_outbox)\[[^]]+\] succeeded", text))
    figures["chunk_times"] = sorted(chunk_times)
    figures["relay_tasks"] = relays
    figures["brand"] = brand
    figures["users"] = _users
    return figures


# --- baselines ------------------------------------------------------------------------------------------------------


def _baselines(n_messages: int, sender) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from chats.models import Message

    brand, conversation_ids = _scratch_conversations(n_messages)
    name, key = sender.name, f"user:{sender.pk}"
    rows = [(cid, f"Hi Cust{i}, {name} from Store {i % STORES} here: 20% off everything this week.",
             {"campaign": 1, "opt_out_url": f"/c/opt-out/{'x' * 80}{i}/"}) for i, cid in enumerate(conversation_ids)]
    figures = {}
    roots = {"bench": [os.getpid()], "postgres": [p for p in [_postmaster_pid()] if p]}

    meter = CpuMeter(roots)
    meter.sample(first=True)
    start = time.perf_counter()
    for offset in range(0, len(rows), 1000):
        with transaction.atomic():
            Message.objects.bulk_create([
                Message(brand_id=brand.pk, conversation_id=cid, seq=1, sender_type="rep", sender_user_id=sender.pk,
                        sender_name=name, sender_key=key, kind="text", body=body, payload=payload,
                        client_msg_id=f"baseline-bulk:{cid}") for cid, body, payload in rows[offset:offset + 1000]])
    figures["bulk_create_s"] = time.perf_counter() - start
    meter.sample()
    figures["bulk_create_cpu"] = sum(meter.used().values())

    columns = ("brand_id, conversation_id, seq, sender_type, sender_user_id, sender_name, sender_key, kind, body, "
               "payload, client_msg_id, created_at, hidden_reason")
    meter = CpuMeter(roots)
    meter.sample(first=True)
    start = time.perf_counter()
    now = timezone.now().isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for cid, body, payload in rows:
        writer.writerow((brand.pk, cid, 2, "rep", sender.pk, name, key, "text", body, json.dumps(payload),
                         f"baseline-copy:{cid}", now, ""))
    buffer.seek(0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {Message._meta.db_table} ({columns}) FROM STDIN "
                           "WITH (FORMAT csv, FORCE_NOT_NULL (hidden_reason))", buffer)
    figures["copy_s"] = time.perf_counter() - start
    meter.sample()
    figures["copy_cpu"] = sum(meter.used().values())
    written = Message.objects.filter(brand=brand).count()
    assert written == 2 * n_messages, (written, n_messages)
    return figures


# --- rows -------------------------------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _rows(n: int, c: dict, b: dict) -> list[dict]:
    def row(figure, value, unit, baseline="-", baseline_value=None, target="-"):
        return {"scenario": SCENARIO, "figure": figure, "value": value, "unit": unit, "baseline": baseline,
                "baseline_value": baseline_value, "target": target}

    messages = c["messages"]
    rate = messages / c["elapsed_s"]
    bulk_rate, copy_rate = messages / b["bulk_create_s"], messages / b["copy_s"]
    chunks = c["chunk_times"]
    cpu_total = sum(c["cpu"].values())
    return [
        row(f"{n:,} customers 1:1 + {GROUPS} group posts, 2 workers, one SIGKILLed: every recipient sent or "
            "skipped", round(c["elapsed_s"], 1), "s", target=f"<= {TARGET_SECONDS} s on 2 cores"),
        row("campaign messages written per second (whole run)", round(rate), "msg/s",
            "bulk_create, chunks of 1,000", round(bulk_rate)),
        row("campaign messages written per second (whole run)", round(rate), "msg/s",
            "COPY (copy_expert)", round(copy_rate)),
        row("campaign throughput / bulk_create", round(rate / bulk_rate, 2), "x", "bulk_create", 1.0),
        row("campaign throughput / COPY", round(rate / copy_rate, 2), "x", "COPY", 1.0),
        row(f"dispatcher materialisation (INSERT ... SELECT of {n:,} deliveries)",
            round(c["materialise_s"], 2), "s"),
        row(f"chunk task p50 ({len(chunks)} chunks of <= 1,000, from the workers' logs)",
            round(_pct(chunks, 50) * 1000), "ms"),
        row("chunk task p99", round(_pct(chunks, 99) * 1000), "ms"),
        row("Delivery rows / recipients", c["deliveries"], "rows", "audience", c["audience"],
            f"= {c['audience']:,}"),
        row("recipients pending, failed or skipped without a reason", c["unfinished"], "rows", target="0"),
        row("conversations with two messages of the campaign", c["duplicate_conversations"], "rows", target="0"),
        row("sent deliveries without their own message (or messages without one)", c["mismatched"], "rows",
            target="0"),
        row("group posts", c["group_posts"], "messages", "groups", GROUPS, f"= {GROUPS}"),
        row("chunk tasks queued again by the dispatcher (the lost chunk, and any run quiet for "
            f"{STALE_SECONDS} s)", c["requeued_chunks"], "tasks"),
        row("CPU used by the run: workers + PostgreSQL + dispatcher", round(cpu_total, 1), "CPU s",
            "workers / PostgreSQL / dispatcher",
            " / ".join(f"{c['cpu'].get(k, 0):.1f}" for k in ("workers", "postgres", "dispatcher"))),
        row("CPU per 1,000 messages: campaign vs bulk_create", round(cpu_total / messages * 1000, 2), "CPU s",
            "bulk_create", round(b["bulk_create_cpu"] / messages * 1000, 2)),
        row("CPU per 1,000 messages: campaign vs COPY", round(cpu_total / messages * 1000, 2), "CPU s",
            "COPY", round(b["copy_cpu"] / messages * 1000, 2)),
        row("the run's CPU spread over 2 idle cores (lower bound of the wall time without other load)",
            round(cpu_total / 2, 1), "s", target=f"<= {TARGET_SECONDS} s"),
        row("machine load average (1 min) when the run started", c["load"], "", target="<= 2 for clean figures"),
    ]


def _table(rows: list[dict]) -> str:
    lines = ["| scenario | figure | value | unit | baseline | baseline value | target |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['figure']} | {r['value']} | {r['unit']} | {r['baseline']} | "
                     f"{'-' if r['baseline_value'] is None else r['baseline_value']} | {r['target']} |")
    return "\n".join(lines)


def run(*, quick: bool) -> list[dict]:
    """The S5 rows: needs DATABASE_URL and REDIS_URL (or starts throwaway servers when both are unset and
    Django is not set up yet)."""
    from django.apps import apps

    with contextlib.ExitStack() as stack:
        if not apps.ready:
            stack.enter_context(_servers())
            import django

            django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test.utils import override_settings

        if settings.EMBEDDED:
            raise RuntimeError("S5 needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (or `make bench`).")
        call_command("migrate", verbosity=0)
        from privtraffic.celery import app

        eager = app.conf.task_always_eager
        app.conf.task_always_eager = False  # the chunks go to the workers through Redis
        stack.callback(setattr, app.conf, "task_always_eager", eager)
        stack.enter_context(override_settings(CAMPAIGN_DISPATCH_SECONDS=DISPATCH_SECONDS,
                                              CAMPAIGN_STALE_SECONDS=STALE_SECONDS))
        n = CUSTOMERS[quick]
        logdir = Path(tempfile.mkdtemp(prefix="privtraffic-s5-"))
        campaign = _campaign_run(n, logdir)
        log(f"worker logs in {logdir}")
        baselines = _baselines(campaign["messages"], campaign["users"][0])
        log(f"baselines: bulk_create {baselines['bulk_create_s']:.1f} s, COPY {baselines['copy_s']:.1f} s "
            f"for {campaign['messages']:,} rows")
        log(f"killed at {campaign['killed_at_s']:.1f} s after {campaign['chunks_before_kill']} chunks; replacement "
            f"ready after {campaign['replacement_ready_s']} s; {campaign['relay_tasks']} relay tasks; "
            f"{campaign['by_rep']:,} sent by reps, {campaign['by_persona']:,} by the persona; budget slots "
            f"{campaign['budget_slots']:,} for {campaign['direct_sent']:,} 1:1 messages; last sent_at "
            f"{campaign['sent_spread_s']:.1f} s")
        assert campaign["budget_slots"] == campaign["direct_sent"]
        return _rows(n, campaign, baselines)


def main(argv: list[str]) -> int:
    rows = run(quick="--quick" in argv)
    print(_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
