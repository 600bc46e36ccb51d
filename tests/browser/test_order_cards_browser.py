"""Order cards live: the integrator PATCHes an order to shipped, and the customer on a 360 px phone (in
Chinese) and their rep in the inbox at 1366 px (in English) see the shipped card with its tracking number
arrive without a reload, each with the status in their own language."""

import json
import urllib.request

import pytest

from crm.orders.services import order_update
from tests import factories
from tests.browser.test_live_chat import LIVE, _off_loop, asgi_server  # noqa: F401  (the fixture)
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEMS = [{"sku": "SER-30", "name": "Vitamin C Serum 30ml", "quantity": 2, "price": "199.00"},
         {"sku": "MASK-5", "name": "Sheet mask (5)", "quantity": 1, "price": "59.90"}]


@pytest.fixture
def brand(transactional_db):
    return factories.make_brand("acme", name="Acme Beauty")


@pytest.fixture
def store(brand):
    return factories.make_store(brand, "Flagship")


def _open(browser_context, url, user, path, viewport, locale):
    context = browser_context(viewport=viewport, locale=locale)
    context.add_cookies([browser_session_cookie(url, user)])
    page = context.new_page()
    page.goto(f"{url}{path}")
    page.wait_for_selector("#connection-status[data-state=online]")
    page.evaluate("window.__notReloaded = true")
    return page


def _patch(url, key, path, body):
    request = urllib.request.Request(f"{url}{path}", data=json.dumps(body).encode(), method="PATCH", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def _setup(brand, store, rep):
    shopper = factories.make_user("mei@example.test", password=None, name="Mei")
    customer = factories.make_customer(brand, "Mei Lin", email=shopper.email, user=shopper, assigned_rep=rep,
                                       home_store=store)
    type(customer).objects.filter(pk=customer.pk).update(attributes={"language": "zh-Hans"})
    order = factories.make_order(brand, customer, external_id="A1001", total="457.90", items=ITEMS)
    order = order_update(order=order, actor=factories.system(brand), status="paid")  # relayed on commit
    from chats.services import conversation_for_customer

    return shopper, customer, order, conversation_for_customer(customer=customer), factories.make_api_key(brand)


def test_the_shipped_card_arrives_live_on_the_phone_and_in_the_inbox(asgi_server, browser_context,  # noqa: F811
                                                                     brand, store, rep):
    shopper, customer, order, conversation, key = _off_loop(_setup, brand=brand, store=store, rep=rep)
    phone = _open(browser_context, asgi_server.url, shopper, f"/chat/direct/{customer.pk}/",
                  {"width": 360, "height": 740}, "zh-CN")
    inbox = _open(browser_context, asgi_server.url, rep.user, f"/b/acme/inbox/{conversation.pk}/",
                  {"width": 1366, "height": 900}, "en-US")
    # The cards already sent are rendered by the server: placed and paid.
    assert phone.locator(".msg-card-order").count() == 2
    assert "已付款" in phone.locator('.msg-card-order[data-order-status="paid"]').inner_text()

    status, body = _patch(asgi_server.url, key, f"/api/v1/orders/{order.pk}/",
                          {"status": "shipped", "tracking_number": "SF1234567890", "carrier": "SF Express"})
    assert (status, body["status"]) == (200, "shipped")

    shipped = phone.locator(f'{LIVE} .msg-card-order[data-order-status="shipped"]')
    shipped.wait_for()
    text = shipped.inner_text()
    assert "订单 #A1001" in text and "已发货" in text
    assert "SF1234567890" in text and "SF Express" in text
    assert "2 × Vitamin C Serum 30ml" in text and "457.90 CNY" in text
    message = phone.locator(f"{LIVE}").filter(has=phone.locator('.msg-card-order[data-order-status="shipped"]'))
    assert "您的订单 #A1001 已发货。" in message.inner_text()
    assert message.locator(".sender").inner_text() == "Rita Rep"
    assert phone.evaluate("window.__notReloaded") is True
    # Nothing runs off a 360 px screen: the card fits, the page does not scroll sideways.
    box = shipped.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    staff_card = inbox.locator(f'{LIVE} .msg-card-order[data-order-status="shipped"]')
    staff_card.wait_for()
    assert "Shipped" in staff_card.inner_text() and "Order #A1001" in staff_card.inner_text()
    assert "SF1234567890" in staff_card.inner_text()
    assert inbox.evaluate("document.documentElement.scrollWidth") <= 1366

    # The same PATCH again (the integration retries): no second card.
    _patch(asgi_server.url, key, f"/api/v1/orders/{order.pk}/", {"status": "shipped"})
    phone.reload()
    phone.wait_for_selector("#connection-status[data-state=online]")
    assert phone.locator('.msg-card-order[data-order-status="shipped"]').count() == 1
    assert "已发货" in phone.locator('.msg-card-order[data-order-status="shipped"]').inner_text()
