"""The dashboard customer list: filters by tag, saved segment and stage, with a constant query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Customer, CustomerTag, Segment, Tag
from tests import factories

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return sorted(c.name for c in response.context["page"].object_list)


@pytest.fixture
def owner_client(client, brand):
    client.force_login(factories.owner_of(brand).user)
    return client


@pytest.fixture
def people(brand):
    vip = Tag.objects.create(brand=brand, name="vip")
    ann, bob, cat = (factories.make_customer(brand, name=n) for n in ("Ann", "Bob", "Cat"))
    CustomerTag.objects.create(brand=brand, customer=ann, tag=vip)
    factories.make_order(brand, bob, total="700.00")
    Customer.objects.filter(pk=cat.pk).update(lifecycle_stage="lapsed")
    big = Segment.objects.create(brand=brand, name="Big spenders",
                                 definition={"all": [{"field": "total_spent", "op": "gt", "value": "500"}]})
    return {"ann": ann, "bob": bob, "cat": cat, "big": big}


def test_filters_narrow_the_list(owner_client, brand, people):
    url = f"/b/{brand.slug}/customers/"

    assert _names(owner_client.get(url)) == ["Ann", "Bob", "Cat"]
    assert _names(owner_client.get(url, {"tag": "vip"})) == ["Ann"]
    assert _names(owner_client.get(url, {"segment": people["big"].pk})) == ["Bob"]
    assert _names(owner_client.get(url, {"stage": "lapsed"})) == ["Cat"]
    assert _names(owner_client.get(url, {"stage": "lapsed", "tag": "vip"})) == []
    assert _names(owner_client.get(url, {"stage": "nonsense"})) == ["Ann", "Bob", "Cat"]  # ignored, not a 500


def test_bad_or_foreign_segment_ids(owner_client, brand, other_brand, people):
    foreign = Segment.objects.create(brand=other_brand, name="Theirs",
                                     definition={"all": [{"field": "order_count", "op": "gt", "value": 0}]})
    url = f"/b/{brand.slug}/customers/"

    assert owner_client.get(url, {"segment": foreign.pk}).status_code == 404
    assert owner_client.get(url, {"segment": "abc"}).status_code == 400


def test_the_list_costs_the_same_for_more_customers(owner_client, brand, people):
    url = f"/b/{brand.slug}/customers/"
    owner_client.get(url)
    with CaptureQueriesContext(connection) as few:
        owner_client.get(url, {"tag": "vip"})
    vip = Tag.objects.get(brand=brand, name="vip")
    for _ in range(20):
        CustomerTag.objects.create(brand=brand, customer=factories.make_customer(brand), tag=vip)
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(url, {"tag": "vip"})

    assert len(_names(response)) == 21
    assert len(many) == len(few)


def test_a_rep_filters_only_within_their_own_customers(client, brand, people):
    rep = factories.make_member(brand, "rep", store=factories.make_store(brand))
    Customer.objects.filter(pk=people["bob"].pk).update(assigned_rep=rep)
    client.force_login(rep.user)

    assert _names(client.get(f"/b/{brand.slug}/customers/", {"segment": people["big"].pk})) == ["Bob"]
    assert _names(client.get(f"/b/{brand.slug}/customers/", {"tag": "vip"})) == []


def test_empty_customer_list_gives_the_next_step(owner_client, brand):
    page = owner_client.get(f"/b/{brand.slug}/customers/").content.decode()
    assert 'id="customers-empty"' in page and f'href="/b/{brand.slug}/invites/"' in page
