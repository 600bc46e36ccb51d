"""Live chat end to end: a rep's inbox and a customer's phone page, two browsers, one real ASGI server.

pytest-django's live_server speaks WSGI only, so this module starts uvicorn on the test database
and the same Redis (channel layer and cache) in a subprocess.
"""

import datetime
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from chats.models import Message
from chats.services import Sender, conversation_for_customer, conversation_for_group, message_send
from communities.groups.services import group_member_add, group_member_mute
from tests import factories
from tests.helpers import browser_session_cookie, free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LIVE = ".messages-list li[data-seq]"


@pytest.fixture
def brand(transactional_db):
    return factories.make_brand("acme", name="Acme Outdoor")


@pytest.fixture
def store(brand):
    """The shared `rep` (Rita Rep) works here; the chat names this store."""
    return factories.make_store(brand, "Flagship")


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class AsgiServer:
    """uvicorn serving HTTP and WebSockets on the test database, on one port across restarts."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "privtraffic.settings.test",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "privtraffic.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=self.env,
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, "uvicorn exited while starting"
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("uvicorn did not answer /healthz within 30s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None


@pytest.fixture
def asgi_server(transactional_db):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("tests/testenv.py provides PostgreSQL and REDIS_URL; the live chat test needs both")
    server = AsgiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _off_loop(fn, **kwargs):
    """Run a write that broadcasts on another thread: Playwright's event loop owns this one, and
    async_to_sync (the channel-layer send after commit) refuses to run beside it."""

    def run():
        try:
            return fn(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _open(browser_context, url: str, user, path: str, viewport: dict):
    context = browser_context(viewport=viewport)
    context.add_cookies([browser_session_cookie(url, user)])
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog):
        if dialog.type == "confirm":  # our own "Delete this message?" questions
            dialog.accept()
        else:
            dialogs.append(dialog.message)
            dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{url}{path}")
    page.wait_for_selector("#connection-status[data-state=online]")
    page.evaluate("window.__notReloaded = true")
    return page, dialogs


def test_rep_and_customer_chat_live(asgi_server, browser_context, brand, store, rep):
    shopper = factories.make_user("carla@example.test", password=None, name="Carla")
    customer = factories.make_customer(brand, "Carla Customer", email=shopper.email, user=shopper, assigned_rep=rep,
                                       home_store=store, consent_chat=True)
    conversation = conversation_for_customer(customer=customer)

    rep_page, rep_dialogs = _open(browser_context, asgi_server.url, rep.user,
                                  f"/b/acme/inbox/{conversation.pk}/", {"width": 1280, "height": 800})
    shop_page, shop_dialogs = _open(browser_context, asgi_server.url, shopper, f"/chat/direct/{customer.pk}/",
                                    {"width": 390, "height": 800})
    rep_list = rep_page.locator(LIVE)
    shop_list = shop_page.locator(LIVE)

    # The customer types: the rep sees who is typing.
    shop_page.locator("textarea[name=body]").press_sequentially("Hi, is the grill")
    typing = rep_page.locator(".typing-indicator")
    typing.wait_for(state="visible")
    assert "Carla Customer" in typing.inner_text()

    # ... and sends: it shows as pending, then lands in the rep's pane without a reload.
    shop_page.locator("textarea[name=body]").press_sequentially(" in stock?")
    shop_page.click("form.composer button[type=submit]")
    shop_list.filter(has_text="Hi, is the grill in stock?").wait_for()
    assert shop_page.locator(".msg.pending, .msg.failed").count() == 0
    rep_list.filter(has_text="Hi, is the grill in stock?").wait_for()
    first = Message.objects.get(conversation=conversation, body="Hi, is the grill in stock?")
    assert rep_page.locator(f'{LIVE}[data-seq="{first.seq}"]').count() == 1
    # Live-rendered messages carry the staff actions for that very message.
    actions = rep_page.locator(f'{LIVE}[data-seq="{first.seq}"] .msg-actions input[name=message_id]')
    assert actions.first.input_value() == str(first.pk)

    # The rep's open pane marks it read: the customer sees "Seen" under their message.
    shop_page.locator(f'{LIVE}[data-seq="{first.seq}"] .read-receipt').wait_for()
    assert shop_page.locator(".read-receipt").inner_text() == "Seen"

    # The rep types and replies; the customer sees both live.
    rep_page.locator("textarea[name=body]").press_sequentially("Yes! Two left")
    shop_typing = shop_page.locator(".typing-indicator")
    shop_typing.wait_for(state="visible")
    assert "Rita Rep" in shop_typing.inner_text()
    rep_page.locator("textarea[name=body]").press_sequentially(" in Flagship.")
    rep_page.locator("textarea[name=body]").press("Enter")
    shop_list.filter(has_text="Yes! Two left in Flagship.").wait_for()
    rep_list.filter(has_text="Yes! Two left in Flagship.").wait_for()
    # The customer's page reads it: the rep sees "Seen" under the reply.
    reply = Message.objects.get(conversation=conversation, sender_type="rep")
    rep_page.locator(f'{LIVE}[data-seq="{reply.seq}"] .read-receipt').wait_for()
    assert rep_page.locator(".read-receipt").count() == 1
    assert shop_page.locator(f'{LIVE}[data-seq="{first.seq}"] .read-receipt').count() == 1

    # Markup arrives as text, never as HTML.
    evil = "<img src=x onerror=alert(1)>"
    shop_page.fill("textarea[name=body]", evil)
    shop_page.click("form.composer button[type=submit]")
    rep_list.filter(has_text=evil).wait_for()
    shop_list.filter(has_text=evil).wait_for()
    # "Seen" moves to the customer's latest own message once the rep's pane has read it.
    last = Message.objects.get(conversation=conversation, body=evil)
    shop_page.locator(f'{LIVE}[data-seq="{last.seq}"] .read-receipt').wait_for()
    assert shop_page.locator(".read-receipt").count() == 1
    for page in (rep_page, shop_page):
        assert page.locator(".messages-list img").count() == 0
        assert page.evaluate("window.__notReloaded") is True
    assert not rep_dialogs and not shop_dialogs

    # The customer's tab goes to the background: a new message counts in the title and is not read yet.
    title = shop_page.title()
    shop_page.evaluate("""() => {
        Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
        Object.defineProperty(document, "hidden", {value: true, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    rep_page.fill("textarea[name=body]", "Still there?")
    rep_page.locator("textarea[name=body]").press("Enter")
    shop_list.filter(has_text="Still there?").wait_for()
    assert shop_page.title() == f"(1) {title}"
    nudge = Message.objects.get(conversation=conversation, body="Still there?")
    rep_page.wait_for_timeout(500)
    assert rep_page.locator(f'{LIVE}[data-seq="{nudge.seq}"] .read-receipt').count() == 0
    # Back in front: the badge clears and the message is read.
    shop_page.evaluate("""() => {
        delete document.visibilityState;
        delete document.hidden;
        document.dispatchEvent(new Event("visibilitychange"));
        window.dispatchEvent(new Event("focus"));
    }""")
    rep_page.locator(f'{LIVE}[data-seq="{nudge.seq}"] .read-receipt').wait_for()
    assert shop_page.title() == title

    # Everything sent live is in the database exactly once.
    bodies = list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("body", flat=True))
    assert bodies == ["Hi, is the grill in stock?", "Yes! Two left in Flagship.", evil, "Still there?"]

    # The rep deletes the markup message; the customer's copy turns into a notice in place, live.
    evil_message = Message.objects.get(conversation=conversation, body=evil)
    rep_page.locator(f'{LIVE}[data-seq="{evil_message.seq}"] form[data-confirm] button').click()
    rep_page.wait_for_load_state()
    shop_page.locator(f'{LIVE}[data-seq="{evil_message.seq}"] .body.deleted').wait_for()
    assert shop_page.locator(f'{LIVE}[data-seq="{evil_message.seq}"]').count() == 1
    assert evil not in shop_page.locator(".messages-list").inner_text()
    evil_message.refresh_from_db()
    assert evil_message.deleted_at is not None


def test_reconnect_catches_up_queues_sends_and_marks_refused_ones(asgi_server, browser_context, brand, store, rep):
    group = factories.make_group(brand, "Grill Club", store=store)
    shopper = factories.make_user("carla@example.test", password=None, name="Carla")
    customer = factories.make_customer(brand, "Carla Customer", email=shopper.email, user=shopper)
    member = _off_loop(group_member_add, group=group, actor=factories.system(group.brand_id), customer=customer)
    conversation = conversation_for_group(group=group)

    page, dialogs = _open(browser_context, asgi_server.url, shopper, f"/chat/group/{group.pk}/",
                          {"width": 390, "height": 800})
    messages = page.locator(LIVE)

    # The server goes away; messages are written meanwhile, and the customer writes one too.
    asgi_server.stop()
    page.wait_for_selector("#connection-status:not([data-state=online])")
    for body in ("Grill demo at 5pm", "Bring friends"):
        _off_loop(message_send, conversation=conversation, sender=Sender.of_staff(rep), body=body)
    page.fill("textarea[name=body]", "On my way")
    page.click("form.composer button[type=submit]")
    page.locator(".msg.pending", has_text="On my way").wait_for()

    # Back up: the socket reconnects, sends the queued message once and syncs what it missed, in order.
    asgi_server.start()
    page.wait_for_selector("#connection-status[data-state=online]", timeout=30_000)
    messages.filter(has_text="On my way").wait_for()
    messages.filter(has_text="Bring friends").wait_for()
    assert page.locator(".msg.pending").count() == 0
    texts = [t for t in messages.all_inner_texts() if "Grill demo" in t or "Bring friends" in t]
    assert len(texts) == 2 and "Grill demo" in texts[0]
    assert Message.objects.filter(conversation=conversation, body="On my way").count() == 1
    assert page.evaluate("window.__notReloaded") is True

    # A send the server refuses is marked failed with the reason; nothing is stored.
    _off_loop(group_member_mute, member=member, actor=factories.system(member.brand_id), until=timezone.now() + timedelta(hours=1))
    page.fill("textarea[name=body]", "Let me talk")
    page.click("form.composer button[type=submit]")
    failed = page.locator(".msg.failed", has_text="Let me talk")
    failed.wait_for()
    assert "muted" in failed.inner_text()
    assert not Message.objects.filter(conversation=conversation, body="Let me talk").exists()
    assert not dialogs


def test_a_promotion_arrives_live_with_a_one_tap_opt_out(asgi_server, browser_context, brand, store, rep):
    from crm.models import ConsentChange, ContactPolicy, Customer

    shopper = factories.make_user("dan@example.test", password=None, name="Dan")
    customer = factories.make_customer(brand, "Dan Chen", email=shopper.email, user=shopper, assigned_rep=rep,
                                       home_store=store, consent_chat=True, consent_promotions=True)
    # Quiet hours off, so the test does not depend on the hour it runs at.
    ContactPolicy.objects.create(brand=brand, quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0))
    conversation = conversation_for_customer(customer=customer)
    # Reps pick one of the brand's coupons (campaigns.coupons), never type a code by hand.
    grill = factories.make_coupon(brand, code="GRILL10", title="10% off charcoal")
    deal = factories.make_coupon(brand, code="DEAL20", title="Another deal")
    rep_page, _ = _open(browser_context, asgi_server.url, rep.user, f"/b/acme/inbox/{conversation.pk}/",
                        {"width": 1280, "height": 800})
    shop_page, _ = _open(browser_context, asgi_server.url, shopper, f"/chat/direct/{customer.pk}/",
                         {"width": 360, "height": 740})
    assert rep_page.locator("[data-promotion-reach=ok]").inner_text().startswith("Can send (3 left")

    rep_page.click("text=Send a coupon")
    rep_page.select_option("select[name=coupon_ref]", str(grill.pk))
    rep_page.click("text=Send coupon")

    # The card reaches the phone live, with its opt-out link; one tap on the page that opens unsubscribes.
    card = shop_page.locator(".msg-card-coupon").filter(has_text="10% off charcoal")
    card.wait_for()
    shop_page.get_by_role("link", name="Stop promotions").click()
    shop_page.get_by_role("button", name="Stop promotions").click()
    shop_page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert shop_page.evaluate("document.documentElement.scrollWidth") <= 360
    customer.refresh_from_db()
    assert customer.consent_promotions is False
    assert ConsentChange.objects.filter(customer=customer, source="opt_out_link", granted=False).count() == 1

    # The rep's next coupon is refused with the reason, and nothing is sent.
    rep_page.reload()
    assert rep_page.locator("[data-promotion-reach=no_promotions_consent]").is_visible()
    rep_page.click("text=Send a coupon")
    rep_page.select_option("select[name=coupon_ref]", str(deal.pk))
    rep_page.click("text=Send coupon")
    rep_page.get_by_text("They opted out of promotions").first.wait_for()
    assert not Message.objects.filter(conversation=conversation, payload__ref=deal.pk).exists()
    assert Customer.objects.get(pk=customer.pk).consent_chat is True  # chat itself goes on
