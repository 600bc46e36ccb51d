#!/usr/bin/env python
"""Time each panel of the brand overview (/b/<slug>/) at 100,000 customers on PostgreSQL.

Takes a migrated database (bench/stack.py `database()`; or uses DATABASE_URL when set), migrates,
loads one brand: 100,000 customers joined over a year (60% through links, 70% with a rep, 30% who ordered,
20,000 completed surveys), 60,000 group joins over 40 groups, a year of invite opens for 50 links and
40,000 1:1 chats of 10 messages each (400,000 messages over 120 days, customer and rep taking turns). Then
times every panel's selectors (median of 5 after a warm-up) for the last 30 and 90 days, for the whole brand
and for one store, and the whole page through the test client. The baseline, measured in the same run, is a
plain COUNT(*) of the brand's customers.

    python bench/overview_100k.py            # 100,000 customers
    python bench/overview_100k.py --quick    # 3,000 customers (a smoke run)

`run(quick=...)` returns the rows {"scenario", "figure", "value", "unit", "baseline", "baseline_value",
"target"}; run as a script it prints them as a table.
"""

import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MS = 300.0
BATCH = 5_000


def _ms(fn, runs: int = 5) -> float:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _load(brand, customers: int) -> dict:
    """The data set, in bulk statements (Django's bulk_create, then SQL for the generated history)."""
    import random

    from django.db import connection

    from communities.models import GroupMember, InviteKind, InviteLink, VipGroup
    from crm.models import Customer, CustomerSource, Survey, SurveyResponse
    from privtraffic.tenancy.models import Membership, Store
    from privtraffic.tenancy.roles import Role
    from tests import factories

    rng = random.Random(14)
    stores = Store.objects.bulk_create([Store(brand=brand, name=f"Store {i}", city="Shanghai") for i in range(5)])
    users = [factories.make_user(password=None, name=f"Rep {i}") for i in range(20)]
    reps = Membership.objects.bulk_create(
        [Membership(brand=brand, user=u, role=Role.REP, store=stores[i % 5]) for i, u in enumerate(users)])
    groups = VipGroup.objects.bulk_create(
        [VipGroup(brand=brand, name=f"VIP {i}", store=stores[i % 5], capacity=500) for i in range(40)])
    InviteLink.objects.bulk_create(
        [InviteLink(brand=brand, token=f"bench{i:027d}", kind=InviteKind.GROUP, group=groups[i % 40],
                    store=stores[i % 5]) for i in range(50)])
    survey = Survey.objects.create(brand=brand, title="Skin")
    for offset in range(0, customers, BATCH):
        rows = []
        for i in range(offset, min(offset + BATCH, customers)):
            rep = reps[i % 20] if rng.random() < 0.7 else None
            ordered = rng.random() < 0.3
            rows.append(Customer(
                brand=brand, name=f"Bench {i}", email=f"bench{i}@example.test", assigned_rep=rep,
                home_store=stores[i % 5],
                source=CustomerSource.INVITE_LINK if rng.random() < 0.6 else CustomerSource.IMPORT,
                order_count=rng.randint(1, 4) if ordered else 0))
        created = Customer.objects.bulk_create(rows)
        SurveyResponse.objects.bulk_create([SurveyResponse(brand=brand, survey=survey, customer=c)
                                            for c in created if rng.random() < 0.2])
    members = []
    for c in Customer.objects.filter(brand=brand).values_list("pk", flat=True):
        if rng.random() < 0.6:
            members.append(GroupMember(brand=brand, group=groups[c % 40], customer_id=c))
    GroupMember.objects.bulk_create(members, batch_size=BATCH)
    conversations = min(customers * 2 // 5, 40_000)
    with connection.cursor() as cur:
        params = {"brand": brand.pk}
        cur.execute("UPDATE crm_customer SET created_at = now() - random() * interval '365 days', "
                    "last_active_at = now() - random() * interval '120 days' WHERE brand_id = %(brand)s", params)
        cur.execute("UPDATE crm_surveyresponse SET completed_at = now() WHERE brand_id = %(brand)s", params)
        cur.execute("UPDATE communities_groupmember SET joined_at = now() - random() * interval '365 days' "
                    "WHERE brand_id = %(brand)s", params)
        cur.execute("INSERT INTO communities_inviteopen (brand_id, invite_id, day, count) "
                    "SELECT %(brand)s, i.id, current_date - d, 1 + (random() * 20)::int "
                    "FROM communities_invitelink i, generate_series(0, 364) d WHERE i.brand_id = %(brand)s", params)
        cur.execute("INSERT INTO chats_conversation (brand_id, kind, status, customer_id, last_seq, created_at) "
                    "SELECT brand_id, 'direct', 'open', id, 10, now() FROM crm_customer WHERE brand_id = %(brand)s "
                    "ORDER BY id LIMIT %(n)s", {**params, "n": conversations})
        # Ten messages per chat, customer and rep taking turns a few minutes apart, starting on a random day.
        cur.execute("""
            INSERT INTO chats_message (brand_id, conversation_id, seq, sender_type, sender_user_id, sender_customer_id,
                sender_name, sender_key, kind, body, payload, client_msg_id, created_at, hidden_reason)
            SELECT c.brand_id, c.id, s.n,
                   CASE WHEN s.n %% 2 = 1 THEN 'customer' ELSE 'rep' END,
                   CASE WHEN s.n %% 2 = 0 THEN m.user_id END,
                   CASE WHEN s.n %% 2 = 1 THEN c.customer_id END,
                   'bench', CASE WHEN s.n %% 2 = 1 THEN 'customer:' || c.customer_id ELSE 'user:' || m.user_id END,
                   'text', 'hello', '{}'::jsonb, '', b.at + s.n * (1 + random() * 30) * interval '1 minute', ''
            FROM chats_conversation c
            JOIN crm_customer cu ON cu.id = c.customer_id
            JOIN tenancy_membership m ON m.id = COALESCE(cu.assigned_rep_id, %(rep)s)
            CROSS JOIN LATERAL (SELECT now() - interval '1 day' - random() * interval '120 days' + c.id * interval '0'
                                AS at) b
            CROSS JOIN generate_series(1, 10) s(n)
            WHERE c.brand_id = %(brand)s""", {**params, "rep": reps[0].pk})
        cur.execute("ANALYZE")
    return {"store": stores[0], "messages": conversations * 10, "group_joins": len(members)}


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


def run(*, quick: bool) -> list[dict]:
    customers = 3_000 if quick else 100_000
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privtraffic.settings.base")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    with contextlib.ExitStack() as servers:
        if not os.environ.get("DATABASE_URL"):
            from bench.stack import database

            os.environ["DATABASE_URL"] = servers.enter_context(database("bench_overview"))
        _ensure_database()
        return _measure(customers)


def _measure(customers: int) -> list[dict]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from chats.analytics import selectors as chats
    from communities.analytics import selectors as communities
    from crm.analytics import selectors as crm
    from crm.models import Customer
    from privtraffic.tenancy.roles import Role
    from privtraffic.tenancy.selectors import member_list
    from tests import factories

    call_command("migrate", verbosity=0)
    brand = factories.make_brand(f"bench-overview-{int(time.time())}")
    started = time.perf_counter()
    loaded = _load(brand, customers)
    setup_s = time.perf_counter() - started
    owner = factories.owner_of(brand)
    baseline = _ms(lambda: Customer.objects.filter(brand=brand).count())
    scenario = f"overview_{customers // 1000}k"
    rows = [{"scenario": scenario, "figure": "setup", "value": round(setup_s, 1), "unit": "s",
             "baseline": f"{customers:,} customers, {loaded['messages']:,} messages, "
                         f"{loaded['group_joins']:,} group joins", "baseline_value": None, "target": None}]

    def row(figure: str, value: float) -> None:
        rows.append({"scenario": scenario, "figure": figure, "value": round(value, 1), "unit": "ms",
                     "baseline": "COUNT(*) of the brand's customers", "baseline_value": round(baseline, 1),
                     "target": f"< {TARGET_MS:g} ms"})

    # The first view of a period writes the chat rollups of its finished days (once; later views read them).
    from chats.analytics.services import analytics_days_fill
    from privtraffic.tenancy.actors import SystemActor

    fill_started = time.perf_counter()
    analytics_days_fill(brand=brand, actor=SystemActor.for_brand(brand, "bench"),
                        since=crm.period_start(brand, 90).date())
    row("chat rollups of 90 finished days, written once (first view only)", (time.perf_counter() - fill_started) * 1000)
    for days in (30, 90):
        for store in (None, loaded["store"]):
            start = crm.period_start(brand, days)
            s = {"start": start, "store_id": store.pk if store else None}
            where = f"{days}d" + (", one store" if store else "")
            row(f"members and joins ({where})", _ms(lambda s=s: (crm.customer_growth(brand, **s),
                                                                  communities.group_joins_count(brand, **s))))
            row(f"active customers ({where})",
                _ms(lambda s=s: crm.customer_active_count(brand, since=s["start"], store_id=s["store_id"])))
            row(f"messages by customers vs staff ({where})", _ms(lambda s=s: chats.message_counts_by_day(brand, **s)))
            row(f"median first response ({where})", _ms(lambda s=s: chats.first_response_stats(brand, **s)))
            row(f"funnel ({where})", _ms(lambda s=s: (communities.invite_open_count(brand, **s),
                                                       crm.customer_funnel(brand, **s))))
            row(f"top groups ({where})", _ms(lambda s=s: communities.group_top_by_joins(brand, **s)))
            row(f"top reps ({where})", _ms(lambda s=s: (crm.rep_new_customer_counts(brand, **s),
                                                         list(member_list(brand=brand, actor=owner, role=Role.REP,
                                                                          store_id=s["store_id"])))))
    client = Client()
    client.force_login(owner.user)
    for days in (30, 90):
        response = client.get(f"/b/{brand.slug}/?period={days}")
        assert response.status_code == 200, response.status_code
        row(f"whole page, every panel ({days}d)", _ms(lambda days=days: client.get(f"/b/{brand.slug}/?period={days}")))
    return rows


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    width = max(len(r["figure"]) for r in result)
    for r in result:
        base = f"{r['baseline_value']} ms baseline" if r["baseline_value"] is not None else r["baseline"]
        print(f"{r['figure']:<{width}}  {r['value']:>9} {r['unit']:<2}  ({base}; target {r['target']})")
