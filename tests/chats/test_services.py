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
