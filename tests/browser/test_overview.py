"""The overview and the dashboard pages around it, in Chromium at 1366 px and on a 360 px phone."""

import datetime
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connections

from chats.models import Message
from chats.services import Sender, message_send
from communities.groups.services import group_member_add
from communities.invites.services import invite_open_record
from crm.models import CustomerSource
from tests import factories
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _off_loop(fn, *args):
    """Seed on another thread: Playwright's event loop owns this one, and the broadcasts after commit
    (async_to_sync) refuse to run beside it."""

    def run():
        try:
            return fn(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _seed(brand, store, rep, system):
    return _off_loop(_seed_now, brand, store, rep, system)


def _seed_now(brand, store, rep, system):
    groups = [factories.make_group(brand, name, store=store) for name in ("Glow Club", "Skincare Lovers")]
    invite = factories.make_invite(brand, group=groups[0], store=store)
    for _ in range(9):
        invite_open_record(invite=invite, actor=system)
    for n in range(5):
        customer = factories.make_customer(brand, f"Customer {n}", source=CustomerSource.INVITE_LINK, assigned_rep=rep,
                                           home_store=store, consent_chat=True)
        group_member_add(group=groups[n % 2], customer=customer, actor=system)
        conversation = factories.make_conversation(brand, customer)
        asked = message_send(conversation=conversation, sender=Sender.of_customer(customer), body="Is it in stock?")
        answer = message_send(conversation=conversation, sender=Sender.of_staff(rep), body="Yes!")
        Message.objects.filter(pk=asked.pk).update(created_at=answer.created_at - datetime.timedelta(minutes=n + 1))
    return groups


def _page(browser_context, live_server, user, width):
    context = browser_context(viewport={"width": width, "height": 900 if width > 500 else 740})
    context.add_cookies([browser_session_cookie(live_server.url, user)])
    page = context.new_page()
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.on("pageerror", lambda e: failed.append(str(e)))
    return page, failed


def _no_sideways_scroll(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px)"


def _save(page, name):
    """Screenshots for docs/screenshots/ (README): taken on every run, written when SAVE_SCREENSHOTS=1."""
    image = page.screenshot(full_page=True)
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(image)


@pytest.mark.parametrize("width", [1366, 360])
def test_overview_fits_shows_charts_and_drills_down(live_server, browser_context, brand, store, rep, owner, system,
                                                   width):
    _seed(brand, store, rep, system)
    page, failed = _page(browser_context, live_server, owner.user, width)
    page.goto(f"{live_server.url}/b/{brand.slug}/")
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    for i in range(3):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 200 and box["height"] > 40
    assert page.locator("svg.chart rect.chart-joins").count() >= 1
    _no_sideways_scroll(page, width)
    # No panel hides part of its table or chart (the funnel and top reps tables were clipped on a phone).
    clipped = page.evaluate("[...document.querySelectorAll('.overview-grid .card')]"
                            ".filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.querySelector('h2').textContent)")
    assert clipped == [], clipped
    if width == 1366:
        _save(page, "overview")
    else:
        _save(page, "overview-phone")
    # The "Joined in the period" figure opens the list of exactly those customers.
    assert page.locator("#stat-joins .stat-value").inner_text() == "5"
    page.click("#stat-joins")
    page.wait_for_url("**/customers/?joined_days=30")
    assert page.locator("tr[data-customer-id]").count() == 5
    assert "joined in the last 30 days" in page.locator("#drill-filters").inner_text()
    _no_sideways_scroll(page, width)
    # The period picker narrows the figures.
    page.goto(f"{live_server.url}/b/{brand.slug}/")
    page.select_option("#overview-period", "7")
    page.click(".overview-filters button[type=submit]")
    page.wait_for_url("**period=7**")
    assert page.locator("svg.chart").count() == 3
    assert failed == [], failed


def test_groups_table_shows_its_edit_links_at_1366(live_server, browser_context, brand, store, rep, owner, system):
    """The Groups table used to run under the "New group" card at 1366 px, cutting off its Edit column."""
    def seed():
        flagship = factories.make_store(brand, "Shanghai Jing'an Flagship")
        names = ("Shanghai Jing'an Flagship VIP Club", "Beijing Sanlitun Insiders", "Events & Workshops")
        for name in names:
            group = factories.make_group(brand, name, store=flagship, announce_only=True, capacity=200,
                                         topic="Routines, swaps, reviews and weekly live sessions")
            group_member_add(group=group, customer=factories.make_customer(brand), actor=system)

    _off_loop(seed)
    page, failed = _page(browser_context, live_server, owner.user, 1366)
    page.goto(f"{live_server.url}/b/{brand.slug}/groups/")
    edits = page.locator(".groups-table td.actions a", has_text="Edit")
    assert edits.count() == 3
    # The table's column does not hide part of it behind a sideways scroll.
    column = page.evaluate("(() => { const s = document.querySelector('.groups-table').parentElement;"
                           " return [s.scrollWidth, s.clientWidth]; })()")
    assert column[0] <= column[1], f"the groups table is wider than its column: {column}"
    for i in range(3):
        box = edits.nth(i).bounding_box()
        # Visible, on screen, and the topmost element where it is drawn (not under the card beside it).
        assert box["x"] + box["width"] <= page.evaluate(
            "document.querySelector('.groups-table').parentElement.getBoundingClientRect().right")
        hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).textContent.trim()",
                            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        assert hit == "Edit"
    # The stat card names how many invite links there are, not "QR".
    assert page.locator(".stat-value").nth(3).inner_text().isdigit()
    _no_sideways_scroll(page, 1366)
    _save(page, "groups")
    assert failed == [], failed


def test_main_dashboard_pages_have_no_broken_requests_and_fit(live_server, browser_context, brand, store, rep, owner,
                                                             system):
    """Every main page: no 404 (the favicon used to be one), no JS error, no sideways scroll on a phone."""
    groups = _seed(brand, store, rep, system)
    pages = {"customers": "customers/", "inbox": "inbox/", "team": "team/", "stores": "stores/",
             "group-members": f"groups/{groups[0].pk}/members/", "settings": "settings/"}
    for width in (1366, 360):
        page, failed = _page(browser_context, live_server, owner.user, width)
        for name, path in pages.items():
            page.goto(f"{live_server.url}/b/{brand.slug}/{path}")
            if width == 1366:
                _no_sideways_scroll(page, width)
                if name in ("customers", "inbox", "team"):
                    _save(page, name)
        favicon = page.evaluate("document.querySelector('link[rel=icon]').href")
        assert page.request.get(favicon).status == 200
        assert failed == [], failed
