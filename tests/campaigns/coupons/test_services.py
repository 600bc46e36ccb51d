"""Coupons: what a marketer may create, a customer's one-tap claim, and every way a redemption is refused."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.coupons.issuing import CODE_ALPHABET, CODE_LENGTH, coupon_claims_issue
from campaigns.coupons.services import (
    coupon_claim,
    coupon_create,
    coupon_deactivate,
    coupon_redeem,
    coupon_update,
)
from campaigns.models import Coupon, CouponClaim, CouponRedemption
from crm.profile.timeline import customer_timeline
from privtraffic.events.models import Event
from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories

NOW = timezone.now


def refused(fn, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        fn(**kwargs)
    return info.value


# --- creating and editing -------------------------------------------------------------------------------


def test_a_shared_percent_coupon_and_a_personal_amount_coupon(brand, system):
    shared = coupon_create(brand=brand, actor=system, title="20% off", code="SPRING-20", kind="percent",
                           value=Decimal("20"), max_redemptions=100)
    assert (shared.code, shared.kind, shared.value, shared.per_customer_limit) == ("SPRING-20", "percent",
                                                                                   Decimal("20.00"), 1)
    personal = coupon_create(brand=brand, actor=system, title="30 off", personal_codes=True, kind="amount",
                             value="30", currency="cny", min_order="199")
    assert (personal.code, personal.currency, personal.min_order) == ("", "CNY", Decimal("199.00"))


@pytest.mark.parametrize("fields,field", [
    ({"code": "AB"}, "code"),  # too short
    ({"code": "A" * 41}, "code"),
    ({"code": "SPRING 20"}, "code"),  # a space
    ({"code": "ÉTÉ20"}, "code"),  # not ASCII
    ({"code": ""}, "code"),  # neither shared nor personal
    ({"code": "X\x00Y"}, "code"),
    ({"personal_codes": True, "code": "ALSO"}, "code"),
    ({"value": "0"}, "value"),
    ({"value": "101"}, "value"),  # percent over 100
    ({"value": "0.5"}, "value"),  # percent under 1
    ({"value": "12.345"}, "value"),
    ({"value": "abc"}, "value"),
    ({"value": True}, "value"),
    ({"kind": "amount", "value": "30"}, "currency"),  # an amount needs its currency
    ({"kind": "amount", "value": "-3", "currency": "CNY"}, "value"),
    ({"currency": "RMBX"}, "currency"),
    ({"min_order": "199"}, "currency"),  # a minimum needs its currency
    ({"min_order": "-1", "currency": "CNY"}, "min_order"),
    ({"max_redemptions": 0}, "max_redemptions"),
    ({"max_redemptions": 2**31}, "max_redemptions"),
    ({"per_customer_limit": 0}, "per_customer_limit"),
    ({"kind": "bogus"}, "kind"),
    ({"valid_from": datetime.datetime(2027, 1, 1)}, "valid_from"),  # naive
])
def test_bad_coupons_are_refused_field_by_field_and_nothing_is_written(brand, system, fields, field):
    values = {"code": "GOOD1", "kind": "percent", "value": "20", **fields}
    error = refused(coupon_create, brand=brand, actor=system, title="Deal", **values)
    assert error.status == 400 and field in error.fields
    assert not Coupon.objects.filter(brand=brand).exists()


def test_the_window_must_end_after_it_starts(brand, system):
    start = NOW()
    error = refused(coupon_create, brand=brand, actor=system, title="Deal", code="WIN1", kind="percent", value=10,
                    valid_from=start, valid_until=start - datetime.timedelta(hours=1))
    assert "valid_until" in error.fields


def test_a_shared_code_is_unique_in_the_brand_whatever_its_case(brand, other_brand, system):
    factories.make_coupon(brand, code="SPRING20")
    error = refused(coupon_create, brand=brand, actor=system, title="Again", code="spring20", kind="percent", value=5)
    assert error.code == "duplicate" and "code" in error.fields
    assert factories.make_coupon(other_brand, code="SPRING20").code == "SPRING20"  # another brand's is its own


def test_who_may_create_coupons(brand, rep, marketer):
    assert coupon_create(brand=brand, actor=marketer, title="Ok", code="MKT1", kind="percent", value=5)
    assert refused(coupon_create, brand=brand, actor=rep, title="No", code="REP1", kind="percent",
                   value=5).status == 403
    customer = factories.make_customer(brand)
    with pytest.raises(ApplicationError):
        coupon_create(brand=brand, actor=CustomerActor(customer), title="No", code="CUS1", kind="percent", value=5)


def test_an_edit_is_checked_whole_and_the_code_is_fixed_once_held(brand, system):
    coupon = factories.make_coupon(brand, code="FIX1", max_redemptions=10)
    assert coupon_update(coupon=coupon, actor=system, title="New title", value="25").value == Decimal("25.00")
    assert "currency" in refused(coupon_update, coupon=coupon, actor=system, kind="amount").fields
    coupon_claim(actor=CustomerActor(factories.make_customer(brand)), coupon=coupon)
    assert refused(coupon_update, coupon=coupon, actor=system, code="FIX2").code == "coupon_in_use"
    coupon.refresh_from_db()
    assert (coupon.code, coupon.title) == ("FIX1", "New title")


def test_the_total_limit_cannot_drop_below_what_was_redeemed(brand, system):
    coupon = factories.make_coupon(brand, max_redemptions=5)
    for _n in range(2):
        coupon_redeem(actor=system, code=coupon.code, customer=factories.make_customer(brand))
    coupon.refresh_from_db()
    assert "max_redemptions" in refused(coupon_update, coupon=coupon, actor=system, max_redemptions=1).fields
    assert coupon_update(coupon=coupon, actor=system, max_redemptions=2).max_redemptions == 2


# --- claiming -------------------------------------------------------------------------------------------


def test_one_tap_claims_once_and_records_one_event(brand):
    coupon = factories.make_coupon(brand, code="TAP1")
    customer = factories.make_customer(brand)
    first = coupon_claim(actor=CustomerActor(customer), coupon=coupon)
    again = coupon_claim(actor=CustomerActor(customer), coupon=coupon)
    assert first.pk == again.pk and first.code == "TAP1" and not first.personal
    coupon.refresh_from_db()
    assert coupon.claims_count == 1
    events = Event.objects.filter(brand=brand, type="coupon.claimed")
    assert [e.payload for e in events] == [{"coupon": coupon.pk, "code": "TAP1", "customer": customer.pk,
                                            "claim": first.pk}]


def test_a_personal_code_is_drawn_for_the_claimer_unguessable_and_unique(brand):
    coupon = factories.make_coupon(brand, personal_codes=True)
    codes = {coupon_claim(actor=CustomerActor(factories.make_customer(brand)), coupon=coupon).code
             for _n in range(5)}
    assert len(codes) == 5
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)


@pytest.mark.parametrize("change,code", [
    ({"active": False}, "coupon_expired"),
    ({"valid_until": "past"}, "coupon_expired"),
    ({"max_redemptions": 1, "redemptions_count": 1}, "coupon_exhausted"),
])
def test_an_ended_or_used_up_coupon_cannot_be_claimed(brand, change, code):
    coupon = factories.make_coupon(brand)
    if change.get("valid_until") == "past":
        change = {"valid_until": NOW() - datetime.timedelta(minutes=1)}
    Coupon.objects.filter(pk=coupon.pk).update(**change)
    customer = factories.make_customer(brand)
    error = refused(coupon_claim, actor=CustomerActor(customer), coupon=coupon)
    assert (error.code, error.status) == (code, 409) and error.message
    assert not CouponClaim.objects.filter(coupon=coupon).exists()


def test_a_customer_cannot_claim_another_brands_coupon(brand, other_brand):
    coupon = factories.make_coupon(other_brand)
    error = refused(coupon_claim, actor=CustomerActor(factories.make_customer(brand)), coupon=coupon)
    assert error.status == 404 and not CouponClaim.objects.exists()


def test_staff_cannot_claim_for_themselves(brand, rep):
    with pytest.raises(TypeError):
        coupon_claim(actor=rep, coupon=factories.make_coupon(brand))


# --- redeeming ------------------------------------------------------------------------------------------


def test_a_redemption_is_recorded_counted_announced_and_on_the_timeline(brand, system):
    coupon = factories.make_coupon(brand, title="Spring 20", code="SPRING20")
    customer = factories.make_customer(brand, "Mei Lin")
    order = factories.make_order(brand, customer, total="250.00")
    redemption = coupon_redeem(actor=system, code="spring20", customer=customer, order=order)
    assert (redemption.coupon_id, redemption.customer_id, redemption.order_id, redemption.code) == (
        coupon.pk, customer.pk, order.pk, "SPRING20")
    coupon.refresh_from_db()
    claim = CouponClaim.objects.get(coupon=coupon, customer=customer)  # using a shared code means holding it
    assert (coupon.redemptions_count, coupon.claims_count, claim.redemptions_count) == (1, 1, 1)
    event = Event.objects.get(brand=brand, type="coupon.redeemed")
    assert {k: event.payload[k] for k in ("id", "coupon", "code", "customer", "order")} == {
        "id": redemption.pk, "coupon": coupon.pk, "code": "SPRING20", "customer": customer.pk, "order": order.pk}
    titles = [e.title for e in customer_timeline(brand=brand, customer=customer)]
    assert "Redeemed the coupon Spring 20" in titles


def test_a_personal_code_redeems_for_its_holder_only(brand, system):
    coupon = factories.make_coupon(brand, personal_codes=True)
    mei, ann = factories.make_customer(brand), factories.make_customer(brand)
    codes = coupon_claims_issue(actor=system, coupon=coupon, customer_ids=[mei.pk])
    error = refused(coupon_redeem, actor=system, code=codes[mei.pk], customer=ann)
    assert (error.code, error.status) == ("coupon_not_found", 404)
    assert coupon_redeem(actor=system, code=codes[mei.pk].lower(), customer=mei).code == codes[mei.pk]


def _errors_world(brand):
    customer = factories.make_customer(brand)
    return customer, factories.make_order(brand, customer, total="150.00", currency="CNY")


@pytest.mark.parametrize("setup,code,status", [
    ("missing", "coupon_not_found", 404),
    ("garbage", "coupon_not_found", 404),
    ("expired", "coupon_expired", 409),
    ("deactivated", "coupon_expired", 409),
    ("not_yet", "coupon_not_yet_valid", 409),
    ("exhausted", "coupon_exhausted", 409),
    ("twice", "already_redeemed", 409),
    ("minimum", "minimum_not_met", 400),
    ("minimum_no_order", "minimum_not_met", 400),
    ("minimum_currency", "minimum_not_met", 400),
])
def test_every_redeem_error_is_clear_and_changes_nothing(brand, system, setup, code, status):
    customer, order = _errors_world(brand)
    coupon = factories.make_coupon(brand, code="ERR1", max_redemptions=3)
    redeem_code, use_order = "ERR1", order
    if setup == "missing":
        redeem_code = "NOPE1"
    elif setup == "garbage":
        redeem_code = "no such code!"
    elif setup == "expired":
        Coupon.objects.filter(pk=coupon.pk).update(valid_until=NOW() - datetime.timedelta(seconds=1))
    elif setup == "deactivated":
        coupon_deactivate(coupon=coupon, actor=system)
    elif setup == "not_yet":
        Coupon.objects.filter(pk=coupon.pk).update(valid_from=NOW() + datetime.timedelta(days=1))
    elif setup == "exhausted":
        Coupon.objects.filter(pk=coupon.pk).update(max_redemptions=1)
        coupon_redeem(actor=system, code="ERR1", customer=factories.make_customer(brand))
    elif setup == "twice":
        coupon_redeem(actor=system, code="ERR1", customer=customer)
    elif setup.startswith("minimum"):
        Coupon.objects.filter(pk=coupon.pk).update(min_order=Decimal("199.00"), currency="CNY")
        if setup == "minimum_no_order":
            use_order = None
        elif setup == "minimum_currency":
            use_order = factories.make_order(brand, customer, total="500.00", currency="USD")
    coupon.refresh_from_db()
    before = (coupon.redemptions_count, CouponRedemption.objects.count(),
              Event.objects.filter(type="coupon.redeemed").count(),
              list(CouponClaim.objects.filter(customer=customer).values_list("redemptions_count", flat=True)))
    error = refused(coupon_redeem, actor=system, code=redeem_code, customer=customer, order=use_order)
    assert (error.code, error.status) == (code, status) and error.message
    coupon.refresh_from_db()
    assert before == (coupon.redemptions_count, CouponRedemption.objects.count(),
                      Event.objects.filter(type="coupon.redeemed").count(),
                      list(CouponClaim.objects.filter(customer=customer).values_list("redemptions_count", flat=True)))


def test_the_minimum_is_met_by_an_order_of_at_least_it_in_its_currency(brand, system):
    coupon = factories.make_coupon(brand, kind="amount", value="30", currency="CNY", min_order="199")
    customer = factories.make_customer(brand)
    order = factories.make_order(brand, customer, total="199.00", currency="CNY")
    assert coupon_redeem(actor=system, code=coupon.code, customer=customer, order=order).order_id == order.pk


def test_a_per_customer_limit_above_one(brand, system):
    coupon = factories.make_coupon(brand, per_customer_limit=2)
    customer = factories.make_customer(brand)
    coupon_redeem(actor=system, code=coupon.code, customer=customer)
    coupon_redeem(actor=system, code=coupon.code, customer=customer)
    assert refused(coupon_redeem, actor=system, code=coupon.code, customer=customer).code == "already_redeemed"


def test_an_order_must_be_the_customers_and_ids_of_another_brand_are_not_found(brand, other_brand, system):
    coupon = factories.make_coupon(brand)
    mei, ann = factories.make_customer(brand), factories.make_customer(brand)
    assert "order" in refused(coupon_redeem, actor=system, code=coupon.code, customer=mei,
                              order=factories.make_order(brand, ann)).fields
    stranger = factories.make_customer(other_brand)
    assert refused(coupon_redeem, actor=system, code=coupon.code, customer=stranger).status == 404
    assert refused(coupon_redeem, actor=factories.system(other_brand), code=coupon.code,
                   customer=stranger).code == "coupon_not_found"  # another brand's code is not theirs to use
    assert not CouponRedemption.objects.exists()


def test_reps_at_the_till_may_redeem_customers_may_not(brand, store):
    rep = factories.make_member(brand, Role.REP, store=store)
    coupon = factories.make_coupon(brand)
    customer = factories.make_customer(brand)
    assert coupon_redeem(actor=rep, code=coupon.code, customer=customer)
    other = factories.make_customer(brand)
    assert refused(coupon_redeem, actor=CustomerActor(other), code=coupon.code, customer=other).status == 403
