"""The write path: message_send's checks and cards (moderation, quick replies and sockets have their own)."""

import datetime

import pytest

from chats.models import Message
from chats.services import Sender, conversation_for_customer, message_send
from privtraffic.tenancy.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("kind, payload, field", [
    ("product", {"name": "Grill", "price": "abc", "currency": "CNY"}, "payload.price"),
    ("product", {"price": "10.00", "currency": "CNY"}, "payload.name"),
    ("product", {"name": "Grill", "price": "10", "currency": "CNY", "url": "javascript:alert(1)"}, "payload.url"),
    ("product", {"name": "Grill", "price": "10", "currency": "CNY", "image_url": "data:image/png;base64,x"},
     "payload.image_url"),
    ("product", {"name": "Grill", "price": "10", "currency": "CNY", "product_id": "7"}, "payload.product_id"),
    ("product", {"name": "Grill", "price": "10", "currency": "CNY", "product_id": 0}, "payload.product_id"),
    ("product", {"name": "Grill", "price": "10", "currency": "CNY", "product_id": True}, "payload.product_id"),
    ("product", {"name": "Grill", "price": "10", "currency": "CNY", "product_id": 2 ** 64}, "payload.product_id"),
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


def test_a_product_card_names_a_product_of_the_conversations_brand(brand, other_brand):
    from crm.models import ContactPolicy

    ContactPolicy.objects.create(brand=brand, quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0))
    conversation = conversation_for_customer(customer=factories.make_customer(brand, consent_chat=True,
                                                                              consent_promotions=True))
    card = {"name": "Serum", "price": "199.00", "currency": "CNY", "image_url": "https://cdn.acme.example/s.jpg"}
    theirs = factories.make_product(other_brand)
    with pytest.raises(ApplicationError) as error:
        message_send(conversation=conversation, sender=Sender.bot("Brand", key="test"), kind="product", body="",
                     payload={**card, "product_id": theirs.pk})
    assert error.value.status == 404
    ours = factories.make_product(brand)
    sent = message_send(conversation=conversation, sender=Sender.bot("Brand", key="test"), kind="product", body="",
                        payload={**card, "product_id": ours.pk})
    assert sent.payload["product_id"] == ours.pk and sent.payload["image_url"] == card["image_url"]


# --- The write path's SQL round trips (issue 12: ~100 sends/s in sequence into one conversation) -----------------

def _group_with_member(brand):
    from chats.services import conversation_for_group
    from communities.groups.services import group_member_add

    group = factories.make_group(brand)
    customer = factories.make_customer(brand, consent_chat=True)
    group_member_add(group=group, customer=customer, actor=factories.system(brand))
    conversation = conversation_for_group(group=group)
    conversation.group  # noqa: B018  (a socket holds its conversations with their group)
    return conversation, customer


@pytest.mark.django_db
def test_a_send_costs_a_fixed_handful_of_queries(brand, django_assert_num_queries):
    """One UPDATE ... RETURNING takes the seq (no SELECT FOR UPDATE, no brand fetch), the read state is one
    upsert, and the retry lookup is paid only by a send that fails. Before: 12 and 8 queries."""
    conversation, customer = _group_with_member(brand)
    sender = Sender.of_customer(customer)
    message_send(conversation=conversation, sender=sender, body="first", client_msg_id="c0")
    # member check, group rule; savepoint, seq, message, event, read state, release (this test's transaction)
    with django_assert_num_queries(8):
        message_send(conversation=conversation, sender=sender, body="hello", client_msg_id="c1")
    with django_assert_num_queries(5):  # savepoint, seq, message, event, release
        message_send(conversation=conversation, sender=Sender.bot("Brand", key="api"), body="hi", client_msg_id="b1")


def test_the_write_path_keeps_seq_read_state_retries_and_reopening(brand):
    from chats.models import ConversationStatus, ReadState

    conversation, customer = _group_with_member(brand)
    conversation.refresh_from_db()
    n = conversation.last_seq  # the join notice
    sender = Sender.of_customer(customer)
    first = message_send(conversation=conversation, sender=sender, body="one", client_msg_id="x1")
    bot = message_send(conversation=conversation, sender=Sender.bot("Brand", key="api"), body="two")
    again = message_send(conversation=conversation, sender=sender, body="one (retried)", client_msg_id="x1")
    third = message_send(conversation=conversation, sender=sender, body="three", client_msg_id="x2")
    assert (first.seq, bot.seq, again.pk, third.seq) == (n + 1, n + 2, first.pk, n + 3)  # the retry took no seq
    conversation.refresh_from_db()
    assert conversation.last_seq == n + 3 and conversation.last_message_at >= bot.created_at
    assert ReadState.objects.get(conversation=conversation, participant_key=sender.key).last_read_seq == n + 3
    assert not ReadState.objects.filter(conversation=conversation, participant_key__startswith="bot:").exists()

    # A retry answers with the first message even when the sender may no longer post (an archived group).
    from communities.models import VipGroup

    VipGroup.objects.filter(pk=conversation.group_id).update(archived=True)
    conversation = type(conversation).objects.select_related("group").get(pk=conversation.pk)
    assert message_send(conversation=conversation, sender=sender, body="x", client_msg_id="x2").pk == third.pk
    with pytest.raises(ApplicationError) as error:
        message_send(conversation=conversation, sender=sender, body="new", client_msg_id="x3")
    assert error.value.code == "conversation_closed"

    # A customer writing into a resolved or snoozed 1:1 conversation reopens it; the brand writing does not.
    direct = conversation_for_customer(customer=customer)
    type(direct).objects.filter(pk=direct.pk).update(status=ConversationStatus.SNOOZED,
                                                     snoozed_until=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC))
    message_send(conversation=direct, sender=Sender.bot("Brand", key="api"), body="we are on it")
    direct.refresh_from_db()
    assert direct.status == ConversationStatus.SNOOZED and direct.snoozed_until is not None
    message_send(conversation=direct, sender=sender, body="any news?")
    direct.refresh_from_db()
    assert (direct.status, direct.snoozed_until) == (ConversationStatus.OPEN, None)
