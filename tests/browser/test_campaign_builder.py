"""A campaign end to end: a marketer builds it at 1366 px (sees the count and the preview), sends it, and a
customer's phone at 360 px receives it live with its opt-out link. The builder does not scroll sideways on
a phone.

"Send now" schedules the campaign for now; the dispatcher (beat, or the ticker of the embedded default every
CAMPAIGN_DISPATCH_SECONDS) sends it. The ASGI server here runs no ticker, so the test runs one dispatcher
pass itself after pressing Send, as the ticker would, on another thread (its chunk tasks run eagerly and
broadcast after commit, through Redis, to the customer's socket on the server).
"""

import datetime

import pytest

from campaigns.models import Campaign, CampaignStatus
from campaigns.sending.dispatcher import campaigns_dispatch
from chats.services import conversation_for_customer
from crm.consent.services import contact_policy_save
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.browser.test_live_chat import LIVE, _off_loop, _open
from tests.browser.test_live_chat import asgi_server as asgi_server  # noqa: F401  (the fixture)
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def brand(transactional_db):
    brand = factories.make_brand("acme", name="Acme Outdoor")
    # Any hour of the day: no quiet hours for this test.
    contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(0, 0),
                        quiet_hours_end=datetime.time(0, 0), weekly_promotion_budget=3)
    return brand


@pytest.fixture
def store(brand):
    return factories.make_store(brand, "Flagship")


def _marketer_page(browser_context, url, user, path, width):
    context = browser_context(viewport={"width": width, "height": 900})
    context.add_cookies([browser_session_cookie(url, user)])
    page = context.new_page()
    page.goto(f"{url}{path}")
    return page


def test_marketer_builds_and_sends_a_campaign_that_a_phone_receives_live(asgi_server, browser_context,  # noqa: F811
                                                                          brand, store):
    rep = factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Rita Rep"))
    marketer = factories.make_member(brand, Role.MARKETER, user=factories.make_user(name="Mara Marketer"))
    shopper = factories.make_user("carla@example.test", password=None, name="Carla")
    customer = factories.make_customer(brand, "Carla Customer", email=shopper.email, user=shopper, assigned_rep=rep,
                                       home_store=store, consent_chat=True, consent_promotions=True)
    factories.make_customer(brand, "Nadia NoConsent", consent_chat=True)
    conversation_for_customer(customer=customer)

    phone, dialogs = _open(browser_context, asgi_server.url, shopper, f"/chat/direct/{customer.pk}/",
                           {"width": 360, "height": 740})

    page = _marketer_page(browser_context, asgi_server.url, marketer.user, "/b/acme/campaigns/new/", 1366)
    page.fill("input[name=name]", "Weekend BBQ")
    body = page.locator("textarea[name=body]")
    body.fill("Hi , the grill sale starts at {store_name}.")
    body.evaluate("el => { el.focus(); el.setSelectionRange(3, 3); }")
    page.click("button[data-insert='{first_name}']")
    assert body.input_value() == "Hi {first_name}, the grill sale starts at {store_name}."

    # The live count, split by what will happen.
    page.locator("[data-count-total]", has_text="1 will receive").wait_for()
    page.locator("[data-count-reasons] li[data-reason=no_consent]", has_text="1 No consent").wait_for()

    # The preview of one customer, in the phone frame.
    page.fill("[data-customer-search]", "Carla")
    page.click("[data-customer-results] button[data-customer-id]")
    frame = page.locator("[data-phone]")
    frame.locator(".msg", has_text="Hi Carla, the grill sale starts at Flagship.").wait_for()
    assert "Rita Rep" in frame.locator(".sender").inner_text()
    assert frame.locator("a.msg-opt-out").get_attribute("href").startswith("/o/")

    page.click("button[name=action][value=send_now]")
    page.wait_for_url("**/b/acme/campaigns/*/")
    campaign = Campaign.objects.get(brand=brand)
    assert campaign.status == CampaignStatus.SCHEDULED

    _off_loop(campaigns_dispatch)

    live = phone.locator(LIVE, has_text="Hi Carla, the grill sale starts at Flagship.")
    live.wait_for()
    opt_out = live.locator("a.msg-opt-out")
    assert opt_out.inner_text() == "Stop promotions"
    assert opt_out.get_attribute("href").startswith("/o/")
    assert phone.evaluate("window.__notReloaded") is True
    assert not dialogs

    # The campaign page shows it sent.
    page.reload()
    page.locator("[data-status]", has_text="Sent").first.wait_for()
    assert page.locator("[data-count=sent]").inner_text() == "1"
    assert page.locator("[data-reasons] li[data-reason=no_consent]").count() == 1


def test_the_builder_fits_a_phone(live_server, browser_context, brand):
    marketer = factories.make_member(brand, Role.MARKETER)
    page = _marketer_page(browser_context, live_server.url, marketer.user, "/b/acme/campaigns/new/", 360)
    page.locator("[data-count-total]").wait_for()
    for choice in ("groups", "segment", "all"):
        page.check(f"input[name=audience_type][value={choice}]")
    page.check("input[name=when][value=recurring]")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the builder scrolls sideways on a phone ({width}px)"
    for path in ("/b/acme/campaigns/", "/b/acme/campaigns/calendar/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} scrolls sideways on a phone ({width}px)"
