"""The deadline: groupbuys_dispatch settles each due group-buy once, issues the reached tier's code to every
participant in their 1:1 chat (in bulk), or says it was not reached; a second run or a run killed midway
never loses nor doubles a settlement."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.groupbuys import services
from campaigns.groupbuys.models import GroupBuy
from campaigns.groupbuys.services import group_buy_join, groupbuys_dispatch
from campaigns.models import Coupon, CouponClaim
from campaigns.tasks import dispatch_campaigns
from chats.models import Message
from privtraffic.events.models import Event
from tests import factories


def _join(deal, customer_actor, n):
    return [group_buy_join(actor=customer_actor(f"Fan {i}"), group_buy_id=deal.pk).participant for i in range(n)]


def _after(deal, minutes=1):
    return deal.deadline + datetime.timedelta(minutes=minutes)


def _direct_messages(participant):
    return list(Message.objects.filter(conversation__customer=participant.customer).values_list("body", flat=True))


def test_nothing_is_settled_before_the_deadline(deal, customer_actor):
    _join(deal, customer_actor, 3)
    assert groupbuys_dispatch(now=deal.deadline - datetime.timedelta(seconds=1)) == 0
    deal.refresh_from_db()
    assert deal.status == "open" and deal.settled_at is None


def test_a_reached_tier_gives_every_participant_a_personal_code_in_their_chat(brand, deal, customer_actor):
    factories.make_persona(brand, "Lumi")
    people = _join(deal, customer_actor, 6)
    assert groupbuys_dispatch(now=_after(deal)) == 1
    deal.refresh_from_db()
    assert (deal.status, deal.settled_tier) == ("succeeded", 2)
    coupon = Coupon.objects.get(pk=deal.coupon_id)
    assert coupon.personal_codes and coupon.kind == "amount" and str(coupon.value) == "40.00"
    assert coupon.product_id == deal.product_id and coupon.claims_count == 6
    codes = dict(CouponClaim.objects.filter(coupon=coupon).values_list("customer_id", "code"))
    assert len(set(codes.values())) == 6
    for person in people:
        person.refresh_from_db()
        assert person.issued_code == codes[person.customer_id]
        (body,) = _direct_messages(person)
        assert body.startswith('"Serum team buy" reached 159.00 CNY with 6 people. Your code: ' + person.issued_code)
    assert Message.objects.filter(conversation__customer__in=[p.customer for p in people],
                                  sender_name="Lumi").count() == 6
    (settled,) = Event.objects.filter(type="group_buy.settled").values_list("payload", flat=True)
    assert settled["status"] == "succeeded" and settled["tier"] == 2 and settled["price"] == "159.00"


def test_a_group_buy_that_missed_its_first_tier_says_so(deal, customer_actor):
    (alone,) = _join(deal, customer_actor, 1)
    assert groupbuys_dispatch(now=_after(deal)) == 1
    deal.refresh_from_db()
    assert deal.status == "failed" and deal.coupon_id is None
    (body,) = _direct_messages(alone)
    assert "did not reach its first tier" in body
    assert not CouponClaim.objects.exists()


def test_running_the_dispatcher_twice_settles_once(deal, customer_actor):
    _join(deal, customer_actor, 2)
    assert groupbuys_dispatch(now=_after(deal)) == 1
    assert groupbuys_dispatch(now=_after(deal, 5)) == 0
    dispatch_campaigns.apply()  # the periodic task calls it too
    assert Coupon.objects.count() == 1 and CouponClaim.objects.count() == 2
    assert Message.objects.filter(conversation__customer__isnull=False).count() == 2
    assert Event.objects.filter(type="group_buy.settled").count() == 1


def test_a_dispatcher_killed_midway_leaves_nothing_half_done_and_the_next_run_settles(deal, customer_actor,
                                                                                       monkeypatch):
    _join(deal, customer_actor, 5)
    real = services.messages_send_bulk

    def killed(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "messages_send_bulk", killed)
    with pytest.raises(RuntimeError):
        groupbuys_dispatch(now=_after(deal))
    deal.refresh_from_db()
    assert deal.status == "open" and deal.coupon_id is None
    assert not Coupon.objects.exists() and not CouponClaim.objects.exists()
    assert not Event.objects.filter(type="group_buy.settled").exists()

    monkeypatch.setattr(services, "messages_send_bulk", real)
    assert groupbuys_dispatch(now=_after(deal)) == 1
    deal.refresh_from_db()
    assert deal.status == "succeeded" and CouponClaim.objects.count() == 5
    assert Message.objects.filter(conversation__customer__isnull=False).count() == 5


def test_settling_costs_the_same_statements_for_20_or_200_participants(brand, customer_actor):
    from campaigns.groupbuys.models import GroupBuyParticipant
    from crm.models import Customer

    counts = []
    for size in (20, 200):
        deal = factories.make_group_buy(brand)
        customers = Customer.objects.bulk_create([Customer(brand=brand, name=f"P{size}-{i}") for i in range(size)])
        GroupBuyParticipant.objects.bulk_create([
            GroupBuyParticipant(brand=brand, group_buy=deal, customer=c, referral_code=f"code-{size}-{i}")
            for i, c in enumerate(customers)])
        GroupBuy.objects.filter(pk=deal.pk).update(participant_count=size)
        with CaptureQueriesContext(connection) as queries:
            assert groupbuys_dispatch(now=_after(deal)) == 1
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
