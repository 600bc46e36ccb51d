"""The browser client notices a gap in the seqs itself and syncs: a message committed without its live frame ever
reaching the socket (its publish went where nobody listens, as a frame lost in transit) appears, in its place, as
soon as the next message shows the gap, without a reload. Checked on the customer's phone page (360 px) and the
rep's inbox (1366 px)."""

import contextlib
import json

import pytest
from django.conf import settings
from django.test import override_settings

from chats.models import Message
from chats.services import Sender, conversation_for_customer, message_send
from tests import factories
from tests.browser.test_live_chat import LIVE, AsgiServer, _off_loop
from tests.faults.conftest import subprocess_sessions_ended
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi(transactional_db):
    server = AsgiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        subprocess_sessions_ended()


def _open_synced(browser_context, url: str, user, path: str, viewport: dict):
    """Open a chat page and wait for its first sync answer as well as "ready": the page asks for a sync when its
    socket is ready, and a message committed before that answer would come with it, not be lost."""
    context = browser_context(viewport=viewport)
    context.add_cookies([browser_session_cookie(url, user)])
    page = context.new_page()
    syncs: list[dict] = []

    def on_frame(payload) -> None:
        with contextlib.suppress(ValueError, TypeError):
            frame = json.loads(payload)
            if isinstance(frame, dict) and frame.get("type") == "sync":
                syncs.append(frame)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    page.goto(f"{url}{path}")
    page.wait_for_selector("#connection-status[data-state=online]")
    for _ in range(300):
        if syncs:
            break
        page.wait_for_timeout(50)
    assert syncs, "the page's first sync was never answered"
    page.evaluate("window.__notReloaded = true")
    return page


def _send_lost(**kwargs):
    """message_send whose live frame is published on a prefix no process subscribes to: committed, never told."""
    layer = settings.CHANNEL_LAYERS["default"]
    lost = {"default": {**layer, "CONFIG": {**layer["CONFIG"], "prefix": "nobody-listens"}}}
    with override_settings(CHANNEL_LAYERS=lost):
        return message_send(**kwargs)


def test_a_seq_gap_is_noticed_by_the_page_and_the_missing_message_synced(asgi, browser_context, brand, rep):
    shopper = factories.make_user("gap@example.test", password=None, name="Gina")
    customer = factories.make_customer(brand, "Gina Gap", email=shopper.email, user=shopper, assigned_rep=rep,
                                       home_store=rep.store, consent_chat=True)
    conversation = conversation_for_customer(customer=customer)
    phone = _open_synced(browser_context, asgi.url, shopper, f"/chat/direct/{customer.pk}/",
                         {"width": 360, "height": 740})
    inbox = _open_synced(browser_context, asgi.url, rep.user, f"/b/{brand.slug}/inbox/{conversation.pk}/",
                         {"width": 1366, "height": 800})
    sender = Sender.of_staff(rep)

    lost = _off_loop(_send_lost, conversation=conversation, sender=sender, body="The lost one",
                     client_msg_id="gap-lost")
    phone.wait_for_timeout(1000)
    for page in (phone, inbox):  # really lost: nothing told the pages
        assert page.locator(LIVE).filter(has_text="The lost one").count() == 0

    after = _off_loop(message_send, conversation=conversation, sender=sender, body="The next one",
                      client_msg_id="gap-next")
    assert after.seq == lost.seq + 1
    for page in (phone, inbox):
        page.locator(LIVE).filter(has_text="The next one").wait_for()
        page.locator(f'{LIVE}[data-seq="{lost.seq}"]').filter(has_text="The lost one").wait_for()
        seqs = [int(s) for s in page.locator(LIVE).evaluate_all("els => els.map(e => e.dataset.seq)")]
        assert seqs == sorted(seqs) and seqs.count(lost.seq) == 1 and seqs.count(after.seq) == 1
        assert page.evaluate("window.__notReloaded") is True
    assert list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("body", flat=True)) == [
        "The lost one", "The next one"]
