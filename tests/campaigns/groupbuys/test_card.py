"""The group_buy chat card: what the customer and the staff see, the Join button, and the live refresh."""

import datetime

from django.utils import timezone

from campaigns.groupbuys.services import group_buy_join, groupbuys_dispatch
from privtraffic.tenancy.actors import CustomerActor
from tests import factories


def _customer_client(client, brand, name="Mei"):
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, name, email=user.email, user=user, consent_chat=True)
    client.force_login(user)
    return customer


def test_a_customer_sees_the_price_the_next_tier_the_progress_and_a_join_button(client, brand, deal):
    brand.time_zone = "Asia/Shanghai"
    brand.save(update_fields=["time_zone"])
    deal.deadline = datetime.datetime(2031, 5, 1, 12, 0, tzinfo=datetime.UTC)
    deal.save(update_fields=["deadline"])
    _customer_client(client, brand)
    body = client.get(f"/chat/cards/group_buy/{deal.pk}/").json()
    assert body["title"] == "Serum team buy"
    assert body["image_url"] == "https://img.example.test/serum.png"
    assert body["lines"][1:] == ["Price now: 199.00 CNY", "2 more to unlock 179.00 CNY",
                                 "Ends 2031-05-01 20:00 (Asia/Shanghai)"]
    assert body["progress"] == {"value": 0, "max": 2, "label": "0 joined of 2"}
    assert body["actions"] == [{"verb": "join", "label": "Join", "primary": True}]
    assert body["badge"] is None


def test_joining_from_the_card_shows_joined_and_the_referral_link(client, brand, deal):
    customer = _customer_client(client, brand)
    group_buy_join(actor=CustomerActor(factories.make_customer(brand, "Ann")), group_buy_id=deal.pk)
    response = client.post(f"/chat/cards/group_buy/{deal.pk}/join/")
    assert response.status_code == 200
    body = response.json()
    participant = deal.participants.get(customer=customer)
    assert body["badge"] == "Joined" and body["actions"] == []
    assert body["lines"][1:3] == ["Price now: 179.00 CNY", "3 more to unlock 159.00 CNY"]
    assert body["progress"]["value"] == 2 and body["progress"]["max"] == 5
    assert body["links"] == [{"label": "Your invite link", "url": f"/g/{participant.referral_code}/"}]
    assert body["lines"][-1].endswith(f"/g/{participant.referral_code}/")
    again = client.post(f"/chat/cards/group_buy/{deal.pk}/join/")
    assert again.status_code == 200
    deal.refresh_from_db()
    assert deal.participant_count == 2


def test_a_closed_deal_refuses_the_join_as_a_json_error(client, brand):
    deal = factories.make_group_buy(brand, deadline=timezone.now() - datetime.timedelta(minutes=1))
    _customer_client(client, brand)
    refused = client.post(f"/chat/cards/group_buy/{deal.pk}/join/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "group_buy_closed"
    assert not deal.participants.exists()


def test_after_the_deadline_a_participant_sees_their_code(client, brand, deal):
    customer = _customer_client(client, brand)
    group_buy_join(actor=CustomerActor(customer), group_buy_id=deal.pk)
    group_buy_join(actor=CustomerActor(factories.make_customer(brand)), group_buy_id=deal.pk)
    groupbuys_dispatch(now=deal.deadline + datetime.timedelta(minutes=1))
    body = client.get(f"/chat/cards/group_buy/{deal.pk}/").json()
    code = deal.participants.get(customer=customer)
    code.refresh_from_db()
    assert body["badge"] == "Deal reached" and body["code"] == code.issued_code and body["actions"] == []
    assert "Final price 179.00 CNY with 2 people." in body["lines"]


def test_staff_see_the_card_without_a_button_and_cannot_join(login, brand, deal, rep):
    client = login(rep)
    body = client.get(f"/b/{brand.slug}/inbox/cards/group_buy/{deal.pk}/").json()
    assert body["actions"] == [] and body["progress"]["value"] == 0
    refused = client.post(f"/b/{brand.slug}/inbox/cards/group_buy/{deal.pk}/join/")
    assert refused.status_code == 403
    assert not deal.participants.exists()


def test_another_brands_group_buy_card_is_not_found(client, brand, other_brand):
    theirs = factories.make_group_buy(other_brand)
    _customer_client(client, brand)
    assert client.get(f"/chat/cards/group_buy/{theirs.pk}/").status_code == 404
    assert client.post(f"/chat/cards/group_buy/{theirs.pk}/join/").status_code == 404
    assert not theirs.participants.exists()


def test_a_card_naming_another_brands_group_buy_cannot_be_sent(brand, other_brand, rep):
    import pytest

    from chats.services import Sender, conversation_for_customer, message_send
    from privtraffic.tenancy.errors import ApplicationError

    theirs = factories.make_group_buy(other_brand)
    conversation = conversation_for_customer(customer=factories.make_customer(brand, assigned_rep=rep))
    with pytest.raises(ApplicationError) as refused:
        message_send(conversation=conversation, sender=Sender.of_staff(rep), body="", kind="group_buy",
                     payload={"title": "x", "ref": theirs.pk})
    assert refused.value.status == 404
