"""Exact coupon limits under concurrency, on PostgreSQL with real threads and connections."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from campaigns.coupons.services import coupon_redeem
from campaigns.models import Coupon, CouponClaim, CouponRedemption
from crm.models import Customer
from privtraffic.events.models import Event
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 40


def _run_concurrently(fn, items):
    def call(item):
        try:
            return fn(item)
        except Exception as exc:  # the ApplicationError refusals are the expected outcome of the losers
            return getattr(exc, "code", repr(exc))
        finally:
            connection.close()  # each worker thread has its own connection; give it back

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(call, items))


def test_1000_concurrent_redeems_of_a_100_use_coupon_give_exactly_100(brand):
    coupon = factories.make_coupon(brand, code="RUSH100", max_redemptions=100)
    Customer.objects.bulk_create([Customer(brand=brand, name=f"Fan {i}", email=f"fan{i}@example.test")
                                  for i in range(1000)])
    customers = list(Customer.objects.filter(brand=brand).order_by("id"))
    system = factories.system(brand)

    outcomes = _run_concurrently(
        lambda c: coupon_redeem(actor=system, code="RUSH100", customer=c) and "redeemed", customers)

    assert outcomes.count("redeemed") == 100
    assert outcomes.count("coupon_exhausted") == 900
    coupon.refresh_from_db()
    assert coupon.redemptions_count == 100
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 100
    assert CouponRedemption.objects.filter(coupon=coupon).values("customer").distinct().count() == 100
    assert Event.objects.filter(brand=brand, type="coupon.redeemed").count() == 100
    assert sum(CouponClaim.objects.filter(coupon=coupon).values_list("redemptions_count", flat=True)) == 100


def test_one_customer_redeeming_concurrently_gets_their_limit_once(brand):
    coupon = factories.make_coupon(brand, code="ONCE1", max_redemptions=50, per_customer_limit=1)
    customer = factories.make_customer(brand)
    system = factories.system(brand)

    outcomes = _run_concurrently(
        lambda _n: coupon_redeem(actor=system, code="ONCE1", customer=customer) and "redeemed", range(30))

    assert outcomes.count("redeemed") == 1 and outcomes.count("already_redeemed") == 29
    assert Coupon.objects.get(pk=coupon.pk).redemptions_count == 1
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 1
