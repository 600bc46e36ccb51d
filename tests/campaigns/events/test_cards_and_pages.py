"""The event card on the phone and in the inbox, the customer's QR, and the dashboard pages (list, create,
edit, the event's attendance, check-in, CSV), including other brands' ids."""

import csv
import io

import pytest

from campaigns.events.models import CommunityEvent, Rsvp
from campaigns.events.services import checkin_code_display, event_rsvp
from chats.models import MessageKind
from chats.services import Sender, conversation_for_customer, message_send
from privtraffic.tenancy.actors import CustomerActor
from tests import factories


@pytest.fixture
def phone(brand, client):
    def make(name="Mei Lin"):
        user = factories.make_user(password=None)
        customer = factories.make_customer(brand, name, email=user.email, user=user)
        return customer, user

    return make


def _card(client, event):
    return client.get(f"/chat/cards/event/{event.pk}/")


def test_the_customer_rsvps_from_the_card_and_sees_their_code_and_qr(brand, client, phone):
    event = factories.make_event(brand, capacity=1, title="Skincare class")
    customer, user = phone()
    client.force_login(user)
    before = _card(client, event).json()
    assert before["title"] == "Skincare class" and before["badge"] is None
    assert "1 seat left of 1" in before["lines"] and before["actions"] == [
        {"verb": "rsvp", "label": "RSVP", "primary": True}]
    assert before["progress"]["max"] == 1 and before["code"] is None

    going = client.post(f"/chat/cards/event/{event.pk}/rsvp/").json()
    rsvp = Rsvp.objects.get(event=event, customer=customer)
    assert going["badge"] == "Going" and going["code"] == checkin_code_display(rsvp.checkin_code)
    assert going["qr_url"] == f"/chat/events/{event.pk}/qr.svg"
    assert going["actions"] == [{"verb": "cancel", "label": "Cancel", "primary": False}]
    qr = client.get(going["qr_url"])
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert qr["Cache-Control"] == "private, no-store"

    cancelled = client.post(f"/chat/cards/event/{event.pk}/cancel/").json()
    assert cancelled["badge"] == "Cancelled" and cancelled["code"] is None
    assert client.get(going["qr_url"]).status_code == 404  # no seat, no code


def test_a_full_event_offers_the_waitlist_and_shows_the_place_in_line(brand, client, phone):
    event = factories.make_event(brand, capacity=1)
    first, _ = phone("Ann")
    event_rsvp(actor=CustomerActor(first), event=event, customer=first)
    customer, user = phone("Bo")
    client.force_login(user)
    full = _card(client, event).json()
    assert full["actions"][0]["label"] == "Join the waitlist"
    assert any(line.startswith("Full") for line in full["lines"])
    waiting = client.post(f"/chat/cards/event/{event.pk}/rsvp/").json()
    assert waiting["badge"] == "Waitlist #1" and waiting["code"] is None and waiting["qr_url"] is None
    assert client.get(f"/chat/events/{event.pk}/qr.svg").status_code == 404


def test_card_errors_are_json_and_other_brands_events_are_not_found(brand, other_brand, client, phone):
    customer, user = phone()
    client.force_login(user)
    started = factories.make_event(brand, starts_in_hours=-0.2)
    refused = client.post(f"/chat/cards/event/{started.pk}/rsvp/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "event_started"
    assert refused.json()["error"]["message"] == "This event has already started."
    foreign = factories.make_event(other_brand)
    assert _card(client, foreign).status_code == 404
    assert client.post(f"/chat/cards/event/{foreign.pk}/rsvp/").status_code == 404
    assert client.get(f"/chat/events/{foreign.pk}/qr.svg").status_code == 404
    assert not Rsvp.objects.exists()


def test_staff_see_counts_in_the_inbox_and_cannot_rsvp_for_anyone(brand, rep, login, phone):
    event = factories.make_event(brand, capacity=5)
    customer, _ = phone()
    event_rsvp(actor=CustomerActor(customer), event=event, customer=customer)
    client = login(rep)
    state = client.get(f"/b/acme/inbox/cards/event/{event.pk}/").json()
    assert "1 going, 0 on the waitlist, 0 checked in" in state["lines"] and state["code"] is None
    assert state["links"] == [{"label": "Open the event", "url": f"/b/acme/events/{event.pk}/"}]
    assert client.post(f"/b/acme/inbox/cards/event/{event.pk}/rsvp/").status_code == 403


def test_an_event_card_message_names_an_event_of_the_brand(brand, other_brand, rep):
    event = factories.make_event(brand, title="Run club")
    conversation = conversation_for_customer(customer=factories.make_customer(brand, assigned_rep=rep))
    message = message_send(conversation=conversation, sender=Sender.of_staff(rep), body="Join us!",
                           kind=MessageKind.EVENT, payload={"title": "Run club", "ref": event.pk})
    assert message.payload["ref"] == event.pk
    from privtraffic.tenancy.errors import ApplicationError

    with pytest.raises(ApplicationError) as foreign:
        message_send(conversation=conversation, sender=Sender.of_staff(rep), body="", kind=MessageKind.EVENT,
                     payload={"title": "Theirs", "ref": factories.make_event(other_brand).pk})
    assert foreign.value.status == 404


# --- dashboard pages -------------------------------------------------------------------------------------


def test_marketers_create_and_edit_events_in_the_brands_time_zone(brand, marketer, login):
    brand.timezone = "Asia/Shanghai"
    brand.save()
    client = login(marketer)
    assert client.get("/b/acme/events/new/").status_code == 200
    response = client.post("/b/acme/events/new/", {
        "title": "Saturday run", "place": "Riverside park", "starts_at": "2030-06-01T08:00",
        "ends_at": "2030-06-01T10:00", "capacity": "30", "description": "", "group": "", "store": "",
        "status": "published"})
    event = CommunityEvent.objects.get(brand=brand)
    assert response.status_code == 302 and response["Location"] == f"/b/acme/events/{event.pk}/"
    assert event.starts_at.isoformat() == "2030-06-01T00:00:00+00:00"  # 08:00 in Shanghai, stored UTC
    edit = client.get(f"/b/acme/events/{event.pk}/edit/")
    assert 'value="2030-06-01T08:00"' in edit.content.decode()
    bad = client.post(f"/b/acme/events/{event.pk}/edit/", {
        "title": "Saturday run", "place": "Riverside park", "starts_at": "2030-06-01T08:00",
        "ends_at": "2030-06-01T07:00", "capacity": "30", "status": "published"})
    assert bad.status_code == 400 and "The event must end after it starts." in bad.content.decode()
    garbage = client.post("/b/acme/events/new/", {"title": "X", "place": "Y", "starts_at": "２０３０-06-01T08:00",
                                                   "ends_at": "tomorrow", "capacity": "99999999999999999999999",
                                                   "status": "published"})
    assert garbage.status_code == 400 and CommunityEvent.objects.count() == 1


def test_reps_see_events_but_may_not_create_them(brand, rep, login):
    factories.make_event(brand, title="Run club")
    client = login(rep)
    page = client.get("/b/acme/events/")
    assert page.status_code == 200 and "Run club" in page.content.decode()
    assert "New event" not in page.content.decode()
    assert client.get("/b/acme/events/new/").status_code == 403


def test_the_event_page_lists_attendance_and_the_list_page_counts(brand, rep, login, django_assert_max_num_queries):
    event = factories.make_event(brand, capacity=2, title="Run club")
    people = [factories.make_customer(brand, n) for n in ("Ann", "Bo", "Cy")]
    rsvps = [event_rsvp(actor=CustomerActor(c), event=event, customer=c) for c in people]
    client = login(rep)
    client.post(f"/b/acme/events/{event.pk}/check-in/", {"code": rsvps[0].checkin_code})
    page = client.get(f"/b/acme/events/{event.pk}/").content.decode()
    assert "Checked in (1)" in page and "Going, not yet in (1)" in page and "Waitlist (1)" in page
    for _ in range(5):
        factories.make_event(brand)
    with django_assert_max_num_queries(8):
        listing = client.get("/b/acme/events/")
    assert listing.status_code == 200 and listing.content.decode().count("/check-in/") == 0


def test_check_in_page_scans_or_types_codes_with_clear_errors(brand, rep, login):
    event = factories.make_event(brand, capacity=1, title="Run club")
    ann, bo = factories.make_customer(brand, "Ann"), factories.make_customer(brand, "Bo")
    seat = event_rsvp(actor=CustomerActor(ann), event=event, customer=ann)
    waiting = event_rsvp(actor=CustomerActor(bo), event=event, customer=bo)
    client = login(rep)
    url = f"/b/acme/events/{event.pk}/check-in/"
    page = client.get(url)
    assert page.status_code == 200 and "camera=(self)" in page["Permissions-Policy"]
    assert "js/event_checkin.js" in page.content.decode()
    ok = client.post(url, {"code": checkin_code_display(seat.checkin_code)})
    assert ok.status_code == 200 and "Ann is checked in." in ok.content.decode()
    again = client.post(url, {"code": seat.checkin_code})
    assert again.status_code == 409 and "Ann already checked in at" in again.content.decode()
    unknown = client.post(url, {"code": "ZZZZZ-ZZZZZ"})
    assert unknown.status_code == 400 and "No RSVP has this code." in unknown.content.decode()
    waitlisted = client.post(url, {"code": waiting.checkin_code})
    assert waitlisted.status_code == 409 and "Bo is on the waitlist" in waitlisted.content.decode()
    other = factories.make_event(brand, title="Yoga")
    elsewhere = event_rsvp(actor=CustomerActor(bo), event=other, customer=bo)
    wrong = client.post(url, {"code": elsewhere.checkin_code})
    assert wrong.status_code == 409 and "for another event: Yoga" in wrong.content.decode()
    assert Rsvp.objects.filter(status="checked_in").count() == 1
    # Other pages keep the camera off.
    assert "camera=()" in client.get(f"/b/acme/events/{event.pk}/")["Permissions-Policy"]


def test_attendance_csv(brand, rep, marketer, login):
    event = factories.make_event(brand, capacity=1)
    ann = factories.make_customer(brand, "=HYPERLINK(evil)")
    bo = factories.make_customer(brand, "Bo")
    seat = event_rsvp(actor=CustomerActor(ann), event=event, customer=ann)
    event_rsvp(actor=CustomerActor(bo), event=event, customer=bo)
    client = login(rep)
    client.post(f"/b/acme/events/{event.pk}/check-in/", {"code": seat.checkin_code})
    # Emails and phones are for marketers and admins; the rep at the door sees names on the event page.
    assert client.get(f"/b/acme/events/{event.pk}/attendance.csv").status_code == 403
    assert "attendance.csv" not in client.get(f"/b/acme/events/{event.pk}/").content.decode()
    client = login(marketer)
    response = client.get(f"/b/acme/events/{event.pk}/attendance.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Name", "Email", "Phone", "Status"]
    assert rows[1][0] == "'=HYPERLINK(evil)" and rows[1][3] == "Checked in" and rows[1][7] == "Rita Rep"
    assert rows[2][0] == "Bo" and rows[2][3] == "On the waitlist" and rows[2][4] == "1"


@pytest.mark.parametrize("path", ["/", "/edit/", "/check-in/", "/attendance.csv"])
def test_other_brands_events_are_404_on_every_page(brand, other_brand, owner, login, path):
    foreign = factories.make_event(other_brand)
    client = login(owner)
    assert client.get(f"/b/acme/events/{foreign.pk}{path}").status_code == 404
    if path in ("/edit/", "/check-in/"):
        assert client.post(f"/b/acme/events/{foreign.pk}{path}", {"code": "ABCDE-FGHJK"}).status_code == 404
    assert client.get(f"/b/globex/events/{foreign.pk}{path}").status_code == 404  # not a member there


def test_the_nav_links_to_events(brand, rep, login):
    page = login(rep).get("/b/acme/events/").content.decode()
    assert 'href="/b/acme/events/" aria-current="page"' in page
