"""Exact capacity under concurrency, on PostgreSQL with real threads and connections."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from communities.groups.services import group_member_add
from communities.invites.services import invite_join
from communities.models import GroupMember, VipGroup
from crm.models import Customer
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 40


def _run_concurrently(fn, items):
    def call(item):
        try:
            return fn(item)
        finally:
            connection.close()  # each worker thread has its own connection; give it back

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(call, items))


def _customers(brand, count):
    Customer.objects.bulk_create(
        [Customer(brand=brand, name=f"Fan {i}", email=f"fan{i}@example.test") for i in range(count)]
    )
    return list(Customer.objects.filter(brand=brand).order_by("id"))


def test_1000_concurrent_joins_fill_500_and_overflow_500(brand):
    group = factories.make_group(brand, "Beauty VIP", capacity=500)
    invite = factories.make_invite(brand, group=group)
    customers = _customers(brand, 1000)

    results = _run_concurrently(lambda c: invite_join(invite=invite, customer=c), customers)

    assert len(results) == 1000
    group.refresh_from_db()
    overflow = VipGroup.objects.get(series_root=group)
    assert overflow.name == "Beauty VIP #2" and group.overflow_group_id == overflow.pk
    assert VipGroup.objects.filter(brand=brand).count() == 2  # the next group was created once, not per racer
    assert (group.member_count, overflow.member_count) == (500, 500)
    assert GroupMember.objects.filter(group=group, left_at__isnull=True).count() == 500
    assert GroupMember.objects.filter(group=overflow, left_at__isnull=True).count() == 500
    assert GroupMember.objects.filter(brand=brand).values("customer").distinct().count() == 1000
    invite.refresh_from_db()
    assert invite.use_count == 1000


def test_same_customer_joining_concurrently_is_one_membership(brand):
    group = factories.make_group(brand, capacity=5)
    customer = factories.make_customer(brand)
    results = _run_concurrently(lambda _: group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer), range(20))
    assert len({m.pk for m in results}) == 1
    group.refresh_from_db()
    assert group.member_count == 1 and GroupMember.objects.filter(group=group).count() == 1


def test_strict_add_never_overfills(brand):
    group = factories.make_group(brand, capacity=10)
    customers = _customers(brand, 60)

    def add(customer):
        try:
            group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
            return "placed"
        except Exception as exc:  # the ApplicationError group_full is the expected refusal
            return getattr(exc, "code", repr(exc))

    outcomes = _run_concurrently(add, customers)
    assert outcomes.count("placed") == 10 and outcomes.count("group_full") == 50
    group.refresh_from_db()
    assert group.member_count == 10 == GroupMember.objects.filter(group=group).count()
