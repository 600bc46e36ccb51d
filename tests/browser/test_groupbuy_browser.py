"""A group-buy in the chat on a 360 px phone: a customer joins from the card in a group, and the card's
progress updates live in another member's open chat (a second browser context), then the tier unlock
arrives as a message in both. The dashboard page and the referral page fit a phone and a laptop."""

import pytest
from django.conf import settings
from django.db import connection

from campaigns.groupbuys.models import GroupBuyPost
from campaigns.groupbuys.services import group_buy_join
from chats.services import Sender, conversation_for_group, message_send
from communities.groups.services import group_member_add
from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.browser import test_live_chat as live
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 800}


@pytest.fixture
def brand(transactional_db):
    return factories.make_brand("acme", name="Acme Beauty")


@pytest.fixture
def asgi_server(transactional_db):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("tests/testenv.py provides PostgreSQL and REDIS_URL; the live card test needs both")
    server = live.AsgiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _member(brand, group, name):
    user = factories.make_user(password=None, name=name)
    customer = factories.make_customer(brand, name, email=user.email, user=user, consent_chat=True)
    group_member_add(group=group, actor=factories.system(brand), customer=customer)
    return user, customer


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_joining_from_the_card_updates_another_members_open_card_live(asgi_server, browser_context, brand):
    marketer = factories.make_member(brand, Role.MARKETER)
    group = factories.make_group(brand, "Serum lovers")
    deal = factories.make_group_buy(brand, title="Serum team buy")
    mei_user, mei = _member(brand, group, "Mei Lin")
    ann_user, _ann = _member(brand, group, "Ann Lee")
    conversation = conversation_for_group(group=group)
    live._off_loop(message_send, conversation=conversation, sender=Sender.of_staff(marketer), body="",
                   kind="group_buy", payload={"title": deal.title, "ref": deal.pk})
    assert GroupBuyPost.objects.filter(group_buy=deal, conversation=conversation).exists()

    pages = {}
    for name, user in (("mei", mei_user), ("ann", ann_user)):
        context = browser_context(viewport=PHONE, is_mobile=True, has_touch=True)
        context.add_cookies([browser_session_cookie(asgi_server.url, user)])
        page = context.new_page()
        page.goto(f"{asgi_server.url}/chat/group/{group.pk}/")
        page.wait_for_selector("#connection-status[data-state=online]")
        page.evaluate("window.__notReloaded = true")
        pages[name] = page
    card = {name: page.locator(f'[data-card="group_buy:{deal.pk}"]') for name, page in pages.items()}
    for name in pages:
        card[name].locator("text=0 joined of 2").first.wait_for()
        assert "2 more to unlock 179.00 CNY" in card[name].inner_text()
        _fits(pages[name], PHONE["width"])

    # Mei taps Join: her card says Joined and gives her link; Ann's open card moves to 1 of 2 by itself.
    card["mei"].get_by_role("button", name="Join").click()
    card["mei"].locator(".msg-card-badge", has_text="Joined").wait_for()
    participant = deal.participants.get(customer=mei)
    assert card["mei"].locator(f'a[href="/g/{participant.referral_code}/"]').count() == 1
    card["ann"].locator("text=1 joined of 2").first.wait_for()
    assert card["ann"].get_by_role("button", name="Join").count() == 1  # Ann has not joined: still her button
    assert pages["ann"].evaluate("window.__notReloaded") is True

    # Ann joins too: the first tier unlocks, announced once in the group, seen live by both.
    card["ann"].get_by_role("button", name="Join").click()
    for name in pages:
        pages[name].locator(".messages-list li[data-seq]",
                            has_text="Tier unlocked for \"Serum team buy\": 179.00 CNY with 2 people.").wait_for()
        card[name].locator("text=Price now: 179.00 CNY").first.wait_for()
        _fits(pages[name], PHONE["width"])
    deal.refresh_from_db()
    assert deal.participant_count == 2


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP])
def test_the_group_buy_page_and_the_referral_page_fit(asgi_server, browser_context, brand, viewport):
    marketer = factories.make_member(brand, Role.MARKETER)
    deal = factories.make_group_buy(brand, title="Serum team buy")
    ann = factories.make_customer(brand, "Ann Lee", consent_chat=True)
    referrer = live._off_loop(group_buy_join, actor=CustomerActor(ann), group_buy_id=deal.pk).participant

    staff = browser_context(viewport=viewport)
    staff.add_cookies([browser_session_cookie(asgi_server.url, marketer.user)])
    page = staff.new_page()
    page.goto(f"{asgi_server.url}/b/acme/group-buys/{deal.pk}/")
    page.get_by_role("heading", name="Participants").wait_for()
    assert page.locator("[data-participant]").count() == 1
    _fits(page, viewport["width"])
    page.goto(f"{asgi_server.url}/b/acme/group-buys/new/")
    _fits(page, viewport["width"])

    newcomer = browser_context(viewport=viewport).new_page()
    newcomer.goto(f"{asgi_server.url}/g/{referrer.referral_code}/")
    newcomer.get_by_text("Ann invites you to a group-buy").wait_for()
    _fits(newcomer, viewport["width"])
    newcomer.fill("input[name=name]", "Dee")
    newcomer.check("input[name=consent_chat]")
    newcomer.get_by_role("button", name="Join").click()
    newcomer.get_by_text("You are in.").wait_for()
    _fits(newcomer, viewport["width"])
    deal.refresh_from_db()
    assert deal.participant_count == 2
