"""The coupon chat card: what a customer and the staff see on it, the one-tap claim, refusals."""

import datetime

import pytest

from campaigns.models import Coupon, CouponClaim
from chats.models import Message
from chats.services import Sender, conversation_for_customer, message_send
from privtraffic.tenancy.roles import Role
from tests import factories


@pytest.fixture
def mei(brand):
    user = factories.make_user(password=None)
    return factories.make_customer(brand, "Mei Lin", email=user.email, user=user)


def card(client, coupon, verb=""):
    path = f"/chat/cards/coupon/{coupon.pk}/" + (f"{verb}/" if verb else "")
    return client.post(path) if verb else client.get(path)


def test_a_customer_sees_the_offer_claims_it_with_one_tap_and_then_sees_their_code(client, brand, mei):
    until = datetime.datetime(2026, 12, 31, 15, 59, tzinfo=datetime.UTC)  # 23:59 in Shanghai
    coupon = factories.make_coupon(brand, title="Winter treat", code="WINTER20", kind="percent", value="20",
                                   currency="CNY", min_order="199", valid_until=until)
    client.force_login(mei.user)
    before = card(client, coupon).json()
    assert before["title"] == "Winter treat"
    assert before["lines"] == ["20% off", "Orders over 199.00 CNY", "Valid until 2026-12-31 23:59"]
    assert before["actions"] == [{"verb": "claim", "label": "Claim", "primary": True}]
    assert before["code"] is None and before["badge"] is None

    claimed = card(client, coupon, "claim")
    assert claimed.status_code == 200
    assert (claimed.json()["code"], claimed.json()["badge"], claimed.json()["actions"]) == ("WINTER20", "Claimed", [])
    assert card(client, coupon, "claim").json()["code"] == "WINTER20"  # a second tap changes nothing
    assert CouponClaim.objects.filter(coupon=coupon).count() == 1
    assert card(client, coupon).json()["badge"] == "Claimed"


def test_an_amount_coupon_with_personal_codes_shows_the_customers_own_code(client, brand, mei):
    coupon = factories.make_coupon(brand, title="30 off", personal_codes=True, kind="amount", value="30",
                                   currency="CNY")
    client.force_login(mei.user)
    assert card(client, coupon).json()["lines"] == ["30.00 CNY off"]
    code = card(client, coupon, "claim").json()["code"]
    assert code == CouponClaim.objects.get(coupon=coupon, customer=mei).code and len(code) == 12


def test_an_ended_coupon_offers_no_claim_and_a_forced_claim_is_a_clear_error(client, brand, mei):
    coupon = factories.make_coupon(brand)
    Coupon.objects.filter(pk=coupon.pk).update(active=False)
    client.force_login(mei.user)
    state = card(client, coupon).json()
    assert state["actions"] == [] and state["badge"] == "Ended"
    refused = card(client, coupon, "claim")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "coupon_expired"
    assert not CouponClaim.objects.exists()


def test_the_card_speaks_chinese_to_a_chinese_phone(client, brand, mei):
    coupon = factories.make_coupon(brand, kind="amount", value="30", currency="CNY")
    client.force_login(mei.user)
    state = client.get(f"/chat/cards/coupon/{coupon.pk}/", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()
    assert state["actions"][0]["label"] != "Claim" and "30.00 CNY" in state["lines"][0]


def test_another_brands_coupon_card_is_not_found(client, brand, other_brand, mei):
    coupon = factories.make_coupon(other_brand)
    client.force_login(mei.user)
    assert card(client, coupon).status_code == 404
    assert card(client, coupon, "claim").status_code == 404
    assert not CouponClaim.objects.exists()


def test_staff_see_counts_and_the_coupon_page_and_cannot_claim(client, brand, mei, store):
    coupon = factories.make_coupon(brand, title="Staff view")
    client.force_login(mei.user)
    card(client, coupon, "claim")
    rep = factories.make_member(brand, Role.REP, store=store)
    client.force_login(rep.user)
    base = f"/b/{brand.slug}/inbox/cards/coupon/{coupon.pk}/"
    state = client.get(base).json()
    assert "1 claimed · 0 redeemed" in state["lines"] and state["code"] is None
    assert state["links"] == []  # the coupon page is the marketers': no link a rep could not open
    refused = client.post(base + "claim/")
    assert refused.status_code == 403 and CouponClaim.objects.count() == 1
    marketer = factories.make_member(brand, Role.MARKETER)
    client.force_login(marketer.user)
    assert client.get(base).json()["links"] == [{"label": "Coupon page",
                                                  "url": f"/b/{brand.slug}/coupons/{coupon.pk}/"}]


def test_a_coupon_card_message_carries_title_and_ref_of_the_brands_coupon(brand, rep):
    customer = factories.make_customer(brand, assigned_rep=rep, consent_chat=True, consent_promotions=True)
    conversation = conversation_for_customer(customer=customer)
    coupon = factories.make_coupon(brand)
    message = message_send(conversation=conversation, sender=Sender.of_staff(rep), body="", kind="coupon",
                           payload={"title": "For you", "ref": coupon.pk})
    assert message.payload["ref"] == coupon.pk
    foreign = factories.make_coupon(factories.make_brand("elsewhere"))
    with pytest.raises(Exception) as info:
        message_send(conversation=conversation, sender=Sender.of_staff(rep), body="", kind="coupon",
                     payload={"title": "Not yours", "ref": foreign.pk})
    assert getattr(info.value, "status", None) == 404
    assert Message.objects.filter(conversation=conversation, kind="coupon").count() == 1


def test_a_rep_sends_only_a_live_coupon_of_their_brand_from_the_inbox(client, brand, store):
    rep = factories.make_member(brand, Role.REP, store=store)
    customer = factories.make_customer(brand, assigned_rep=rep, consent_chat=True, consent_promotions=True)
    conversation = conversation_for_customer(customer=customer)
    live = factories.make_coupon(brand, title="Live one")
    ended = factories.make_coupon(brand, title="Ended one")
    Coupon.objects.filter(pk=ended.pk).update(active=False)
    foreign = factories.make_coupon(factories.make_brand("elsewhere"), title="Not ours")
    client.force_login(rep.user)
    url = f"/b/{brand.slug}/inbox/{conversation.pk}/"
    page = client.get(url).content.decode()
    assert "Live one" in page and "Ended one" not in page and "Not ours" not in page
    for coupon in (ended, foreign):
        assert client.post(url, {"action": "coupon", "coupon_ref": str(coupon.pk)}).status_code == 404
    assert client.post(url, {"action": "coupon", "coupon_ref": "١"}).status_code == 400
    assert not Message.objects.filter(conversation=conversation, kind="coupon").exists()
    assert client.post(url, {"action": "coupon", "coupon_ref": str(live.pk)}).status_code == 302
    assert Message.objects.get(conversation=conversation, kind="coupon").payload["title"] == "Live one"
