"""An owner sets up a webhook in Chromium, copies the secret, sends a test event and redelivers it from the log;
the pages fit a 360 px phone and a 1366 px laptop."""

import pytest
from standardwebhooks.webhooks import Webhook

from campaigns.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.campaigns.webhooks.conftest import private_ok, receiver  # noqa: F401 -- fixtures
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px)"


@pytest.mark.parametrize("width", [1366, 360])
def test_owner_creates_a_webhook_sends_a_test_and_redelivers(live_server, browser_context, brand, owner,
                                                              private_ok, receiver, width):  # noqa: F811
    context = browser_context(viewport={"width": width, "height": 900})
    context.add_cookies([browser_session_cookie(live_server.url, owner.user)])
    page = context.new_page()
    page.goto(f"{live_server.url}/b/{brand.slug}/webhooks/")
    assert page.locator("h1").inner_text() == "Webhooks"
    _fits(page, width)

    page.fill("input[name=url]", receiver.url)
    page.fill("input[name=description]", "Order sync <b>ERP</b>")
    page.check("input[name=events][value='order.updated']")
    page.check("input[name=events][value='coupon.redeemed']")
    page.click("text=Create endpoint")
    secret = page.locator("#new-webhook-secret").inner_text().strip()
    endpoint = WebhookEndpoint.objects.get(brand=brand)
    assert secret == endpoint.secret and endpoint.events == ["order.updated", "coupon.redeemed"]
    _fits(page, width)

    page.click("text=Send test event")
    page.wait_for_selector("text=Test event sent")
    assert Webhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)["type"] == "webhook.test"
    assert page.locator("#new-webhook-secret").count() == 0  # shown once
    page.click("summary >> text=Request and response")
    assert page.locator("pre", has_text="webhook-signature").is_visible()
    assert page.locator("text=HTTP 200").is_visible()
    _fits(page, width)

    page.click("button:has-text('Redeliver')")
    page.wait_for_selector("text=Delivery queued again.")
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status="succeeded").count() == 2
    assert receiver.requests[1].headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]

    page.click("button:has-text('Disable')")
    page.wait_for_selector("text=Webhook disabled.")
    endpoint.refresh_from_db()
    assert not endpoint.active
    page.goto(f"{live_server.url}/b/{brand.slug}/webhooks/")
    assert page.locator("td", has_text="Order sync <b>ERP</b>").count() == 1  # text, never markup
    _fits(page, width)
