"""Events in a real browser: a customer on a 360 px phone RSVPs from the chat card and sees their code and QR;
the dashboard's event pages and the door's check-in page at 360 px and 1366 px."""

import pytest

from campaigns.events.models import Rsvp
from campaigns.events.services import checkin_code_display, event_rsvp
from chats.models import MessageKind
from chats.services import Sender, conversation_for_customer, message_send
from privtraffic.tenancy.actors import CustomerActor
from tests import factories
from tests.helpers import browser_session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 800}


def _no_sideways_scroll(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px)"


def test_a_customer_rsvps_from_the_card_on_a_phone_and_sees_their_code(live_server, browser_context, brand, rep):
    event = factories.make_event(brand, capacity=1, title="Saturday run club")
    user = factories.make_user("carla@example.test", password=None, name="Carla")
    customer = factories.make_customer(brand, "Carla", email=user.email, user=user, assigned_rep=rep,
                                       consent_chat=True)
    conversation = conversation_for_customer(customer=customer)
    message_send(conversation=conversation, sender=Sender.of_staff(rep), body="Run with us on Saturday!",
                 kind=MessageKind.EVENT, payload={"title": "Saturday run club", "ref": event.pk})

    context = browser_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_cookies([browser_session_cookie(live_server.url, user)])
    page = context.new_page()
    page.goto(f"{live_server.url}/chat/direct/{customer.pk}/")
    card = page.locator(f'[data-card="event:{event.pk}"]')
    card.locator("text=1 seat left of 1").wait_for()
    card.locator("button", has_text="RSVP").click()

    card.locator(".msg-card-badge", has_text="Going").wait_for()
    rsvp = Rsvp.objects.get(event=event, customer=customer)
    assert card.locator(".msg-card-code").inner_text() == checkin_code_display(rsvp.checkin_code)
    qr = card.locator("img.msg-card-qr")
    qr.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    assert card.locator("button", has_text="Cancel").count() == 1
    _no_sideways_scroll(page, PHONE["width"])
    box = qr.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # Reloaded, the card still shows the seat.
    page.reload()
    card.locator(".msg-card-badge", has_text="Going").wait_for()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1366px"])
def test_event_pages_and_check_in_at_the_door(live_server, browser_context, brand, rep, marketer, viewport):
    event = factories.make_event(brand, capacity=1, title="Skincare class with a rather long title for phones")
    ann, bo = factories.make_customer(brand, "Ann Attendee"), factories.make_customer(brand, "Bo Waiting")
    seat = event_rsvp(actor=CustomerActor(ann), event=event, customer=ann)
    event_rsvp(actor=CustomerActor(bo), event=event, customer=bo)

    context = browser_context(viewport=viewport)
    context.add_cookies([browser_session_cookie(live_server.url, marketer.user)])
    page = context.new_page()
    page.goto(f"{live_server.url}/b/acme/events/")
    assert page.locator("h1").inner_text() == "Events"
    _no_sideways_scroll(page, viewport["width"])
    page.goto(f"{live_server.url}/b/acme/events/new/")
    _no_sideways_scroll(page, viewport["width"])

    rep_context = browser_context(viewport=viewport)
    rep_context.add_cookies([browser_session_cookie(live_server.url, rep.user)])
    door = rep_context.new_page()
    door.goto(f"{live_server.url}/b/acme/events/{event.pk}/")
    assert door.locator("[data-list=waitlist] td", has_text="Bo Waiting").count() == 1
    _no_sideways_scroll(door, viewport["width"])
    door.click("text=Check in at the door")
    # Headless Chromium on Linux has no BarcodeDetector: the page says to type the code.
    scanner = door.evaluate("'BarcodeDetector' in window")
    assert door.locator("[data-camera-start]").is_visible() == scanner
    assert door.locator("[data-no-camera]").is_visible() != scanner
    _no_sideways_scroll(door, viewport["width"])
    door.fill("input[name=code]", "ZZZZZ-ZZZZZ")
    door.click("form[data-checkin-form] button[type=submit]")
    door.locator("text=No RSVP has this code.").wait_for()
    door.fill("input[name=code]", checkin_code_display(seat.checkin_code).lower())
    door.click("form[data-checkin-form] button[type=submit]")
    door.locator("[data-checked-in]", has_text="Ann Attendee is checked in.").wait_for()
    assert Rsvp.objects.get(pk=seat.pk).status == "checked_in"
    _no_sideways_scroll(door, viewport["width"])
