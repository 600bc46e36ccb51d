import re

import pytest
from django.core import mail

from communities.models import GroupMember
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_joins_from_an_invite_on_a_phone(live_server, browser_context, settings, brand):
    settings.ALLOWED_HOSTS = ["*"]
    group = factories.make_group(brand, "Glow Club", rules="Be kind.", welcome_message="Glad you're here!")
    invite = factories.make_invite(brand, group=group)
    page = browser_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True).new_page()

    page.goto(f"{live_server.url}/join/{invite.token}/")
    assert page.locator("h1").inner_text() == "Glow Club"
    assert page.get_by_text("Be kind.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("input[name=name]", "Mei <i>Lin</i>")
    page.fill("input[name=email]", "mei@example.test")
    assert not page.is_checked("input[name=consent_promotions]")
    page.check("input[name=consent_chat]")
    page.click("text=Email me a code")

    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M).group(1)
    page.fill("input[name=code]", code)
    page.locator("form button[type=submit]").first.click()

    page.wait_for_url(f"{live_server.url}/chat/group/{group.pk}/")
    assert page.locator("h1").inner_text() == "Glow Club"
    # The name is shown as text, never as markup.
    assert page.get_by_text("Mei <i>Lin</i> joined the group.").is_visible()
    assert page.get_by_text("Glad you're here!").is_visible()
    assert page.locator("i", has_text="Lin").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert GroupMember.objects.filter(group=group, left_at__isnull=True).count() == 1
