"""The campaign results page in Chromium, on a phone and on a laptop: figures, the SVG chart, the tables."""

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone

from chats.models import Message
from chats.services import conversation_mark_read
from crm.consent.services import contact_policy_save
from tests import factories
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1366])
def test_results_page_shows_the_chart_and_tables_without_sideways_scrolling(live_server, browser_context, brand,
                                                                           owner, rep, width):
    def send_and_read():
        """Off the browser's thread: the fan-out's broadcasts use async_to_sync, which Playwright's loop forbids."""
        contact_policy_save(brand=brand, actor=factories.system(brand), quiet_hours_start=datetime.time(0, 0),
                            quiet_hours_end=datetime.time(0, 0), weekly_promotion_budget=3)
        customers = [factories.make_customer(brand, f"Customer {n}", consent_chat=True, consent_promotions=True,
                                             assigned_rep=rep if n % 2 else None) for n in range(4)]
        campaign = factories.send_campaign_now(factories.make_campaign(
            brand, name="Autumn serum launch with a long name that must wrap on a phone"))
        message = Message.objects.get(conversation__customer=customers[1])
        conversation_mark_read(conversation=message.conversation, participant_key=f"customer:{customers[1].pk}",
                               reader_name="Customer 1", seq=message.seq)
        factories.make_order(brand, customers[1], total="1299.00",
                             placed_at=timezone.now() + datetime.timedelta(minutes=1))
        connections.close_all()  # this thread's connection: the test database is dropped at the end
        return campaign

    with ThreadPoolExecutor(1) as pool:
        campaign = pool.submit(send_and_read).result()

    context = browser_context(viewport={"width": width, "height": 800})
    context.add_cookies([browser_session_cookie(live_server.url, owner.user)])
    page = context.new_page()
    page.goto(f"{live_server.url}/b/{brand.slug}/campaigns/{campaign.pk}/results/")
    assert "Autumn serum launch" in page.locator("h1").inner_text()
    assert page.locator("[data-stat=delivered]").inner_text() == "4"
    assert page.locator("[data-stat=read]").inner_text() == "1"
    assert "1299.00 CNY" in page.locator("[data-stat=revenue]").inner_text()
    chart = page.locator("svg.results-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] <= width and box["height"] > 40
    assert page.locator("svg.results-chart rect.bar").count() >= 1
    assert page.locator("table.results-table", has_text="Sent by").filter(has_text="Rita Rep").is_visible()
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width, f"the results page scrolls sideways ({width_used}px at {width}px)"

    page.fill("input[name=attribution_days]", "9")
    page.click("form.card-form button[type=submit]")
    page.wait_for_selector("text=Attribution window saved.")
    assert page.locator("input[name=attribution_days]").input_value() == "9"
