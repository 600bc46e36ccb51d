"""/api/v1/coupons/ (CONTRACT.md: coupon) and coupons/redeem/: fields, errors, other brands, hostile input."""

import datetime

import pytest

from campaigns.models import Coupon, CouponRedemption
from tests import factories
from tests.helpers import api_error

CONTRACT_FIELDS = {"id", "code", "kind", "value", "currency", "valid_from", "valid_until", "max_redemptions",
                   "per_customer_limit", "campaign", "title", "personal_codes", "min_order", "claims_count",
                   "redemptions_count", "active"}


def test_create_read_list_change_and_deactivate(api, brand):
    created = api.post("/api/v1/coupons/", {"title": "30 off", "code": "SAVE30", "kind": "amount", "value": "30",
                                            "currency": "CNY", "min_order": "199.00", "max_redemptions": 100,
                                            "valid_until": "2030-01-01T00:00"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) >= CONTRACT_FIELDS
    assert (body["code"], body["value"], body["min_order"], body["per_customer_limit"], body["active"]) == (
        "SAVE30", "30.00", "199.00", 1, True)
    assert body["valid_until"] == "2029-12-31T16:00:00Z"  # read on the brand's wall clock (Asia/Shanghai)
    coupon_id = body["id"]
    assert api.get(f"/api/v1/coupons/{coupon_id}/").json()["title"] == "30 off"
    listed = api.get("/api/v1/coupons/").json()
    assert [c["id"] for c in listed["results"]] == [coupon_id] and "next" in listed
    patched = api.patch(f"/api/v1/coupons/{coupon_id}/", {"max_redemptions": None}, format="json")
    assert patched.status_code == 200 and patched.json()["max_redemptions"] is None
    ended = api.delete(f"/api/v1/coupons/{coupon_id}/")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert api.get("/api/v1/coupons/?status=active").json()["results"] == []
    assert [c["id"] for c in api.get("/api/v1/coupons/?status=ended").json()["results"]] == [coupon_id]


def test_the_list_costs_the_same_for_many_coupons(api, brand, django_assert_max_num_queries):
    for _n in range(25):
        factories.make_coupon(brand)
    with django_assert_max_num_queries(4):
        assert len(api.get("/api/v1/coupons/").json()["results"]) == 25


@pytest.mark.parametrize("body,field", [
    ({"title": "x", "code": "AB", "kind": "percent", "value": "10"}, "code"),
    ({"title": "x", "code": "GOOD1", "kind": "percent", "value": "150"}, "value"),
    ({"title": "x", "code": "GOOD1", "kind": "amount", "value": "30"}, "currency"),
    ({"title": "x", "code": "GOOD1", "kind": "percent", "value": 10}, "value"),  # a number, not a decimal string
    ({"title": "x", "code": "GOOD1", "kind": "percent", "value": "1e3"}, "value"),
    ({"title": "x", "code": "GOOD1", "kind": "percent", "value": "١٠"}, "value"),  # Arabic-Indic digits
    ({"title": "x", "code": "GOOD1", "kind": "percent", "value": "10", "max_redemptions": 2**64}, "max_redemptions"),
    ({"title": "x", "code": "GOOD1", "kind": "percent", "value": "10", "max_redemptions": "5"}, "max_redemptions"),
    ({"title": "x", "code": "GOOD1", "kind": "percent", "value": "10", "personal_codes": "yes"}, "personal_codes"),
    ({"title": "x\u0000", "code": "GOOD1", "kind": "percent", "value": "10"}, None),
    ({"title": ["x"], "code": "GOOD1", "kind": "percent", "value": "10"}, "title"),
])
def test_hostile_or_wrong_coupons_are_400_and_write_nothing(api, brand, body, field):
    response = api.post("/api/v1/coupons/", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    if field:
        assert any(key == field or key.startswith(field) for key in error["fields"]), error
    assert not Coupon.objects.exists()


def test_another_brands_coupon_is_404_on_every_method(api, other_brand):
    coupon = factories.make_coupon(other_brand)
    for method in ("get", "patch", "delete"):
        api_error(getattr(api, method)(f"/api/v1/coupons/{coupon.pk}/", {}, format="json"), 404, "not_found")
    assert Coupon.objects.get(pk=coupon.pk).active
    assert api.post("/api/v1/coupons/", {"title": "x", "code": "CMP1", "kind": "percent", "value": "5",
                                         "campaign": factories.make_campaign(other_brand).pk},
                    format="json").status_code == 404


def test_redeem_answers_201_with_the_redemption(api, brand):
    coupon = factories.make_coupon(brand, code="TILL20", title="Till 20")
    customer = factories.make_customer(brand)
    order = factories.make_order(brand, customer, total="80.00")
    response = api.post("/api/v1/coupons/redeem/", {"code": "TILL20", "customer": customer.pk, "order": order.pk},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("coupon", "code", "customer", "order", "kind", "value", "title")} == {
        "coupon": coupon.pk, "code": "TILL20", "customer": customer.pk, "order": order.pk, "kind": "percent",
        "value": "20.00", "title": "Till 20"}
    assert api.get(f"/api/v1/coupons/{coupon.pk}/").json()["redemptions_count"] == 1


def test_every_redeem_error_through_the_api(api, brand):
    customer = factories.make_customer(brand)
    coupon = factories.make_coupon(brand, code="ONE1", max_redemptions=1, kind="amount", value="30", currency="CNY",
                                   min_order="199")
    small = factories.make_order(brand, customer, total="100.00")
    big = factories.make_order(brand, customer, total="300.00")

    def redeem(code="ONE1", who=customer, order=big):
        return api.post("/api/v1/coupons/redeem/", {"code": code, "customer": who.pk, "order": order.pk},
                        format="json")

    api_error(redeem(code="MISSING"), 404, "coupon_not_found")
    api_error(redeem(order=small), 400, "minimum_not_met")
    assert redeem().status_code == 201
    api_error(redeem(), 409, "already_redeemed")
    other = factories.make_customer(brand)
    api_error(redeem(who=other, order=factories.make_order(brand, other, total="500.00")), 409, "coupon_exhausted")
    Coupon.objects.filter(pk=coupon.pk).update(active=False)
    api_error(redeem(), 409, "coupon_expired")
    factories.make_coupon(brand, code="LATER1", valid_from=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC))
    api_error(redeem(code="LATER1"), 409, "coupon_not_yet_valid")
    assert CouponRedemption.objects.count() == 1


@pytest.mark.parametrize("body", [
    {"code": "X\u0000Y", "customer": 1},
    {"code": "OK12", "customer": "1"},
    {"code": "OK12", "customer": 2**64},
    {"code": "OK12", "customer": True},
    {"code": ["OK12"], "customer": 1},
    {"code": "OK12", "customer": 1, "order": "²"},
    {"customer": 1},
])
def test_hostile_redeem_bodies_are_400(api, brand, body):
    factories.make_coupon(brand, code="OK12")
    assert api.post("/api/v1/coupons/redeem/", body, format="json").status_code == 400
    assert not CouponRedemption.objects.exists()


def test_redeem_refuses_another_brands_customer_order_and_code(api, brand, other_brand):
    mine = factories.make_coupon(brand, code="MINE1")
    theirs = factories.make_coupon(other_brand, code="THEIRS1")
    customer = factories.make_customer(brand)
    stranger = factories.make_customer(other_brand)
    api_error(api.post("/api/v1/coupons/redeem/", {"code": mine.code, "customer": stranger.pk}, format="json"),
              404, "not_found")
    api_error(api.post("/api/v1/coupons/redeem/", {"code": mine.code, "customer": customer.pk,
                                                  "order": factories.make_order(other_brand, stranger).pk},
                       format="json"), 404, "not_found")
    api_error(api.post("/api/v1/coupons/redeem/", {"code": theirs.code, "customer": customer.pk}, format="json"),
              404, "coupon_not_found")
    assert not CouponRedemption.objects.exists()
