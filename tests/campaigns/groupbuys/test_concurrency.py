"""Exact under concurrency, on PostgreSQL with real threads and connections: 1,000 concurrent joins give
1,000 participants and each tier is announced exactly once; two dispatchers settle a group-buy once."""

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from campaigns.groupbuys.models import GroupBuyParticipant, GroupBuyPost
from campaigns.groupbuys.services import group_buy_join, groupbuys_dispatch
from campaigns.models import CouponClaim
from chats.models import Message
from chats.services import conversation_for_group
from crm.models import Customer
from privtraffic.events.models import Event
from privtraffic.tenancy.actors import CustomerActor
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 40


def _run_concurrently(fn, items):
    def call(item):
        try:
            return fn(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(call, items))


def test_1000_concurrent_joins_give_1000_participants_and_each_tier_unlocks_once(brand):
    deal = factories.make_group_buy(brand, tiers=[{"min": 2, "price": "179.00"}, {"min": 500, "price": "159.00"},
                                                  {"min": 1000, "price": "139.00"}, {"min": 1001, "price": "99.00"}])
    group_conversation = conversation_for_group(group=factories.make_group(brand, "Serum lovers"))
    GroupBuyPost.objects.create(brand=brand, group_buy=deal, conversation=group_conversation)
    Customer.objects.bulk_create([Customer(brand=brand, name=f"Fan {i}") for i in range(1000)])
    customers = list(Customer.objects.filter(brand=brand).order_by("id"))

    results = _run_concurrently(lambda c: group_buy_join(actor=CustomerActor(c), group_buy_id=deal.pk), customers)

    assert all(r.created for r in results)
    deal.refresh_from_db()
    assert deal.participant_count == 1000
    assert GroupBuyParticipant.objects.filter(group_buy=deal).count() == 1000
    assert len(set(GroupBuyParticipant.objects.values_list("referral_code", flat=True))) == 1000
    notices = list(Message.objects.filter(conversation=group_conversation).order_by("seq").values_list("body", flat=True))
    assert [n.split(": ")[1] for n in notices] == ["179.00 CNY with 2 people.", "159.00 CNY with 500 people.",
                                                   "139.00 CNY with 1000 people."]
    assert Event.objects.filter(type="group_buy.tier_unlocked").count() == 3
    assert Event.objects.filter(type="group_buy.joined").count() == 1000


def test_the_same_customer_joining_from_many_screens_at_once_is_one_participant(brand):
    deal = factories.make_group_buy(brand)
    customer = factories.make_customer(brand)
    results = _run_concurrently(lambda _: group_buy_join(actor=CustomerActor(customer), group_buy_id=deal.pk),
                                range(20))
    assert len({r.participant.pk for r in results}) == 1 and sum(r.created for r in results) == 1
    deal.refresh_from_db()
    assert deal.participant_count == 1


def test_concurrent_dispatchers_settle_a_group_buy_once(brand):
    deal = factories.make_group_buy(brand)
    for i in range(3):
        group_buy_join(actor=CustomerActor(factories.make_customer(brand, f"Fan {i}")), group_buy_id=deal.pk)
    later = deal.deadline + datetime.timedelta(minutes=1)
    settled = _run_concurrently(lambda _: groupbuys_dispatch(now=later), range(8))
    assert sum(settled) == 1
    assert CouponClaim.objects.count() == 3
    assert Message.objects.filter(conversation__customer__isnull=False).count() == 3
    assert Event.objects.filter(type="group_buy.settled").count() == 1
