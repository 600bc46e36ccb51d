"""A campaign of kind event carries the event card: campaigns' authoring accepts {"title", "ref"} naming an event
of the brand, the fan-out delivers it, and the recipient RSVPs from it."""

import pytest

from campaigns.events.models import Rsvp
from chats.models import Message, MessageKind
from tests import factories


def test_an_event_campaign_delivers_the_card_and_recipients_rsvp_from_it(brand, client):
    event = factories.make_event(brand, title="Saturday run club")
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Mei", email=user.email, user=user, consent_chat=True,
                                       consent_promotions=True)
    campaign = factories.make_campaign(brand, name="Run club invite", kind="event", body="Join us, {first_name}!",
                                       card_kind="event", card_payload={"title": "Saturday run club", "ref": event.pk})
    assert factories.send_campaign_now(campaign).status == "sent"
    message = Message.objects.get(conversation__customer=customer)
    assert message.kind == MessageKind.EVENT and message.payload["ref"] == event.pk
    client.force_login(user)
    assert client.post(f"/chat/cards/event/{event.pk}/rsvp/").json()["badge"] == "Going"
    assert Rsvp.objects.get(event=event, customer=customer).status == "going"


@pytest.mark.parametrize("payload,field", [
    ({"title": "Run", "ref": "1"}, "payload.ref"),
    ({"title": "", "ref": 1}, "payload.title"),
])
def test_an_event_card_payload_is_checked(brand, payload, field):
    from privtraffic.tenancy.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        factories.make_campaign(brand, kind="event", card_kind="event", card_payload=payload)
    assert field in refused.value.fields


def test_an_event_card_must_name_an_event_of_the_brand(brand, other_brand):
    from privtraffic.tenancy.errors import ApplicationError

    foreign = factories.make_event(other_brand)
    with pytest.raises(ApplicationError) as refused:
        factories.make_campaign(brand, kind="event", card_kind="event", card_payload={"title": "X", "ref": foreign.pk})
    assert refused.value.status == 404


def test_the_campaign_builder_offers_upcoming_events_for_the_card(brand, other_brand, marketer, login):
    from campaigns.models import Campaign
    from tests.campaigns.authoring.test_pages import builder_post

    event = factories.make_event(brand, title="Saturday run club")
    factories.make_event(brand, title="Last year's run", starts_in_hours=-100)
    foreign = factories.make_event(other_brand, title="Their yoga")
    client = login(marketer)
    page = client.get("/b/acme/campaigns/new/").content.decode()
    assert "Saturday run club" in page and "Last year's run" not in page and "Their yoga" not in page
    missing = client.post("/b/acme/campaigns/new/", builder_post(kind="event", card_kind="event", event=""))
    assert missing.status_code == 400 and missing.context["form"].errors["event"] == ["Choose an event."]
    theirs = client.post("/b/acme/campaigns/new/", builder_post(kind="event", card_kind="event",
                                                                event=str(foreign.pk)))
    assert theirs.status_code == 400 and not Campaign.objects.exists()
    made = client.post("/b/acme/campaigns/new/", builder_post(kind="event", card_kind="event", event=str(event.pk)))
    campaign = Campaign.objects.get(brand=brand)
    assert made.status_code == 302 and campaign.card_payload == {"title": "Saturday run club", "ref": event.pk}
    edit = client.get(f"/b/acme/campaigns/{campaign.pk}/edit/")
    assert edit.context["form"].initial["event"] == str(event.pk)
