"""Time segment counts over 100,000 customers (bulk_create) with tags, attributes and group members.

Not part of the test suite or `make bench`. Run it once through pytest on the throwaway servers:

    python tests/testenv.py -- bench/segments_100k.py -s -q -p no:cacheprovider -n 0

Figures (setup time, then count time for three definitions, best of 3) go to stdout.
"""

import datetime
import random
import time
from decimal import Decimal

import pytest
from django.utils import timezone

CUSTOMERS = 100_000
BATCH = 5_000


def _timed(label: str, fn, runs: int = 3):
    best, result = None, None
    for _run in range(runs):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    print(f"{label:<48} {best * 1000:9.1f} ms  -> {result}", flush=True)
    return result


@pytest.mark.django_db
def test_segment_counts_100k():
    from communities.models import GroupMember
    from crm.models import AttributeDefinition, Customer, CustomerTag, Order, Tag
    from crm.segments import selectors as segments
    from tests import factories

    rng = random.Random(7)
    brand = factories.make_brand("bench-segments")
    store = factories.make_store(brand)
    group = factories.make_group(brand)
    tags = [Tag.objects.create(brand=brand, name=name) for name in ("oily-skin", "vip", "dry-skin", "newsletter")]
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin", type="choice",
                                       choices=["oily", "dry", "normal"])
    AttributeDefinition.objects.create(brand=brand, key="age", label="Age", type="number")
    now = timezone.now()

    start = time.perf_counter()
    for offset in range(0, CUSTOMERS, BATCH):
        rows = [Customer(brand=brand, name=f"Bench {i}", email=f"bench{i}@example.test",
                         home_store=store if i % 3 == 0 else None, consent_promotions=i % 2 == 0,
                         last_active_at=now - datetime.timedelta(days=rng.randint(0, 120)),
                         attributes={"skin_type": rng.choice(["oily", "dry", "normal"]), "age": rng.randint(18, 70)})
                for i in range(offset, offset + BATCH)]
        created = Customer.objects.bulk_create(rows)
        links = [CustomerTag(brand=brand, customer=c, tag=tag) for c in created for tag in tags if rng.random() < 0.3]
        CustomerTag.objects.bulk_create(links)
        GroupMember.objects.bulk_create([GroupMember(brand=brand, group=group, customer=c)
                                         for c in created if rng.random() < 0.005])
        # A third of them bought: 1-4 orders in the last year (figures set as crm.orders would keep them).
        orders, buyers = [], []
        for c in created:
            if rng.random() < 0.33:
                placed = [now - datetime.timedelta(days=rng.randint(1, 365)) for _ in range(rng.randint(1, 4))]
                orders += [Order(brand=brand, customer=c, external_id=f"B-{c.pk}-{n}", currency="CNY",
                                 total=Decimal(rng.randint(50, 900)), placed_at=at) for n, at in enumerate(placed)]
                c.order_count, c.last_order_at = len(placed), max(placed)
                c.lifetime_value = sum((o.total for o in orders[-len(placed):]), Decimal(0))
                buyers.append(c)
        Order.objects.bulk_create(orders)
        Customer.objects.bulk_update(buyers, ["order_count", "last_order_at", "lifetime_value"])
    print(f"\nsetup: {CUSTOMERS:,} customers, {CustomerTag.objects.filter(brand=brand).count():,} tag links "
          f"in {time.perf_counter() - start:.1f} s", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    definitions = {
        "tag has vip": {"all": [{"field": "tag", "op": "has", "value": "vip"}]},
        "vip AND oily attr AND promos AND active 30d": {"all": [
            {"field": "tag", "op": "has", "value": "vip"},
            {"field": "attribute", "key": "skin_type", "op": "eq", "value": "oily"},
            {"field": "consent_promotions", "op": "eq", "value": True},
            {"field": "active_within_days", "op": "lte", "value": 30}]},
        "ANY(not_has oily-skin, age > 60, member_of grp)": {"any": [
            {"field": "tag", "op": "not_has", "value": "oily-skin"},
            {"field": "attribute", "key": "age", "op": "gt", "value": 60},
            {"field": "group", "op": "member_of", "value": group.pk}]},
        "spent > 1000 AND ordered within 90d": {"all": [
            {"field": "total_spent", "op": "gt", "value": 1000},
            {"field": "ordered", "op": "within_days", "value": 90}]},
        "never ordered AND promos": {"all": [
            {"field": "ordered", "op": "never"},
            {"field": "consent_promotions", "op": "eq", "value": True}]},
    }
    for label, definition in definitions.items():
        definition = segments.segment_definition_validate(brand=brand, definition=definition)
        count = _timed(label, lambda d=definition: segments.segment_queryset(brand=brand, definition=d).count())
        assert 0 < count < CUSTOMERS
