"""/api/v1/products/ (CONTRACT.md): the list with search and active filters, upsert by SKU (201 / 200), the bulk
route, read / update / deactivate by id, hostile input and other brands' ids."""

import pytest

from crm.models import Product
from privtraffic.events.models import Event
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db
CONTRACT_FIELDS = {"id", "sku", "name", "price", "currency", "image_url", "url", "active", "description"}


def _serum(**overrides):
    return {"sku": "VC-30", "name": "Vitamin C Serum 30ml", "price": "199.00", "currency": "CNY",
            "image_url": "https://cdn.acme.example/vc30.jpg", "url": "https://shop.acme.example/vc30", **overrides}


def test_post_creates_201_then_updates_200_by_sku(api):
    created = api.post("/api/v1/products/", _serum())
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["price"] == "199.00" and body["active"] is True and body["sku"] == "VC-30"

    updated = api.post("/api/v1/products/", {"sku": "VC-30", "price": "179.50"})
    assert updated.status_code == 200
    assert updated.json()["id"] == body["id"] and updated.json()["price"] == "179.50"
    assert updated.json()["name"] == "Vitamin C Serum 30ml"
    assert Product.objects.count() == 1
    assert Event.objects.filter(type="product.updated").count() == 2


def test_get_patch_delete_by_id(api, brand):
    product = factories.make_product(brand, "VC-30")
    url = f"/api/v1/products/{product.pk}/"

    assert api.get(url).json()["sku"] == "VC-30"
    patched = api.patch(url, {"name": "Serum 50ml", "price": "259.00"})
    assert patched.status_code == 200 and patched.json()["name"] == "Serum 50ml"
    deleted = api.delete(url)
    assert deleted.status_code == 200 and deleted.json()["active"] is False
    product.refresh_from_db()
    assert not product.active  # deactivated, not deleted
    assert api.patch(url, {"active": True}).json()["active"] is True


def test_list_filters_and_paginates_within_a_fixed_number_of_queries(api, brand, other_brand,
                                                                     django_assert_max_num_queries):
    for n in range(60):
        factories.make_product(brand, f"SKU-{n:02d}", name=f"Serum {n:02d}" if n % 2 else f"Toner {n:02d}",
                               active=n % 3 != 0)
    factories.make_product(other_brand, "SKU-XX", name="Serum of Globex")

    with django_assert_max_num_queries(6):
        first = api.get("/api/v1/products/").json()
    assert len(first["results"]) == 50 and first["next"]
    assert "Globex" not in str(first)
    with django_assert_max_num_queries(6):
        rest = api.get(first["next"]).json()
    assert len(rest["results"]) == 10
    serums = api.get("/api/v1/products/", {"search": "serum", "active": "true"}).json()["results"]
    assert serums and all("Serum" in p["name"] and p["active"] for p in serums)
    by_sku = api.get("/api/v1/products/", {"search": "sku-07"}).json()["results"]
    assert [p["sku"] for p in by_sku] == ["SKU-07"]
    inactive = api.get("/api/v1/products/", {"active": "false", "limit": 200}).json()["results"]
    assert len(inactive) == 20 and not any(p["active"] for p in inactive)


@pytest.mark.parametrize("query", [{"active": "maybe"}, {"active": ""}, {"search": "x" * 101}, {"limit": "٣"}])
def test_bad_list_parameters_are_400(api, query):
    api_error(api.get("/api/v1/products/", query), 400, "invalid")


@pytest.mark.parametrize(("body", "field"), [
    (_serum(price="-1.00"), "price"), (_serum(price="NaN"), "price"), (_serum(price="99999999999999"), "price"),
    (_serum(price=199), "price"), (_serum(price="1e3"), "price"), (_serum(currency="yuan"), "currency"),
    (_serum(currency="12"), "currency"), (_serum(image_url="javascript:alert(1)"), "image_url"),
    (_serum(url="ftp://shop.example/x"), "url"), (_serum(url="file:///etc/passwd"), "url"),
    (_serum(name=["a"]), "name"), (_serum(active="yes"), "active"), (_serum(sku=12), "sku"),
    (_serum(sku=""), "sku"), (_serum(owner=1), "owner"), ({"name": "x", "price": "1.00"}, "sku"),
    ({"sku": "NEW"}, "name"),
])
def test_hostile_or_wrong_bodies_are_400_and_change_nothing(api, body, field):
    error = api_error(api.post("/api/v1/products/", body), 400, "invalid")
    assert field in error["fields"]
    assert not Product.objects.exists() and not Event.objects.exists()


def test_nul_bytes_are_refused(api):
    response = api.post("/api/v1/products/", _serum(name="Serum\u0000"))
    assert response.status_code == 400
    assert not Product.objects.exists()


def test_patch_refuses_bad_values_and_keeps_the_product(api, brand):
    product = factories.make_product(brand, "VC-30", price="199.00")
    api_error(api.patch(f"/api/v1/products/{product.pk}/", {"price": "-5"}), 400, "invalid")
    api_error(api.patch(f"/api/v1/products/{product.pk}/", {"currency": "cn"}), 400, "invalid")
    other = factories.make_product(brand, "TONER")
    api_error(api.patch(f"/api/v1/products/{other.pk}/", {"sku": "VC-30"}), 409, "duplicate")
    product.refresh_from_db()
    assert str(product.price) == "199.00"


def test_other_brands_products_are_404_and_never_listed(api, other_brand):
    theirs = factories.make_product(other_brand, "VC-30")
    for method in ("get", "patch", "delete"):
        api_error(getattr(api, method)(f"/api/v1/products/{theirs.pk}/", {}), 404, "not_found")
    assert api.get("/api/v1/products/").json()["results"] == []
    # An upsert with their SKU creates our own product, never touches theirs.
    assert api.post("/api/v1/products/", _serum()).status_code == 201
    theirs.refresh_from_db()
    assert theirs.name == "Vitamin C Serum 30ml" and theirs.price != 0


def test_bulk_upserts_and_answers_per_item(api, brand):
    factories.make_product(brand, "OLD", name="Old", price="1.00")
    items = [{"sku": "OLD", "price": "2.00"}, _serum(), {"sku": "OLD2", "name": "New", "price": "3"}]

    response = api.post("/api/v1/products/bulk/", {"items": items})

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["index"], r["sku"], r["status"]) for r in results] == [
        (0, "OLD", "updated"), (1, "VC-30", "created"), (2, "OLD2", "created")]
    assert all(isinstance(r["id"], int) for r in results)
    again = api.post("/api/v1/products/bulk/", {"items": items}).json()["results"]
    assert {r["status"] for r in again} == {"unchanged"}


def test_bulk_with_one_bad_item_writes_nothing_and_names_it(api, brand):
    items = [_serum(), {"sku": "B", "name": "B", "price": "NaN"}, {"sku": "C", "name": "C", "price": "1",
                                                                    "url": "javascript:x"}]
    error = api_error(api.post("/api/v1/products/bulk/", {"items": items}), 400, "invalid")
    assert {"items.1.price", "items.2.url"} == set(error["fields"])
    assert not Product.objects.exists()


@pytest.mark.parametrize("body", [{"items": []}, {"items": "x"}, {}, {"items": [{}] * 1001}, []])
def test_bulk_body_must_hold_one_to_a_thousand_items(api, body):
    api_error(api.post("/api/v1/products/bulk/", body), 400, "invalid")
    assert not Product.objects.exists()


def test_a_thousand_items_in_one_call(api, brand, django_assert_max_num_queries):
    items = [{"sku": f"S{n}", "name": f"P{n}", "price": "9.90"} for n in range(1000)]
    with django_assert_max_num_queries(20):
        response = api.post("/api/v1/products/bulk/", {"items": items})
    assert response.status_code == 200
    assert Product.objects.filter(brand=brand).count() == 1000
