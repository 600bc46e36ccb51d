"""Joining a group-buy: once per customer, counted exactly, tiers announced once in the groups of the card,
referrals attributed, closed deals refused; and the tiers' validation."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.groupbuys.models import GroupBuyPost
from campaigns.groupbuys.services import group_buy_join, group_buy_save
from campaigns.groupbuys.tiers import tiers_clean, tiers_parse_lines
from chats.models import Message
from chats.services import Sender, conversation_for_group, message_send
from privtraffic.events.models import Event, EventReceipt
from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.errors import ApplicationError
from tests import factories


def test_the_card_posted_in_a_group_is_remembered_by_the_post_itself(brand, deal, posted):
    conversation = posted(deal)
    assert list(GroupBuyPost.objects.filter(group_buy=deal).values_list("conversation_id", flat=True)) == [
        conversation.pk]
    # Recorded in the message's own transaction (the card kind's on_post hook), not by an outbox subscriber:
    # relaying the message's event leaves no receipt of group-buys.
    assert not EventReceipt.objects.filter(subscriber__startswith="groupbuys").exists()


def test_a_card_post_that_rolls_back_leaves_no_record(brand, deal, marketer):
    conversation = conversation_for_group(group=factories.make_group(brand, "Serum lovers"))
    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(conversation=conversation, sender=Sender.of_staff(marketer), body="", kind="group_buy",
                     payload={"title": deal.title, "ref": deal.pk})
        assert GroupBuyPost.objects.filter(group_buy=deal, conversation=conversation).exists()
        raise RuntimeError("the caller's transaction fails after the post")
    assert not GroupBuyPost.objects.filter(group_buy=deal).exists()


def test_joining_counts_once_and_a_second_join_answers_the_same_place(brand, deal, customer_actor):
    actor = customer_actor("Mei")
    first = group_buy_join(actor=actor, group_buy_id=deal.pk)
    again = group_buy_join(actor=actor, group_buy_id=deal.pk)
    assert first.created and not again.created and again.participant.pk == first.participant.pk
    deal.refresh_from_db()
    assert deal.participant_count == 1
    assert len(first.participant.referral_code) >= 16
    assert Event.objects.filter(type="group_buy.joined").count() == 1


def test_each_tier_is_announced_once_in_the_groups_of_the_card(brand, deal, customer_actor, posted):
    factories.make_persona(brand, "Lumi")
    group_conversation = posted(deal)
    for i in range(6):
        group_buy_join(actor=customer_actor(f"Fan {i}"), group_buy_id=deal.pk)
    notices = list(Message.objects.filter(conversation=group_conversation, kind="text").order_by("seq")
                   .values_list("body", "sender_name"))
    assert notices == [
        ('Tier unlocked for "Serum team buy": 179.00 CNY with 2 people.', "Lumi"),
        ('Tier unlocked for "Serum team buy": 159.00 CNY with 5 people.', "Lumi"),
    ]
    assert Event.objects.filter(type="group_buy.tier_unlocked").count() == 2


def test_a_referral_code_attributes_the_joiner_to_the_referrer(brand, deal, customer_actor):
    referrer = group_buy_join(actor=customer_actor("Ann"), group_buy_id=deal.pk).participant
    friend = group_buy_join(actor=customer_actor("Bo"), group_buy_id=deal.pk,
                            referral_code=referrer.referral_code).participant
    assert friend.referred_by_id == referrer.pk
    own = group_buy_join(actor=CustomerActor(referrer.customer), group_buy_id=deal.pk,
                         referral_code=referrer.referral_code)
    assert not own.created and own.participant.referred_by_id is None  # nobody refers themselves


@pytest.mark.parametrize("change", [
    {"deadline": timezone.now() - datetime.timedelta(minutes=1)},
    {"status": "failed"},
])
def test_a_closed_group_buy_refuses_joins_and_changes_nothing(brand, customer_actor, change):
    deal = factories.make_group_buy(brand, **change)
    with pytest.raises(ApplicationError) as refused:
        group_buy_join(actor=customer_actor(), group_buy_id=deal.pk)
    assert refused.value.code == "group_buy_closed" and refused.value.status == 409
    deal.refresh_from_db()
    assert deal.participant_count == 0 and not deal.participants.exists()


def test_another_brands_group_buy_is_not_found(brand, other_brand, customer_actor):
    theirs = factories.make_group_buy(other_brand)
    with pytest.raises(ApplicationError) as missing:
        group_buy_join(actor=customer_actor(), group_buy_id=theirs.pk)
    assert missing.value.status == 404
    assert not theirs.participants.exists()


def test_staff_cannot_join_for_a_customer(deal, rep):
    with pytest.raises(ApplicationError) as refused:
        group_buy_join(actor=rep, group_buy_id=deal.pk)
    assert refused.value.status == 403


@pytest.mark.parametrize("raw,message", [
    ([], "Give at least one price tier."),
    ("2 179", "Give at least one price tier."),
    ([{"min": 1, "price": "179.00"}], "A tier needs between 2 and 100,000 people."),
    ([{"min": True, "price": "179.00"}], "A tier needs between 2 and 100,000 people."),
    ([{"min": 2, "price": "abc"}], "A tier's price must be a number like 159.00."),
    ([{"min": 2, "price": "NaN"}], "A tier's price must be a number like 159.00."),
    ([{"min": 2, "price": "1.005"}], "A tier's price must be a number like 159.00."),
    ([{"min": 2, "price": "-1"}], "A tier's price must be a number like 159.00."),
    ([{"min": 5, "price": "179.00"}, {"min": 2, "price": "159.00"}], "Tiers go up in the number of people."),
    ([{"min": 2, "price": "159.00"}, {"min": 5, "price": "179.00"}],
     "Each tier's price must be lower than the one before."),
    ([{"min": 2, "price": "199.00"}], "The first tier's price must be below the product's price."),
    ([{"min": 2, "price": "1", "x": 1}], "Each tier is a number of people and a price."),
])
def test_bad_tiers_are_refused_clearly(raw, message):
    with pytest.raises(ApplicationError) as refused:
        tiers_clean(raw, list_price=Decimal("199.00"))
    assert refused.value.fields == {"tiers": [message]}


def test_tiers_from_the_form_lines():
    assert tiers_parse_lines("2 179\n 5: 159.00 \n\n10=139") == [
        {"min": 2, "price": "179"}, {"min": 5, "price": "159.00"}, {"min": 10, "price": "139"}]
    with pytest.raises(ApplicationError):
        tiers_parse_lines("２ 179")  # full-width digit
    with pytest.raises(ApplicationError):
        tiers_parse_lines("five 179")


def test_once_people_joined_the_tiers_are_fixed_but_the_title_may_change(brand, deal, marketer, customer_actor):
    group_buy_join(actor=customer_actor(), group_buy_id=deal.pk)
    with pytest.raises(ApplicationError) as refused:
        group_buy_save(brand=brand, actor=marketer, group_buy=deal, product_id=deal.product_id, title="New",
                       tiers=[{"min": 3, "price": "150.00"}], deadline=deal.deadline)
    assert refused.value.status == 409
    saved = group_buy_save(brand=brand, actor=marketer, group_buy=deal, product_id=deal.product_id, title="New",
                           tiers=deal.tiers, deadline=deal.deadline)
    assert saved.title == "New" and saved.tiers == deal.tiers


def test_a_rep_may_not_create_group_buys(brand, deal, rep):
    with pytest.raises(ApplicationError) as refused:
        group_buy_save(brand=brand, actor=rep, product_id=deal.product_id, title="Mine", tiers=deal.tiers,
                       deadline=deal.deadline)
    assert refused.value.status == 403
