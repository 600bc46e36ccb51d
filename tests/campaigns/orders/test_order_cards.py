"""Order cards: every order status puts ONE order card in the customer's 1:1 chat, from their rep or the
brand persona, whatever the retries, duplicate events and concurrent relays; transactional (no consent,
quiet hours or budget); the card's payload, text and rendering."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.orders.models import OrderNotice
from campaigns.orders.services import order_card_send
from chats.models import Message, MessageKind
from chats.services import conversation_for_customer
from crm.consent.selectors import Purpose, customer_reach
from crm.consent.services import contact_policy_save
from crm.models import Order, PromotionContact
from crm.orders.services import order_update
from privtraffic.events.models import Event, EventReceipt
from privtraffic.events.services import event_record, event_relay
from privtraffic.tenancy.roles import Role
from tests import factories

from .conftest import ITEMS, relay

pytestmark = pytest.mark.django_db


def cards(customer):
    return list(Message.objects.filter(conversation__customer=customer, kind=MessageKind.ORDER).order_by("seq"))


def ship(order, tracking="SF1234567890", carrier="SF Express"):
    system = factories.system(order.brand_id)
    order = order_update(order=order, actor=system, status="paid")
    return order_update(order=order, actor=system, status="shipped", tracking_number=tracking, carrier=carrier)


def test_each_status_puts_one_card_with_items_total_and_tracking_from_the_rep(brand, customer, rep):
    order = factories.make_order(brand, customer, external_id="A1001", total="457.90", items=ITEMS)
    relay(brand)
    order = ship(order)
    relay(brand)
    order_update(order=order, actor=factories.system(brand), status="delivered")
    relay(brand)

    posted = cards(customer)
    assert [m.payload["status"] for m in posted] == ["placed", "paid", "shipped", "delivered"]
    shipped = posted[2]
    assert shipped.payload == {
        "order_id": order.pk, "external_id": "A1001", "status": "shipped", "total": "457.90", "currency": "CNY",
        "items": ITEMS, "tracking_number": "SF1234567890", "carrier": "SF Express"}
    assert shipped.body == "Your order #A1001 has shipped."
    assert posted[0].body == "Thank you! We received your order #A1001."
    # From the customer's rep, under a client_msg_id naming the order and status.
    assert {(m.sender_type, m.sender_user_id) for m in posted} == {("rep", rep.user_id)}
    assert shipped.client_msg_id == f"order:{order.pk}:shipped"
    assert OrderNotice.objects.filter(order=order).count() == 4


def test_a_tracking_only_change_posts_no_new_card(brand, customer):
    order = ship(factories.make_order(brand, customer))
    relay(brand)
    order_update(order=order, actor=factories.system(brand), tracking_number="SF999")
    relay(brand)

    assert Event.objects.filter(type="order.updated", payload__order_id=order.pk).count() == 3
    assert [m.payload["status"] for m in cards(customer)] == ["placed", "paid", "shipped"]


def test_duplicate_events_and_a_relay_run_twice_post_one_card_per_status(brand, customer):
    order = factories.make_order(brand, customer, external_id="A1002")
    order = order_update(order=order, actor=factories.system(brand), status="paid")
    # The integration's retry, or a replayed outbox: the same change recorded again, twice.
    original = Event.objects.get(type="order.updated", payload__order_id=order.pk)
    for _ in range(2):
        event_record(brand=brand, type="order.updated", payload=original.payload)

    relay(brand)
    relay(brand)
    for event in Event.objects.filter(brand=brand):
        event_relay(event=event)  # relayed already: nothing happens
    # A relay that forgot it ran (receipts and relayed marks lost) runs every event again.
    EventReceipt.objects.filter(event__brand=brand).delete()
    Event.objects.filter(brand=brand).update(relayed_at=None)
    relay(brand)

    assert [m.payload["status"] for m in cards(customer)] == ["placed", "paid"]
    assert OrderNotice.objects.filter(order=order).count() == 2


def test_the_card_of_a_late_relay_shows_the_status_its_event_was_about(brand, customer):
    order = ship(factories.make_order(brand, customer, external_id="A1003"))  # relayed only now, all at once
    relay(brand)

    posted = cards(customer)
    assert [m.payload["status"] for m in posted] == ["placed", "paid", "shipped"]
    assert posted[0].payload["tracking_number"] == "" and posted[2].payload["tracking_number"] == "SF1234567890"
    order.refresh_from_db()
    assert order.status == "shipped"


def test_without_a_rep_the_brand_persona_sends_it(brand, store):
    persona = factories.make_persona(brand, "Lumi")
    customer = factories.make_customer(brand, "Ann")
    factories.make_order(brand, customer)
    relay(brand)

    [card] = cards(customer)
    assert (card.sender_type, card.sender_name, card.persona_id) == ("bot", "Lumi", persona.pk)
    assert card.sender_key == f"persona:{persona.pk}"


def test_a_deactivated_rep_hands_the_card_to_the_persona_and_without_one_the_brand_speaks(brand, customer, rep):
    from privtraffic.tenancy.models import Membership

    Membership.objects.filter(pk=rep.pk).update(is_active=False)
    factories.make_order(brand, customer)
    relay(brand)

    [card] = cards(customer)
    assert card.sender_type == "bot" and card.sender_name == brand.name and card.sender_user_id is None


def test_an_order_card_is_transactional_quiet_hours_no_consent_and_no_budget(brand, customer):
    local_now = timezone.localtime(timezone.now(), brand.tzinfo)
    contact_policy_save(brand=brand, actor=factories.system(brand),
                        quiet_hours_start=(local_now - datetime.timedelta(hours=1)).time(),
                        quiet_hours_end=(local_now + datetime.timedelta(hours=1)).time(),
                        weekly_promotion_budget=0)
    assert customer.consent_promotions is False and customer.consent_chat is False
    assert customer_reach(brand=brand, customer=customer, purpose=Purpose.PROMOTIONAL).reachable is False

    order = ship(factories.make_order(brand, customer))
    relay(brand)

    assert [m.payload["status"] for m in cards(customer)] == ["placed", "paid", "shipped"]
    assert PromotionContact.objects.filter(customer=customer).count() == 0  # no budget slot taken
    assert all("opt_out_url" not in m.payload for m in cards(customer))
    assert order.status == "shipped"


def test_an_erased_customer_gets_no_card(brand, customer):
    from crm.privacy.services import customer_erase

    order = factories.make_order(brand, customer)
    Event.objects.filter(brand=brand).update(relayed_at=timezone.now())
    customer_erase(customer=customer, actor=factories.system(brand))
    order_update(order=order, actor=factories.system(brand), status="cancelled")
    relay(brand, "order.updated")

    assert cards(customer) == []


def test_the_card_text_is_in_the_customers_language(brand, rep, store):
    customer = factories.make_customer(brand, "Wang", assigned_rep=rep)
    type(customer).objects.filter(pk=customer.pk).update(attributes={"language": "zh-CN"})
    ship(factories.make_order(brand, customer, external_id="A2001"))
    relay(brand)

    bodies = [m.body for m in cards(customer)]
    assert bodies[2] != "Your order #A2001 has shipped." and "A2001" in bodies[2]
    assert all("Your order" not in body and "Thank you" not in body for body in bodies)


def test_order_card_send_refuses_another_brands_order(brand, other_brand):
    from privtraffic.tenancy.errors import ApplicationError

    order = factories.make_order(other_brand)
    with pytest.raises(ApplicationError) as exc:
        order_card_send(brand=brand, actor=factories.system(brand), order=order, status="placed")
    assert exc.value.status == 404
    assert OrderNotice.objects.count() == 0


@pytest.mark.parametrize("payload, field", [
    ({"total": "12.345"}, "payload.total"),
    ({"currency": "cny"}, "payload.currency"),
    ({"status": "lost"}, "payload.status"),
    ({"items": "two serums"}, "payload.items"),
    ({"items": [{"sku": "A", "name": "A", "quantity": 0, "price": "1.00"}]}, "payload.items.0"),
    ({"items": [{"sku": "A", "name": "A", "quantity": True, "price": "1.00"}]}, "payload.items.0"),
    ({"items": [{"sku": "A", "name": "A", "quantity": 1, "price": 1}]}, "payload.items.0"),
    ({"tracking_number": "x" * 65}, "payload.tracking_number"),
    ({"carrier": 5}, "payload.carrier"),
])
def test_an_order_card_with_a_bad_field_is_refused(api, brand, customer, payload, field):
    from tests.helpers import api_error

    conversation = conversation_for_customer(customer=customer)
    card = {"external_id": "A1", "status": "paid", "total": "10.00", "currency": "CNY", **payload}
    error = api_error(api.post(f"/api/v1/conversations/{conversation.pk}/messages/",
                               {"kind": "order", "body": "", "payload": card}, format="json"), 400, "invalid")
    assert field in error["fields"]
    assert cards(customer) == []


# --- concurrency: two relays at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_of_duplicate_events_post_one_card():
    brand = factories.make_brand("acme-orders")
    rep = factories.make_member(brand, Role.REP)
    customer = factories.make_customer(brand, "Mei", assigned_rep=rep)
    order = factories.make_order(brand, customer)  # committed: its relay runs at once and posts the placed card
    # The shop's "paid" arrives twice (a retried sync), both still in the outbox when two relays pick them up.
    Order.objects.filter(pk=order.pk).update(status="paid")
    payload = {"order_id": order.pk, "external_id": order.external_id, "customer_id": customer.pk,
               "status": "paid", "previous_status": "placed", "currency": "CNY", "total": "100.00", "items": [],
               "tracking_number": "", "carrier": ""}
    events = [Event.objects.create(brand=brand, type="order.updated", payload=payload) for _ in range(2)]

    barrier = threading.Barrier(4)
    errors = []

    def run(event_id):
        try:
            barrier.wait()
            event_relay(event=Event.objects.get(pk=event_id))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # Each event relayed by two workers at once, and the two events (the same change) at once too.
    threads = [threading.Thread(target=run, args=(event.pk,)) for event in events + events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [m.payload["status"] for m in cards(customer)] == ["placed", "paid"]
    assert OrderNotice.objects.filter(order=order, status="paid").count() == 1
    assert Event.objects.filter(pk__in=[e.pk for e in events], relayed_at__isnull=False).count() == 2


# --- the card as people see it (server-rendered; chat.js renders live ones the same way) ---------------------


def test_the_card_renders_on_the_phone_and_in_the_inbox_with_everything_escaped(client, login, brand, customer,
                                                                                rep):
    items = [*ITEMS, {"sku": "X-1", "name": "<script>alert(1)</script>", "quantity": 1, "price": "0.00"}]
    ship(factories.make_order(brand, customer, external_id="A1001", total="457.90", items=items),
         tracking="SF<b>1</b>", carrier="SF Express")
    relay(brand)

    client.force_login(customer.user)
    phone = client.get(f"/chat/direct/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="zh-Hans")
    html = phone.content.decode()
    assert phone.status_code == 200
    assert html.count('class="msg-card msg-card-order"') == 3
    assert "订单 #A1001" in html and "已发货" in html and "已付款" in html
    assert "2 × Vitamin C Serum 30ml" in html and "457.90 CNY" in html and "59.90 CNY" in html
    assert "SF&lt;b&gt;1&lt;/b&gt;" in html and "SF Express" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-i18n-order-shipped="已发货"' in html and 'data-i18n-order-number="订单 #%(number)s"' in html

    conversation = conversation_for_customer(customer=customer)
    inbox = login(rep).get(f"/b/{brand.slug}/inbox/{conversation.pk}/")
    html = inbox.content.decode()
    assert inbox.status_code == 200
    assert "Order #A1001" in html and ">Shipped<" in html and "Tracking number" in html
    assert 'data-i18n-order-tracking="Tracking number"' in html


def test_another_brands_staff_and_customers_never_see_the_card(client, login, brand, other_brand, customer):
    factories.make_order(brand, customer, external_id="A1001")
    relay(brand)
    conversation = conversation_for_customer(customer=customer)
    stranger = factories.owner_of(other_brand)

    assert login(stranger).get(f"/b/{brand.slug}/inbox/{conversation.pk}/").status_code == 404
    assert login(stranger).get(f"/b/{other_brand.slug}/inbox/{conversation.pk}/").status_code == 404
    assert "A1001" not in login(stranger).get(f"/b/{other_brand.slug}/inbox/").content.decode()
