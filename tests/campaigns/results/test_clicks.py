"""The tracked redirect: a campaign card's link counts the click on the recipient's delivery, then goes on."""

from campaigns.models import Delivery
from campaigns.results.clicks import click_token
from chats.models import Message
from tests import factories

from .conftest import PRODUCT


def _card_link(customer):
    message = Message.objects.get(conversation__customer=customer)
    return message.payload


def test_each_recipient_gets_their_own_tracked_link_that_counts_and_redirects(client, brand, reachable):
    mei, bo = reachable("Mei"), reachable("Bo")
    campaign = factories.send_campaign_now(factories.make_campaign(brand, card_kind="product", card_payload=PRODUCT))
    mei_card, bo_card = _card_link(mei), _card_link(bo)
    assert mei_card["url"] == PRODUCT["url"]  # the card's own link stays, the tracked one is beside it
    assert mei_card["click_url"].startswith("/c/") and mei_card["click_url"] != bo_card["click_url"]

    response = client.get(mei_card["click_url"])
    assert response.status_code == 302 and response["Location"] == PRODUCT["url"]
    assert response["Referrer-Policy"] == "no-referrer"
    first = Delivery.objects.get(campaign=campaign, customer=mei)
    assert first.clicks == 1 and first.clicked_at is not None
    client.get(mei_card["click_url"])
    again = Delivery.objects.get(campaign=campaign, customer=mei)
    assert again.clicks == 2 and again.clicked_at == first.clicked_at
    assert Delivery.objects.get(campaign=campaign, customer=bo).clicks == 0

    from campaigns.results.selectors import campaign_stats
    stats = campaign_stats(brand, campaign=campaign)
    assert (stats["clicks"], stats["clicked"]) == (2, 1)


def test_a_survey_card_is_tracked_and_goes_to_the_survey_page(client, brand, reachable):
    from crm.surveys.services import question_add, survey_activate, survey_create

    survey = survey_create(brand=brand, actor=factories.system(brand), title="Skin")
    question_add(survey=survey, actor=factories.system(brand), kind="single", text="Skin?", choices=["Oily", "Dry"])
    survey_activate(survey=survey, actor=factories.system(brand))
    mei = reachable("Mei")
    payload = {"survey_id": survey.pk, "title": "Skin", "url": f"/s/{survey.pk}/"}
    factories.send_campaign_now(factories.make_campaign(brand, card_kind="survey", card_payload=payload))
    response = client.get(_card_link(mei)["click_url"])
    assert response.status_code == 302 and response["Location"] == f"/s/{survey.pk}/"


def test_text_and_coupon_messages_carry_no_tracked_link(brand, reachable):
    mei = reachable("Mei")
    factories.send_campaign_now(factories.make_campaign(brand))
    assert "click_url" not in _card_link(mei)


def test_forged_and_foreign_links_are_404_and_count_nothing(client, brand, other_brand, reachable):
    mei = reachable("Mei")
    campaign = factories.send_campaign_now(factories.make_campaign(brand, card_kind="product", card_payload=PRODUCT))
    delivery = Delivery.objects.get(campaign=campaign, customer=mei)
    token = click_token(delivery)
    for bad in (token[:-2] + "xx", "garbage", token.replace(":", "."),
                click_token(Delivery(brand_id=other_brand.pk, pk=delivery.pk)),
                click_token(Delivery(brand_id=brand.pk, pk=2**70))):
        assert client.get(f"/c/{bad}/").status_code == 404
    assert client.post(f"/c/{token}/").status_code == 405
    delivery.refresh_from_db()
    assert delivery.clicks == 0


def test_a_staff_message_cannot_smuggle_a_tracked_link(brand, rep, reachable):
    from chats.services import Sender, conversation_for_customer, message_send

    mei = reachable("Mei", assigned_rep=rep)
    message = message_send(conversation=conversation_for_customer(customer=mei), sender=Sender.of_staff(rep),
                           body="", kind="product", payload={**PRODUCT, "click_url": "javascript:alert(1)"})
    assert "click_url" not in message.payload
