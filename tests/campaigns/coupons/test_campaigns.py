"""A campaign carrying a coupon card: the builder's picker, personal codes issued per chunk, `redeemed`."""

from campaigns.coupons.services import coupon_redeem
from campaigns.models import CouponClaim
from campaigns.results.selectors import campaign_stats
from chats.models import Message
from tests import factories


def test_a_personal_code_coupon_campaign_issues_each_recipient_their_code(brand, reachable, system):
    coupon = factories.make_coupon(brand, title="Yours only", personal_codes=True)
    fans = [reachable(f"Fan {n}") for n in range(3)]
    campaign = factories.make_campaign(brand, body="Hi {first_name}, this one is yours.", card_kind="coupon",
                                       card_payload={"title": "Yours only", "ref": coupon.pk})
    campaign = factories.send_campaign_now(campaign)
    claims = dict(CouponClaim.objects.filter(coupon=coupon).values_list("customer_id", "code"))
    assert set(claims) == {f.pk for f in fans} and len(set(claims.values())) == 3
    cards = Message.objects.filter(brand=brand, kind="coupon")
    assert cards.count() == 3 and all(m.payload["ref"] == coupon.pk for m in cards)
    coupon.refresh_from_db()
    assert coupon.claims_count == 3

    assert campaign_stats(brand, campaign=campaign)["redeemed"] == 0
    coupon_redeem(actor=system, code=claims[fans[0].pk], customer=fans[0])
    assert campaign_stats(brand, campaign=campaign)["redeemed"] == 1


def test_a_shared_code_campaign_leaves_claiming_to_the_tap(brand, reachable):
    coupon = factories.make_coupon(brand, code="TAPME")
    reachable("Fan")
    campaign = factories.make_campaign(brand, card_kind="coupon", card_payload={"title": "Tap", "ref": coupon.pk})
    factories.send_campaign_now(campaign)
    assert Message.objects.filter(brand=brand, kind="coupon").count() == 1
    assert not CouponClaim.objects.exists()


def test_stats_count_redemptions_of_coupons_made_for_the_campaign(brand, reachable, system, api):
    campaign = factories.make_campaign(brand)
    factories.make_coupon(brand, code="FORIT", campaign_id=campaign.pk)
    coupon_redeem(actor=system, code="FORIT", customer=reachable("Fan"))
    assert api.get(f"/api/v1/campaigns/{campaign.pk}/stats/").json()["redeemed"] == 1


def test_the_campaign_api_refuses_a_coupon_card_of_another_brand(api, brand, other_brand):
    foreign = factories.make_coupon(other_brand)
    response = api.post("/api/v1/campaigns/", {"name": "x", "body": "Hi", "audience": {"all": True},
                                               "card_kind": "coupon", "card_payload": {"title": "x",
                                                                                       "ref": foreign.pk}},
                        format="json")
    assert response.status_code == 404
