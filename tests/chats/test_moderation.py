import datetime

import pytest

from chats.models import GroupRule, Message, MessageReport, ModerationLog, QuickReply
from chats.moderation import message_report, message_report_resolve
from chats.services import (
    Sender,
    conversation_for_customer,
    conversation_for_group,
    message_send,
    quick_reply_render,
    quick_reply_save,
)
from communities.groups.services import group_member_add
from communities.models import GroupMember
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def club(brand):
    group = factories.make_group(brand, "Club", system_messages=False)
    member = group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, "Troll Toll"))
    return conversation_for_group(group=group), member


def _rule(conversation, **fields):
    return GroupRule.objects.create(brand_id=conversation.brand_id, group_id=conversation.group_id, **fields)


@pytest.mark.parametrize("fields, body, rule_name", [
    ({"blocked_words": "fake\ncheap replica"}, "Buy a CHEAP REPLICA here", "blocked_word"),
    ({"block_links": True}, "see www.spam.cn now", "link"),
    ({"block_links": True}, "deals at https://x.example/a", "link"),
])
def test_rule_hides_the_message_and_logs_it(club, fields, body, rule_name):
    conversation, member = club
    _rule(conversation, **fields)
    message = message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body=body)
    assert message.deleted_at is not None and message.hidden_reason == rule_name
    log = ModerationLog.objects.get()
    assert (log.rule, log.action, log.customer_id, log.message_id) == (rule_name, "hide", member.customer_id, message.pk)


def test_rules_do_not_touch_staff_or_clean_messages(club, brand):
    conversation, member = club
    _rule(conversation, blocked_words="sale", block_links=True)
    staff = factories.owner_of(brand)
    assert message_send(conversation=conversation, sender=Sender.of_staff(staff), body="Big sale: https://acme.cn").hidden_reason == ""
    assert message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="Love it!").hidden_reason == ""
    assert not ModerationLog.objects.exists()


def test_mute_and_remove_actions(club, brand):
    conversation, member = club
    rule = _rule(conversation, blocked_words="spam", action="mute", mute_minutes=30)
    message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="spam spam")
    member.refresh_from_db()
    assert member.is_muted()
    with pytest.raises(ApplicationError) as muted:
        message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="hello?")
    assert muted.value.code == "muted"
    rule.action = "remove"
    rule.save()
    other = group_member_add(group=member.group, actor=factories.system(member.group.brand_id), customer=factories.make_customer(brand))
    message_send(conversation=conversation, sender=Sender.of_customer(other.customer), body="more spam")
    assert GroupMember.objects.get(pk=other.pk).leave_reason == "removed"


def test_flood_rule(club):
    conversation, member = club
    _rule(conversation, flood_limit=3)
    reasons = [message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body=f"m{i}").hidden_reason
               for i in range(5)]
    assert reasons == ["", "", "", "flood", "flood"]


@pytest.mark.parametrize("kind, payload, field", [
    ("product", {"name": "Grill", "price": "abc", "currency": "CNY"}, "payload.price"),
    ("product", {"price": "10.00", "currency": "CNY"}, "payload.name"),
    ("product", {"name": "Grill", "price": "10", "currency": "CNY", "url": "javascript:alert(1)"}, "payload.url"),
    ("coupon", {"code": "bad code!", "title": "10% off"}, "payload.code"),
    ("image", {"url": "ftp://x"}, "payload.url"),
])
def test_card_payloads_are_validated(brand, kind, payload, field):
    conversation = conversation_for_customer(customer=factories.make_customer(brand))
    with pytest.raises(ApplicationError) as error:
        message_send(conversation=conversation, sender=Sender.bot("Brand", key="test"), kind=kind, body="", payload=payload)
    assert field in error.value.fields
    assert not Message.objects.exists()


def test_product_and_coupon_cards(brand):
    from crm.models import ContactPolicy

    # Cards in a 1:1 chat are promotions (tests/crm/test_reach.py): a consenting customer, no quiet hours.
    ContactPolicy.objects.create(brand=brand, quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0))
    customer = factories.make_customer(brand, consent_chat=True, consent_promotions=True)
    conversation = conversation_for_customer(customer=customer)
    product = message_send(conversation=conversation, sender=Sender.bot("Brand", key="test"), kind="product", body="",
                           payload={"name": "BBQ set", "price": "899.00", "currency": "CNY", "url": "https://acme.cn/bbq"})
    coupon = message_send(conversation=conversation, sender=Sender.bot("Brand", key="test"), kind="coupon", body="For you",
                          payload={"code": "SPRING-10", "title": "10% off"})
    assert (product.seq, coupon.seq) == (1, 2)


def test_quick_reply_variables(brand):
    rep = factories.make_member(brand, Role.REP)
    customer = factories.make_customer(brand, "Mei Lin", assigned_rep=rep)
    reply = quick_reply_save(brand=brand, actor=None, title="Hello", body="Hi {first_name}, I'm {rep_name} at {store_name}.")
    text = quick_reply_render(body=reply.body, conversation=conversation_for_customer(customer=customer), membership=rep)
    assert text == f"Hi Mei, I'm {rep.user.display_name} at {rep.store.name}."
    with pytest.raises(ApplicationError) as bad:
        quick_reply_save(brand=brand, actor=None, title="Bad", body="Hi {firstname} {coupon}")
    assert "coupon" in bad.value.message and "firstname" in bad.value.message
    with pytest.raises(ApplicationError) as duplicate:
        quick_reply_save(brand=brand, actor=None, title="Hello", body="again")
    assert duplicate.value.code == "duplicate"
    with pytest.raises(ApplicationError):
        quick_reply_save(brand=brand, actor=rep, title="Rep's own", body="x")
    assert QuickReply.objects.count() == 1


def test_reports(club, brand):
    conversation, member = club
    reporter = group_member_add(group=member.group, actor=factories.system(member.group.brand_id), customer=factories.make_customer(brand)).customer
    message = message_send(conversation=conversation, sender=Sender.of_customer(member.customer), body="rude")
    report = message_report(message=message, reporter=reporter, reason="rude")
    assert message_report(message=message, reporter=reporter).pk == report.pk
    with pytest.raises(ApplicationError):
        message_report(message=message, reporter=member.customer)
    with pytest.raises(ApplicationError) as foreign:
        message_report(message=message, reporter=factories.make_customer(factories.make_brand()))
    assert foreign.value.status == 404
    message_report_resolve(report=report, actor=factories.owner_of(brand))
    assert MessageReport.objects.get().resolved_at is not None
