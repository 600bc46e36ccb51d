"""/api/v1/groupbuys/ and /api/v1/groupbuys/{id}/."""

import datetime

import pytest

from campaigns.groupbuys.models import GroupBuy
from tests import factories
from tests.helpers import api_error


def test_the_list_pages_group_buys_in_a_constant_number_of_queries(api, brand, other_brand,
                                                                    django_assert_max_num_queries):
    for _ in range(5):
        factories.make_group_buy(brand)
    factories.make_group_buy(other_brand, title="Theirs")
    with django_assert_max_num_queries(8):
        body = api.get("/api/v1/groupbuys/").json()
    assert len(body["results"]) == 5 and {g["title"] for g in body["results"]} == {"Serum team buy"}
    first = body["results"][0]
    assert first["tiers"][0] == {"min": 2, "price": "179.00"} and first["status"] == "open"
    assert api.get("/api/v1/groupbuys/?status=succeeded").json()["results"] == []
    api_error(api.get("/api/v1/groupbuys/?status=nope"), 400, "invalid")


def test_create_and_read_one(api, brand, deal):
    deadline = (deal.deadline + datetime.timedelta(days=1)).isoformat()
    response = api.post("/api/v1/groupbuys/", {
        "product": deal.product_id, "title": "Team serum", "deadline": deadline,
        "tiers": [{"min": 3, "price": "170.00"}, {"min": 6, "price": "150.00"}]}, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["tiers"] == [{"min": 3, "price": "170.00"}, {"min": 6, "price": "150.00"}]
    assert api.get(f"/api/v1/groupbuys/{created['id']}/").json()["title"] == "Team serum"


@pytest.mark.parametrize("change,field", [
    ({"tiers": [{"min": 6, "price": "170.00"}, {"min": 3, "price": "150.00"}]}, "tiers"),
    ({"tiers": [{"min": "3", "price": "170.00"}]}, "tiers"),
    ({"deadline": "2001-01-01T00:00:00Z"}, "deadline"),
    ({"product": 99999999}, "product"),
    ({"title": ""}, "title"),
])
def test_bad_input_is_a_clear_error_and_creates_nothing(api, brand, deal, change, field):
    body = {"product": deal.product_id, "title": "Team serum", "tiers": [{"min": 3, "price": "170.00"}],
            "deadline": (deal.deadline + datetime.timedelta(days=1)).isoformat(), **change}
    before = GroupBuy.objects.count()
    error = api_error(api.post("/api/v1/groupbuys/", body, format="json"), 400, "invalid")
    assert any(key.startswith(field) for key in error["fields"]), error
    assert GroupBuy.objects.count() == before


def test_another_brands_group_buy_is_404(api, other_brand):
    theirs = factories.make_group_buy(other_brand)
    assert api.get(f"/api/v1/groupbuys/{theirs.pk}/").status_code == 404
    assert api.get("/api/v1/groupbuys/18446744073709551616/").status_code == 404
