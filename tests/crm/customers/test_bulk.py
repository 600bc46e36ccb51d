"""POST /api/v1/customers/bulk/: up to 1,000 upserts per call, matched by external id, email or phone; the
customer's external_id field."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import ConsentChange, Customer, Tag
from crm.profile import services as profile
from privtraffic.events.models import Event
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/bulk/"


def bulk(api, items, **headers):
    response = api.post(URL, {"items": items}, format="json", **headers)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_external_id_in_the_customer_api_and_unique_per_brand(brand, other_brand, api):
    response = api.post("/api/v1/customers/", {"name": "Ann", "external_id": "shop-1"}, format="json")
    assert response.status_code == 201 and response.json()["external_id"] == "shop-1"
    error = api_error(api.post("/api/v1/customers/", {"name": "Bea", "external_id": "shop-1"}, format="json"),
                      409, "duplicate")
    assert "external_id" in error["fields"]
    factories.make_customer(other_brand, external_id="shop-1")  # another brand's ids are its own
    customer_id = response.json()["id"]
    response = api.patch(f"/api/v1/customers/{customer_id}/", {"external_id": "shop-9"}, format="json")
    assert response.status_code == 200 and response.json()["external_id"] == "shop-9"
    assert Customer.objects.filter(brand=brand, external_id="").count() == 0


def test_bulk_creates_and_updates_matched_by_external_id_email_then_phone(brand, api):
    store = factories.make_store(brand)
    by_id = factories.make_customer(brand, "By Id", email="id@example.test", external_id="x-1")
    by_email = factories.make_customer(brand, "By Email", email="mail@example.test")
    by_phone = factories.make_customer(brand, "By Phone", email="", phone="+8613800138000")
    results = bulk(api, [
        {"external_id": "x-1", "name": "Renamed"},
        {"email": "MAIL@example.test", "external_id": "x-2", "consent_promotions": True},
        {"phone": "+86 138 0013 8000", "name": "Phone Person", "tags": ["oily-skin"]},
        {"name": "New One", "email": "new@example.test", "home_store": store.pk, "consent_chat": True,
         "tags": ["vip", "oily-skin"]},
    ])
    assert [(r["index"], r["status"]) for r in results] == [(0, "updated"), (1, "updated"), (2, "updated"),
                                                             (3, "created")]
    assert [r["id"] for r in results[:3]] == [by_id.pk, by_email.pk, by_phone.pk]
    assert all(r["errors"] == {} for r in results)
    by_id.refresh_from_db(), by_email.refresh_from_db(), by_phone.refresh_from_db()
    assert (by_id.name, by_id.email) == ("Renamed", "id@example.test")  # fields not given stay
    assert by_email.external_id == "x-2" and by_email.consent_promotions and by_email.consent_promotions_at
    assert by_phone.name == "Phone Person"
    assert list(by_phone.tags.values_list("name", flat=True)) == ["oily-skin"]
    new = Customer.objects.get(pk=results[3]["id"])
    assert (new.name, new.home_store, new.consent_chat, new.source) == ("New One", store, True, "api")
    assert sorted(new.tags.values_list("name", flat=True)) == ["oily-skin", "vip"]
    assert Tag.objects.filter(brand=brand).count() == 2  # unknown tag names are created
    # Consent history and outbox events as the import writes them.
    assert ConsentChange.objects.filter(customer=new, channel="chat", granted=True, source="api").exists()
    assert ConsentChange.objects.filter(customer=by_email, channel="promotions", granted=True).exists()
    assert Event.objects.filter(type="customer.created", payload__customer_id=new.pk).count() == 1
    for customer in (by_id, by_email, by_phone):
        assert Event.objects.filter(type="customer.updated", payload__customer_id=customer.pk).count() == 1
    assert Customer.objects.filter(brand=brand).count() == 4


def test_bulk_is_atomic_per_item_and_reports_each_error(brand, other_brand, api):
    theirs_store = factories.make_store(other_brand)
    existing = factories.make_customer(brand, "Kept", email="kept@example.test")
    other = factories.make_customer(brand, "Other", email="other@example.test", external_id="o-1")
    results = bulk(api, [
        {"name": "Good", "email": "good@example.test"},
        {"name": "Bad Email", "email": "not-an-email"},
        {"name": "Bad Phone", "phone": "123"},
        {"name": "No Key"},
        {"email": "nobody@example.test"},  # a new customer needs a name
        {"name": "Their Store", "email": "s@example.test", "home_store": theirs_store.pk},
        {"name": "Too Many Tags", "email": "t@example.test", "tags": [f"t{i}" for i in range(51)]},
        {"name": "Unknown Attr", "email": "a@example.test", "attributes": {"nope": 1}},
        {"email": "kept@example.test", "external_id": "o-1"},  # the id belongs to another customer
        {"name": "Twice", "email": "good@example.test"},
        {"name": "Unknown field", "email": "u@example.test", "lifetime_value": 5},
        "not an object",
    ])
    assert results[0]["status"] == "created"
    statuses = [r["status"] for r in results[1:]]
    assert statuses == ["error"] * 11, results
    fields = [set(r["errors"]) for r in results[1:]]
    assert fields[0] == {"email"} and fields[1] == {"phone"} and fields[2] == {"non_field_errors"}
    assert fields[3] == {"name"} and fields[4] == {"home_store"} and fields[5] == {"tags"}
    assert fields[6] == {"attributes.nope"} and fields[7] == {"email"} and fields[8] == {"email"}
    assert fields[9] == {"lifetime_value"} and fields[10] == {"non_field_errors"}
    assert "at most 50 tags" in results[6]["errors"]["tags"][0]
    assert set(Customer.objects.filter(brand=brand).values_list("name", flat=True)) == {"Good", "Kept", "Other"}
    existing.refresh_from_db(), other.refresh_from_db()
    assert (existing.external_id, other.external_id) == ("", "o-1")
    assert not Tag.objects.exists()


def test_bulk_limits_and_bad_bodies_are_400(brand, api):
    api_error(api.post(URL, {"items": [{"name": "x", "email": f"{i}@e.test"} for i in range(1001)]}, format="json"),
              400, "invalid")
    api_error(api.post(URL, {"items": []}, format="json"), 400, "invalid")
    api_error(api.post(URL, [{"name": "x"}], format="json"), 400, "invalid")
    assert not Customer.objects.exists()


def test_bulk_of_1000_writes_in_chunks_not_per_row(brand, api):
    profile.tag_create(brand=brand, actor=factories.system(brand), name="vip")
    for i in range(0, 1000, 2):
        factories.make_customer(brand, f"Old {i}", email=f"c{i}@example.test")
    items = [{"name": f"C {i}", "email": f"c{i}@example.test", "consent_chat": True, "tags": ["vip", "sync"]}
             for i in range(1000)]
    with CaptureQueriesContext(connection) as queries:
        results = bulk(api, items)
    assert [r["status"] for r in results].count("created") == 500
    assert [r["status"] for r in results].count("updated") == 500
    assert len(queries.captured_queries) < 60, len(queries.captured_queries)
    assert Customer.objects.filter(brand=brand, tags__name="sync").count() == 1000
    assert Event.objects.filter(type="customer.created").count() == 1000  # 500 from the setup, 500 now


def test_bulk_idempotency_key_replays(brand, api):
    items = [{"name": "Once", "email": "once@example.test"}]
    first = api.post(URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="sync-1")
    again = api.post(URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="sync-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(brand=brand).count() == 1
    api_error(api.post(URL, {"items": items + items}, format="json", HTTP_IDEMPOTENCY_KEY="sync-1"), 409,
              "idempotency_conflict")


def test_bulk_never_touches_another_brand(brand, other_brand, api):
    theirs = factories.make_customer(other_brand, "Theirs", email="shared@example.test", external_id="e-1")
    results = bulk(api, [{"name": "Ours", "email": "shared@example.test", "external_id": "e-1"}])
    assert results[0]["status"] == "created" and results[0]["id"] != theirs.pk
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
