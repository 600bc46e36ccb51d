"""Exact capacity under concurrency, on PostgreSQL with real threads and connections."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.groups.services import group_member_add, group_member_leave
from communities.invites.services import invite_join
from communities.models import GroupMember, VipGroup
from crm.models import Customer
from privtraffic.events.models import Event
from privtraffic.tenancy.errors import ApplicationError
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


# --- what one join costs, and how long it holds the group's row -------------------------------------------


def _statements(fn):
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return result, [q["sql"] for q in captured.captured_queries]


def _after(statements, prefix):
    """The statements after the first one starting with `prefix`."""
    index = next(i for i, sql in enumerate(statements) if sql.startswith(prefix))
    return statements[index + 1:]


def test_the_seat_is_the_last_write_before_commit(brand):
    """Every joiner of a group queues for its row lock (the conditional UPDATE): the member's writes go first,
    so the lock is held only for the commit."""
    group = factories.make_group(brand, capacity=5, system_messages=False)
    member, statements = _statements(lambda: group_member_add(
        group=group, actor=factories.system(brand), customer=factories.make_customer(brand)))
    assert member.pk and GroupMember.objects.filter(group=group).count() == 1
    assert _after(statements, 'UPDATE "communities_vipgroup"')[0] == "COMMIT"


def test_invite_join_statements_and_short_locks(brand):
    """An invite join with its join notice (relayed in-process, as in the embedded default): 37 statements,
    and the link's row (every joiner through it queues for its use count) is written last, just before the
    commit, after the seat."""
    group = factories.make_group(brand, capacity=50)
    invite = factories.make_invite(brand, group=group)
    invite_join(invite=invite, customer=factories.make_customer(brand))  # the group's conversation exists now
    customer = factories.make_customer(brand)
    member, statements = _statements(lambda: invite_join(invite=invite, customer=customer))
    assert member.customer_id == customer.pk
    assert len(statements) <= 37, "\n".join(statements)
    join = statements[:statements.index("COMMIT") + 1]  # the join's own transaction, before the relay
    assert join[-2].startswith('UPDATE "communities_invitelink"')
    assert any(sql.startswith('UPDATE "communities_vipgroup"') for sql in join)
    group.refresh_from_db()
    invite.refresh_from_db()
    assert (group.member_count, invite.use_count) == (2, 2)


def test_a_group_that_reads_full_is_not_written_to(brand):
    group = factories.make_group(brand, capacity=1)
    group_member_add(group=group, actor=factories.system(brand), customer=factories.make_customer(brand))
    late = factories.make_customer(brand)
    stale = VipGroup.objects.get(pk=group.pk)
    with CaptureQueriesContext(connection) as captured, pytest.raises(ApplicationError) as refused:
        group_member_add(group=stale, actor=factories.system(brand), customer=late)
    assert refused.value.code == "group_full"
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT", "SELECT"]  # no lock, no write
    # A member of the full group adding themselves again gets their membership back, as before.
    first = GroupMember.objects.get(group=group)
    assert group_member_add(group=stale, actor=factories.system(brand), customer=first.customer).pk == first.pk
    assert not GroupMember.objects.filter(customer=late).exists()
    assert not Event.objects.filter(type="member.joined", payload__customer_id=late.pk).exists()


def test_a_copy_that_missed_the_seat_taken_rolls_the_member_back(brand):
    """A copy of the group read before it filled up goes to the conditional UPDATE, which refuses: the
    member row and its event roll back, and the group stays at capacity."""
    group = factories.make_group(brand, capacity=1)
    before = VipGroup.objects.get(pk=group.pk)  # member_count 0
    group_member_add(group=group, actor=factories.system(brand), customer=factories.make_customer(brand))
    late = factories.make_customer(brand)
    with pytest.raises(ApplicationError) as refused:
        group_member_add(group=before, actor=factories.system(brand), customer=late)
    assert refused.value.code == "group_full"
    assert not GroupMember.objects.filter(customer=late).exists()
    assert not Event.objects.filter(type="member.joined", payload__customer_id=late.pk).exists()
    group.refresh_from_db()
    assert group.member_count == 1


def test_a_copy_that_reads_full_is_read_again_when_a_seat_freed_up(brand):
    group = factories.make_group(brand, capacity=1)
    first = group_member_add(group=group, actor=factories.system(brand), customer=factories.make_customer(brand))
    full = VipGroup.objects.get(pk=group.pk)
    group_member_leave(member=first)
    joined = group_member_add(group=full, actor=factories.system(brand), customer=factories.make_customer(brand))
    assert joined.left_at is None
    group.refresh_from_db()
    assert group.member_count == 1
