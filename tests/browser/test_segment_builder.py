"""The segment builder at 1366 px: conditions picked by name, only the operators that fit, a live preview."""

import pytest

from crm.models import AttributeDefinition, CustomerTag, Segment, Tag
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ops(row) -> list[str]:
    return row.locator("select[name=op] option").evaluate_all("options => options.map(o => o.value)")


def test_marketer_builds_a_segment_by_name_with_a_live_preview(live_server, browser_context, brand):
    marketer = factories.make_member(brand, Role.MARKETER)
    jingan = factories.make_store(brand, "Shanghai Jing'an", city="Shanghai")
    factories.make_store(brand, "Beijing Sanlitun", city="Beijing")
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin type", type="choice",
                                       choices=["oily", "dry"])
    vip = Tag.objects.create(brand=brand, name="vip")
    for name in ("Ann", "Bea"):
        customer = factories.make_customer(brand, name, home_store=jingan)
        CustomerTag.objects.create(brand=brand, customer=customer, tag=vip)
    factories.make_customer(brand, "Cat")  # another store
    context = browser_context(viewport={"width": 1366, "height": 900})
    context.add_cookies([browser_session_cookie(live_server.url, marketer.user)])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/b/{brand.slug}/segments/")
    page.fill("input[name=name]", "Jing'an regulars")
    rows = page.locator("[data-segment-row]")
    first = rows.nth(0)
    first.locator("select[name=field]").select_option("store")
    assert _ops(first) == ["eq"]  # a store is only ever "is"
    search = first.locator("[data-picker-cell=value] [data-picker-input]")
    assert search.is_visible() and first.locator("input[name=value]").get_attribute("type") == "hidden"
    search.click()
    search.fill("jing")
    option = first.get_by_role("option", name="Shanghai Jing'an")
    option.click()
    assert search.input_value() == "Shanghai Jing'an"
    assert first.locator("input[name=value]").input_value() == str(jingan.pk)
    page.locator("[data-segment-count]").filter(has_text="2").wait_for()
    names = page.locator("[data-segment-names] li")
    assert names.all_inner_texts() == ["Bea", "Ann"]

    second = rows.nth(1)
    second.locator("select[name=field]").select_option("tag")
    assert _ops(second) == ["has", "not_has"]  # no "Tag greater than"
    third = rows.nth(2)
    third.locator("select[name=field]").select_option("attribute")
    key = third.locator("[data-picker-cell=key] [data-picker-input]")
    key.click()
    key.fill("skin")
    third.get_by_role("option", name="Skin type").click()
    assert _ops(third) == ["eq", "neq", "exists"]  # a choice attribute is never greater or less
    third.locator("select[name=field]").select_option("")
    second.locator("select[name=field]").select_option("")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.get_by_role("button", name="Create segment").click()

    page.wait_for_url(f"{live_server.url}/b/{brand.slug}/segments/*/")
    segment = Segment.objects.get(brand=brand, name="Jing'an regulars")
    assert segment.definition == {"all": [{"field": "store", "op": "eq", "value": jingan.pk}]}
    # Back on the page, the saved id shows by name.
    assert page.locator("[data-segment-row]").nth(0).locator(
        "[data-picker-cell=value] [data-picker-input]").input_value() == "Shanghai Jing'an"
    page.locator("[data-segment-count]").filter(has_text="2").wait_for()
    assert errors == []
