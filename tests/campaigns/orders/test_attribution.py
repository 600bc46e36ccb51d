"""Order attribution: rep and store when the order is created, the campaign that last reached the customer
within the attribution window (persisted by the order.created subscriber), the coupon redeemed against it
(coupon.redeemed); shown on the customer's profile and on the campaign's results."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.html import escape

from campaigns.models import Coupon, Delivery
from campaigns.orders.models import OrderAttribution
from crm.customers.services import customer_reassign
from privtraffic.events.services import event_record
from privtraffic.tenancy.roles import Role
from tests import factories

from .conftest import relay

pytestmark = pytest.mark.django_db


def days_ago(n: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)


def make_coupon(brand, code="SPRING10", **fields):
    return Coupon.objects.create(brand=brand, title="10 off", code=code, value=Decimal("10.00"), currency="CNY",
                                 **fields)


def redeemed(brand, coupon, customer, order, code=None):
    """What the coupons feature records when the shop redeems a coupon against an order."""
    event_record(brand=brand, type="coupon.redeemed", payload={
        "coupon": coupon.pk, "code": code or coupon.code, "customer": customer.pk,
        "order": order.pk if order else None})


def test_an_order_is_attributed_to_the_rep_and_store_of_the_customer_when_it_was_created(api, brand, rep, store):
    customer = factories.make_customer(brand, "Mei", assigned_rep=rep, home_store=store)
    response = api.post("/api/v1/orders/", {"external_id": "A1", "customer": customer.pk, "currency": "CNY",
                                            "total": "10.00"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["rep"], response.json()["store"]) == (rep.pk, store.pk)

    new_rep = factories.make_member(brand, Role.REP, store=store)
    customer_reassign(customer=customer, rep=new_rep, actor=factories.system(brand))
    later = api.post("/api/v1/orders/", {"external_id": "A2", "customer": customer.pk, "currency": "CNY",
                                         "total": "10.00"}, format="json").json()

    assert later["rep"] == new_rep.pk
    assert api.get(f"/api/v1/orders/{response.json()['id']}/").json()["rep"] == rep.pk  # stays with the first


def test_an_order_without_rep_or_store_is_attributed_to_neither(api, brand):
    customer = factories.make_customer(brand)
    order = factories.make_order(brand, customer)
    assert (order.rep_id, order.store_id) == (None, None)


def test_the_campaign_that_reached_the_customer_within_the_window_gets_the_order(brand, reachable):
    mei = reachable("Mei")
    first = factories.send_campaign_now(factories.make_campaign(brand, name="First"))
    second = factories.send_campaign_now(factories.make_campaign(brand, name="Second"))
    Delivery.objects.filter(campaign=first).update(sent_at=days_ago(3))
    Delivery.objects.filter(campaign=second).update(sent_at=days_ago(2))
    relay(brand)

    order = factories.make_order(brand, mei)
    relay(brand, "order.created")

    attribution = OrderAttribution.objects.get(order=order)
    assert attribution.campaign == second  # the last touch
    assert attribution.delivery == Delivery.objects.get(campaign=second, customer=mei)
    assert attribution.coupon is None


def test_a_campaign_outside_the_window_or_after_the_order_gets_nothing(brand, reachable):
    mei = reachable("Mei")
    old = factories.send_campaign_now(factories.make_campaign(brand, name="Old"))
    Delivery.objects.filter(campaign=old).update(sent_at=days_ago(6))  # the window is 5 days
    order = factories.make_order(brand, mei, placed_at=days_ago(0.5))
    bo = reachable("Bo")
    earlier = factories.make_order(brand, bo, placed_at=days_ago(1))
    later = factories.send_campaign_now(factories.make_campaign(brand, name="Later"))  # after Bo's order
    assert Delivery.objects.filter(campaign=later, customer=bo).exists()
    relay(brand)

    assert OrderAttribution.objects.get(order=order).campaign is None
    assert OrderAttribution.objects.get(order=earlier).campaign is None


def test_a_coupon_redeemed_against_the_order_is_recorded_whichever_event_comes_first(brand, reachable, other_brand):
    mei = reachable("Mei")
    campaign = factories.send_campaign_now(factories.make_campaign(brand))
    coupon = make_coupon(brand, campaign=campaign)
    order = factories.make_order(brand, mei)
    redeemed(brand, coupon, mei, order)
    relay(brand, "coupon.redeemed")  # before the order's own event
    assert OrderAttribution.objects.get(order=order).coupon == coupon

    relay(brand)
    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.campaign, attribution.coupon, attribution.coupon_code) == (campaign, coupon, "SPRING10")

    other = factories.make_order(brand, mei)
    relay(brand)
    redeemed(brand, coupon, mei, other, code="SPRING10")
    relay(brand)
    assert OrderAttribution.objects.get(order=other).coupon == coupon
    assert OrderAttribution.objects.filter(brand=brand).count() == 2


def test_a_coupon_event_naming_another_brands_order_or_coupon_or_no_order_changes_nothing(brand, other_brand):
    mine = factories.make_customer(brand)
    my_order = factories.make_order(brand, mine)
    their_order = factories.make_order(other_brand)
    my_coupon, their_coupon = make_coupon(brand), make_coupon(other_brand)
    relay(brand)
    relay(other_brand)

    redeemed(brand, my_coupon, mine, their_order)
    redeemed(brand, their_coupon, mine, my_order)
    redeemed(brand, my_coupon, mine, None)
    event_record(brand=brand, type="coupon.redeemed", payload={"coupon": "x", "order": True})
    assert relay(brand, "coupon.redeemed") == 4

    assert OrderAttribution.objects.get(order=my_order).coupon is None
    assert OrderAttribution.objects.get(order=their_order).coupon is None


def test_the_profile_timeline_shows_the_attribution(login, owner, brand, rep, store, reachable):
    mei = reachable("Mei", assigned_rep=rep, home_store=store)
    campaign = factories.send_campaign_now(factories.make_campaign(brand, name="Spring sale"))
    coupon = make_coupon(brand, campaign=campaign)
    order = factories.make_order(brand, mei, external_id="A1001")
    redeemed(brand, coupon, mei, order)
    relay(brand)

    page = login(owner).get(f"/b/{brand.slug}/customers/{mei.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-kind="order_attribution"' in html
    assert "Order A1001 attributed to the campaign Spring sale" in html
    assert "Coupon SPRING10" in html
    assert escape(f"Rep {rep.user.display_name}") in html and escape(f"Store {store.name}") in html


def test_the_campaign_results_list_its_attributed_orders(login, marketer, brand, rep, store, reachable, other_brand,
                                                         django_assert_max_num_queries):
    buyers = [reachable(f"Buyer {n}", assigned_rep=rep, home_store=store) for n in range(8)]
    campaign = factories.send_campaign_now(factories.make_campaign(brand, name="Spring sale"))
    coupon = make_coupon(brand, campaign=campaign)
    for n in range(3):
        order = factories.make_order(brand, buyers[n], external_id=f"A10{n}", total="88.00")
        if n == 0:
            redeemed(brand, coupon, buyers[n], order)
    factories.make_order(other_brand, external_id="THEIRS")
    relay(brand)
    client = login(marketer)
    url = f"/b/{brand.slug}/campaigns/{campaign.pk}/results/"
    client.get(url)

    with django_assert_max_num_queries(40) as few:
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert all(f'data-order="A10{n}"' in html for n in range(3)) and "THEIRS" not in html
    assert "SPRING10" in html and rep.user.display_name in html
    for n in range(3, 8):
        factories.make_order(brand, buyers[n], external_id=f"A10{n}")
    relay(brand)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count("data-order=") == 8

    other_campaign = factories.make_campaign(other_brand)
    assert client.get(f"/b/{brand.slug}/campaigns/{other_campaign.pk}/results/").status_code == 404
