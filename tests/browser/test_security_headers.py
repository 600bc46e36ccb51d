"""The Content-Security-Policy in a real Chromium: the inbox, the customer chat (its WebSocket included), the
dashboard's tag badges and the Swagger UI at /api/docs/ work, and the browser reports no violation."""

import pytest

from chats.services import conversation_for_customer
from crm.models import Tag
from tests import factories
from tests.browser.test_live_chat import LIVE, AsgiServer
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIOLATION_WORDS = ("Content Security Policy", "Content-Security-Policy", "Refused to")


@pytest.fixture
def brand(transactional_db):
    return factories.make_brand("acme", name="Acme Outdoor")


@pytest.fixture
def server(transactional_db):
    from django.conf import settings
    from django.db import connection

    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("tests/testenv.py provides PostgreSQL and REDIS_URL; this test needs both")
    asgi = AsgiServer()
    asgi.start()
    try:
        yield asgi
    finally:
        asgi.stop()


def _page(browser_context, url, user=None, viewport=None):
    """A page that records every CSP complaint: console messages and securitypolicyviolation events."""
    context = browser_context(viewport=viewport or {"width": 1280, "height": 800})
    if user is not None:
        context.add_cookies([browser_session_cookie(url, user)])
    context.add_init_script("""
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation", (e) => {
            window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
        });
    """)
    page = context.new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text)
            if any(word in message.text for word in VIOLATION_WORDS) else None)
    page.on("pageerror", lambda error: complaints.append(f"page error: {error}"))
    return page, complaints


def _assert_clean(page, complaints):
    page.wait_for_timeout(300)  # reports arrive asynchronously
    assert not complaints, complaints
    assert page.evaluate("window.__cspViolations") == []


def test_inbox_chat_tags_and_api_docs_run_under_the_policy(server, browser_context, brand, rep):
    store = rep.store
    shopper = factories.make_user("carla@example.test", password=None, name="Carla")
    customer = factories.make_customer(brand, "Carla Customer", email=shopper.email, user=shopper, assigned_rep=rep,
                                       home_store=store, consent_chat=True)
    conversation = conversation_for_customer(customer=customer)
    Tag.objects.create(brand=brand, name="VIP", colour="#aa3300")

    # The rep's inbox and the customer's chat connect their sockets and talk, with the policy on.
    rep_page, rep_complaints = _page(browser_context, server.url, rep.user)
    response = rep_page.goto(f"{server.url}/b/acme/inbox/{conversation.pk}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    rep_page.wait_for_selector("#connection-status[data-state=online]")
    shop_page, shop_complaints = _page(browser_context, server.url, shopper, {"width": 390, "height": 800})
    shop_page.goto(f"{server.url}/chat/direct/{customer.pk}/")
    shop_page.wait_for_selector("#connection-status[data-state=online]")
    shop_page.fill("textarea[name=body]", "Is the grill in stock?")
    shop_page.click("form.composer button[type=submit]")
    rep_page.locator(LIVE).filter(has_text="Is the grill in stock?").wait_for()
    _assert_clean(rep_page, rep_complaints)
    _assert_clean(shop_page, shop_complaints)

    # Tag badges keep their colours without style attributes.
    owner_page, owner_complaints = _page(browser_context, server.url, factories.owner_of(brand).user)
    owner_page.goto(f"{server.url}/b/acme/customers/tags/")
    badge = owner_page.locator(".badge.tag", has_text="VIP").first
    assert badge.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(170, 51, 0)"
    _assert_clean(owner_page, owner_complaints)

    # The Swagger UI renders the schema (its inline script and style carry the nonce).
    docs, docs_complaints = _page(browser_context, server.url)
    docs.goto(f"{server.url}/api/docs/")
    docs.locator(".swagger-ui .info .title", has_text="Private Traffic API").wait_for()
    docs.locator(".opblock").first.wait_for()
    assert docs.locator(".opblock").count() > 10
    _assert_clean(docs, docs_complaints)

    # Signing in (allauth's pages) runs under it too.
    login, login_complaints = _page(browser_context, server.url)
    login.goto(f"{server.url}/accounts/login/")
    login.locator("input[name=login]").wait_for()
    _assert_clean(login, login_complaints)
