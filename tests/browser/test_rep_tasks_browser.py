"""A rep opens their task from the nav badge, previews their greeting and sends it with one click, on a phone
and on a laptop."""

import datetime

import pytest

from chats.models import Message
from crm.consent.services import contact_policy_save
from tests import factories
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1366])
def test_a_rep_sends_their_task_with_one_click(live_server, browser_context, brand, rep, width):
    contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(0, 0),
                        quiet_hours_end=datetime.time(0, 0), weekly_promotion_budget=3)
    for name in ("Mei Lin", "Bo Chen"):
        factories.make_customer(brand, name, consent_chat=True, consent_promotions=True, assigned_rep=rep)
    factories.send_campaign_now(factories.make_campaign(brand, name="Friday flash sale", confirm_mode="rep_confirms"))
    context = browser_context(viewport={"width": width, "height": 800})
    context.add_cookies([browser_session_cookie(live_server.url, rep.user)])
    page = context.new_page()

    page.goto(f"{live_server.url}/b/acme/inbox/")
    badge = page.locator("[data-rep-tasks] .badge")
    assert badge.inner_text() == "1"
    page.click("[data-rep-tasks]")
    assert "Friday flash sale" in page.locator(".rep-tasks").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.click("text=Review and send")
    page.fill("input[name=greeting]", "Dear {first_name},")
    page.click("button[value=preview]")
    assert page.locator("[data-preview]").inner_text() == "Dear Bo,\nHi Bo, 20% off this week."
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click("button[value=send]")
    page.wait_for_selector("text=Sent to 2 customers.")
    assert page.locator("[data-rep-tasks] .badge").count() == 0
    assert Message.objects.get(conversation__customer__name="Mei Lin").body == "Dear Mei,\nHi Mei, 20% off this week."
