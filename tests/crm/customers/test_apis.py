import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Customer
from privtraffic.events.models import Event
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db




def test_customer_create_normalizes_and_records_event(brand, api):
    store = factories.make_store(brand)
    response = api.post("/api/v1/customers/", {"name": "Li Wei", "email": "LI@Example.test", "phone": "+86 138 0013 8000",
                                               "home_store": store.pk, "consent_chat": True}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["phone"], body["home_store"], body["source"]) == (
        "li@example.test", "+8613800138000", store.pk, "api")
    assert body["consent_chat"] is True and body["consent_promotions"] is False
    assert Customer.objects.get(pk=body["id"]).consent_chat_at is not None
    assert Event.objects.filter(type="customer.created", payload__customer_id=body["id"]).exists()


@pytest.mark.parametrize("body, field", [
    ({"name": ""}, "name"),
    ({"name": "A", "email": "nope"}, "email"),
    ({"name": "A", "phone": "12345"}, "phone"),
    ({"name": "A", "source": "magic"}, "source"),
])
def test_customer_bad_input(brand, api, body, field):
    error = api_error(api.post("/api/v1/customers/", body, format="json"), 400, "invalid")
    assert field in error["fields"]
    assert not Customer.objects.exists()


def test_customer_duplicate_email_is_409(brand, api):
    factories.make_customer(brand, email="same@example.test")
    api_error(api.post("/api/v1/customers/", {"name": "B", "email": "Same@example.test"}, format="json"), 409, "duplicate")


def test_customer_same_email_in_two_brands_is_fine(brand, other_brand, api):
    factories.make_customer(other_brand, email="shared@example.test")
    assert api.post("/api/v1/customers/", {"name": "B", "email": "shared@example.test"}, format="json").status_code == 201


def test_customer_update_and_assign_rep(brand, other_brand, api):
    customer = factories.make_customer(brand)
    rep = factories.make_member(brand, Role.REP)
    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"assigned_rep": rep.pk, "consent_promotions": True},
                         format="json")
    assert response.json()["assigned_rep"] == rep.pk and response.json()["consent_promotions"] is True
    assert Event.objects.filter(type="customer.reassigned").count() == 1
    foreign_rep = factories.make_member(other_brand, Role.REP)
    api_error(api.patch(f"/api/v1/customers/{customer.pk}/", {"assigned_rep": foreign_rep.pk}, format="json"), 404,
           "not_found")


def test_customer_search_and_constant_queries(brand, api):
    factories.make_customer(brand, "Zhang San", assigned_rep=factories.make_member(brand, Role.REP))
    api.get("/api/v1/customers/")
    with CaptureQueriesContext(connection) as small:
        api.get("/api/v1/customers/")
    for i in range(10):
        factories.make_customer(brand, f"Other {i}", home_store=factories.make_store(brand))
    with CaptureQueriesContext(connection) as large:
        assert len(api.get("/api/v1/customers/").json()["results"]) == 11
    assert len(large) == len(small)
    assert [c["name"] for c in api.get("/api/v1/customers/?search=zhang").json()["results"]] == ["Zhang San"]


def test_overlong_email_is_400(brand, api):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".test"
    api_error(api.post("/api/v1/customers/", {"name": "A", "email": email}, format="json"), 400, "invalid")
