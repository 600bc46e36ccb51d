"""Product cards in Chromium: a rep picks a product from the searchable catalogue in the inbox, and the customer on a
360 px phone sees a real card (image, name, price, "View product" button), live and after a reload. The catalogue
page is checked at 360 px and 1366 px."""

import datetime

import pytest

from chats.models import Message
from chats.services import conversation_for_customer
from crm.models import ContactPolicy
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.browser.test_live_chat import _open, asgi_server  # noqa: F401 - the fixture is used by name
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture
def world(transactional_db, asgi_server):  # noqa: F811
    brand = factories.make_brand("acme", name="Acme Beauty")
    # Cards in a 1:1 chat are promotions: a consenting customer and no quiet hours, whatever the hour of the run.
    ContactPolicy.objects.create(brand=brand, quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0))
    store = factories.make_store(brand, "Jing'an")
    rep = factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Mei Chen"))
    shopper = factories.make_user("lin@example.test", password=None, name="Lin")
    customer = factories.make_customer(brand, "Lin Customer", email=shopper.email, user=shopper, assigned_rep=rep,
                                       home_store=store, consent_chat=True, consent_promotions=True)
    # An image this server serves itself (the machine is offline), by an absolute http URL as integrators send.
    serum = factories.make_product(brand, "VC-30", name="Vitamin C Serum 30ml", price="199.00", currency="CNY",
                                   image_url=f"{asgi_server.url}/static/favicon.svg",
                                   url="https://shop.acme.example/vc30")
    factories.make_product(brand, "TN-200", name="Rose Toner 200ml", price="129.00")
    return {"brand": brand, "rep": rep, "shopper": shopper, "customer": customer, "serum": serum,
            "conversation": conversation_for_customer(customer=customer)}


def _check_card(page, card, serum) -> None:
    card.wait_for()
    image = card.locator("img.msg-card-image")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    name, price, button = card.locator("strong"), card.locator(".msg-card-price"), card.locator("a.msg-card-button")
    assert name.inner_text() == serum.name
    assert price.inner_text() == "199.00 CNY"
    assert button.inner_text() == "View product" and button.get_attribute("href") == serum.url
    # A card, not run-on text: image, name, price and button each on their own row, inside the phone's width.
    boxes = [image.bounding_box(), name.bounding_box(), price.bounding_box(), button.bounding_box()]
    assert all(a["y"] + a["height"] <= b["y"] + 1 for a, b in zip(boxes, boxes[1:], strict=False)), boxes
    outer = card.bounding_box()
    assert outer["x"] >= 0 and outer["x"] + outer["width"] <= page.viewport_size["width"] + 1, outer
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["rep-360px", "rep-1366px"])
def test_rep_picks_a_product_and_the_customer_sees_a_real_card(asgi_server, browser_context, world,  # noqa: F811
                                                                viewport):
    conversation, serum = world["conversation"], world["serum"]
    shop_page, _ = _open(browser_context, asgi_server.url, world["shopper"], f"/chat/direct/{world['customer'].pk}/",
                         PHONE)
    rep_page, rep_dialogs = _open(browser_context, asgi_server.url, world["rep"].user,
                                  f"/b/acme/inbox/{conversation.pk}/", viewport)

    rep_page.locator("details.product-picker > summary").click()
    assert rep_page.locator(".product-pick").count() == 2  # the catalogue's active products, before typing
    rep_page.fill("[data-product-search]", "serum")
    rep_page.wait_for_function("() => document.querySelectorAll('.product-pick').length === 1")
    pick = rep_page.locator(".product-pick")
    assert "Vitamin C Serum 30ml" in pick.inner_text() and "199.00 CNY" in pick.inner_text()
    pick.click()
    rep_page.wait_for_load_state()

    _check_card(shop_page, shop_page.locator(".msg-card-product"), serum)  # live, over the socket
    message = Message.objects.get(conversation=conversation, kind="product")
    assert message.payload["product_id"] == serum.pk
    shop_page.reload()
    _check_card(shop_page, shop_page.locator(".msg-card-product"), serum)  # server-rendered
    rep_card = rep_page.locator(".msg-card-product").first
    rep_card.wait_for()
    assert rep_card.locator(".msg-card-price").inner_text() == "199.00 CNY"
    assert rep_dialogs == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1366px"])
def test_catalogue_page_fits_and_searches(asgi_server, browser_context, world, viewport):  # noqa: F811
    marketer = factories.make_member(world["brand"], Role.MARKETER)
    context = browser_context(viewport=viewport)
    context.add_cookies([browser_session_cookie(asgi_server.url, marketer.user)])
    page = context.new_page()
    page.goto(f"{asgi_server.url}/b/acme/products/")
    assert page.locator(".product-tile").count() == 2
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=page.locator(".product-tile img").first.element_handle())
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.fill("#product-q", "toner")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url("**q=toner**")
    assert page.locator(".product-tile").count() == 1
    assert "Rose Toner 200ml" in page.locator(".product-tile").inner_text()
    page.locator("#new-product summary").click()
    page.fill("input[name=sku]", "SPF50")
    page.fill("input[name=name]", "Daily sunscreen SPF 50")
    page.fill("input[name=price]", "229.00")
    page.locator(".product-form button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
