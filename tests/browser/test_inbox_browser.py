"""The rep inbox in Chromium at 360 px (a rep's phone) and 1366 px: replying as the brand persona (the customer sees
the persona, the rep sees who really sent it), status and hand-over, and attachments, live on a real ASGI server."""

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chats.models import Attachment, Conversation, Message
from chats.persona.services import persona_save
from chats.services import conversation_for_customer
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.browser.test_live_chat import LIVE, _open, asgi_server  # noqa: F401 - the fixture is used by name
from tests.chats.persona.test_services import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture
def world(transactional_db):
    brand = factories.make_brand("acme", name="Acme Beauty")  # Asia/Shanghai
    store = factories.make_store(brand, "Jing'an")
    rep = factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Mei Chen"))
    other = factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Omar Rep"))
    shopper = factories.make_user("lin@example.test", password=None, name="Lin")
    customer = factories.make_customer(brand, "Lin Customer", email=shopper.email, user=shopper, assigned_rep=rep,
                                       home_store=store, consent_chat=True)
    persona = persona_save(brand=brand, actor=factories.owner_of(brand), name="Lumi", bio="Skincare guide",
                           avatar=SimpleUploadedFile("lumi.png", PNG, content_type="image/png"))
    return {"brand": brand, "rep": rep, "other": other, "shopper": shopper, "customer": customer, "persona": persona,
            "conversation": conversation_for_customer(customer=customer)}


def _in_view(page, selector: str, viewport: dict) -> None:
    """The element is on screen without scrolling."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 1, (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (selector, box)


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1366px"])
def test_reply_as_persona_customer_sees_persona_rep_sees_real_sender(asgi_server, browser_context, world, viewport):  # noqa: F811
    conversation = world["conversation"]
    rep_page, rep_dialogs = _open(browser_context, asgi_server.url, world["rep"].user,
                                  f"/b/acme/inbox/{conversation.pk}/", viewport)
    shop_page, shop_dialogs = _open(browser_context, asgi_server.url, world["shopper"],
                                    f"/chat/direct/{world['customer'].pk}/", PHONE)
    _in_view(rep_page, "textarea[name=body]", viewport)  # the message box, without scrolling, even on a phone
    _in_view(rep_page, "form.composer button[type=submit]", viewport)
    _no_sideways_scroll(rep_page)

    rep_page.check("input[name=reply_as][value=persona]")
    rep_page.fill("textarea[name=body]", "Hello from Lumi!")
    rep_page.locator("textarea[name=body]").press("Enter")
    shop_message = shop_page.locator(LIVE).filter(has_text="Hello from Lumi!")
    shop_message.wait_for()
    assert shop_message.locator(".sender").inner_text() == "Lumi"
    avatar = shop_message.locator("img.avatar")
    assert avatar.get_attribute("src").startswith(f"/chat/persona/{world['persona'].pk}/avatar/")
    shop_page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=avatar.element_handle())
    assert "Mei" not in shop_page.locator(".messages-list").inner_text()
    rep_message = rep_page.locator(LIVE).filter(has_text="Hello from Lumi!")
    rep_message.wait_for()
    assert rep_message.locator(".sender").inner_text() == "Mei Chen (as Lumi)"

    # Times are the brand's (Shanghai), live and after a reload alike, whatever the browser's zone.
    stored = Message.objects.get(body="Hello from Lumi!")
    expected = datetime.fromtimestamp(stored.created_at.timestamp(), world["brand"].tzinfo).strftime("%H:%M")
    assert shop_message.locator("time").inner_text() == expected
    assert rep_message.locator("time").inner_text() == expected
    shop_page.reload()
    assert shop_page.locator(LIVE).filter(has_text="Hello from Lumi!").locator("time").inner_text() == expected
    assert shop_page.locator(LIVE).filter(has_text="Hello from Lumi!").locator(".sender").inner_text() == "Lumi"
    rep_page.reload()
    assert rep_page.locator(LIVE).filter(has_text="Hello from Lumi!").locator(".sender").inner_text() == \
        "Mei Chen (as Lumi)"
    assert stored.persona_id == world["persona"].pk and stored.sender_user_id == world["rep"].user_id
    assert not rep_dialogs and not shop_dialogs


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1366px"])
def test_status_notes_and_hand_over(asgi_server, browser_context, world, viewport):  # noqa: F811
    conversation = world["conversation"]
    page, dialogs = _open(browser_context, asgi_server.url, world["rep"].user, f"/b/acme/inbox/{conversation.pk}/",
                          viewport)
    # A private note, then resolve: the conversation leaves the open list and shows under Resolved.
    page.click(".note-tool summary")
    page.fill("#note-body", "Prefers evening calls")
    page.click(".note-form button[type=submit]")
    page.locator(".msg-note").filter(has_text="Prefers evening calls").wait_for()
    page.click("button[data-action=resolve]")
    page.locator("[data-conversation-status=resolved]").wait_for()
    assert Conversation.objects.get(pk=conversation.pk).status == "resolved"
    page.goto(f"{asgi_server.url}/b/acme/inbox/?status=resolved")
    page.locator(f'[data-inbox-item="{conversation.pk}"]').wait_for()
    page.goto(f"{asgi_server.url}/b/acme/inbox/?status=open")
    assert page.locator(f'[data-inbox-item="{conversation.pk}"]').count() == 0
    _no_sideways_scroll(page)

    # Snooze until tomorrow 9:00 (the brand's time), then hand the customer over to Omar.
    page.goto(f"{asgi_server.url}/b/acme/inbox/{conversation.pk}/")
    page.click("details.snooze summary")
    page.select_option("#snooze-choice", "tomorrow")
    page.click("details.snooze button[type=submit]")
    page.locator("[data-conversation-status=snoozed]").wait_for()
    if viewport is PHONE:
        page.click(".inbox-profile-toggle")  # the contact panel opens over the chat on a phone
    page.locator("#contact-panel").wait_for(state="visible")
    page.select_option("#assign-rep", str(world["other"].pk))
    page.click(".assign-form button[type=submit]")
    # Mei no longer sees the chat: the redirect back is a 404; the record shows the hand-over.
    page.wait_for_load_state()
    world["customer"].refresh_from_db()
    assert world["customer"].assigned_rep_id == world["other"].pk
    assert Message.objects.filter(conversation=conversation, payload__event="customer.reassigned").exists()
    assert not dialogs


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1366px"])
def test_image_attachment_reaches_the_customer_live(asgi_server, browser_context, world, viewport, tmp_path):  # noqa: F811
    conversation = world["conversation"]
    rep_page, _ = _open(browser_context, asgi_server.url, world["rep"].user, f"/b/acme/inbox/{conversation.pk}/",
                        viewport)
    shop_page, _ = _open(browser_context, asgi_server.url, world["shopper"], f"/chat/direct/{world['customer'].pk}/",
                         PHONE)
    picture = tmp_path / "serum.png"
    picture.write_bytes(PNG)
    rep_page.click(".attach-tool summary")
    rep_page.set_input_files("#attach-file", str(picture))
    rep_page.click(".attach-form button[type=submit]")
    attachment_img = shop_page.locator(f"{LIVE} .msg-attachment img")
    attachment_img.wait_for()
    attachment = Attachment.objects.get(conversation=conversation)
    assert attachment_img.get_attribute("src") == f"/chat/files/{attachment.pk}/"
    shop_page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=attachment_img.element_handle())
    rep_page.locator(f"{LIVE} .msg-attachment img").wait_for()
    # A bad file is refused with a clear message; nothing is sent.
    bad = tmp_path / "notes.txt"
    bad.write_text("just text")
    shop_page.click(".customer-attach summary")
    shop_page.set_input_files("#attach-file", str(bad))
    shop_page.click(".attach-form button[type=submit]")
    shop_page.locator(".flash-error").filter(has_text="Upload an image").wait_for()
    assert Message.objects.filter(conversation=conversation, kind__in=["image", "file"]).count() == 1
    _no_sideways_scroll(shop_page)
