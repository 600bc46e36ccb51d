import pytest

from privtraffic.tenancy.models import Store
from tests.factories import PASSWORD
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_signs_in_and_creates_a_store(live_server, browser_context, brand, owner):
    page = browser_context(viewport={"width": 1280, "height": 800}).new_page()

    page.goto(f"{live_server.url}/b/acme/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=login]", owner.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/b/acme/")
    assert page.locator("h1").inner_text() == "Acme Beauty"

    page.click("nav >> text=Stores")
    page.fill("input[name=name]", "Jing'an <b>Flagship</b>")
    page.fill("input[name=city]", "Shanghai")
    page.click("text=Add store")
    page.wait_for_selector("text=created")
    # Names render as text, never as markup.
    assert page.locator("td", has_text="Jing'an <b>Flagship</b>").count() == 1
    assert Store.objects.get(brand=brand).city == "Shanghai"


def test_dashboard_is_usable_on_a_phone(live_server, browser_context, owner):
    context = browser_context(viewport={"width": 360, "height": 740})
    context.add_cookies([browser_session_cookie(live_server.url, owner.user)])
    page = context.new_page()
    page.goto(f"{live_server.url}/b/acme/team/")
    assert page.locator("h1").inner_text() == "Reps and team"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways on a phone ({width}px)"
