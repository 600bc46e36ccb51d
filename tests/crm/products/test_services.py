"""The catalogue's services: who may write, what is valid, the upsert by SKU and its all-or-nothing bulk form,
and the `product.updated` events they record."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Product
from crm.products import selectors
from crm.products import services as products
from privtraffic.events.models import Event
from privtraffic.tenancy.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db


def _serum(**overrides):
    return {"sku": "VC-30", "name": "Vitamin C Serum 30ml", "price": "199.00", "currency": "CNY",
            "image_url": "https://cdn.acme.example/vc30.jpg", "url": "https://shop.acme.example/vc30", **overrides}


def test_marketer_creates_a_product_and_an_event_is_recorded(brand, marketer):
    product = products.product_create(brand=brand, actor=marketer, **_serum())

    assert product.price == Decimal("199.00") and product.currency == "CNY" and product.active
    event = Event.objects.get(type="product.updated")
    assert event.payload["product_id"] == product.pk and event.payload["price"] == "199.00"
    assert event.payload["sku"] == "VC-30"


def test_currency_defaults_to_the_brands(brand, marketer):
    product = products.product_create(brand=brand, actor=marketer, sku="A", name="A", price="1")
    assert product.currency == brand.default_currency


def test_reps_and_store_managers_may_not_write_the_catalogue(brand, rep, manager):
    for actor in (rep, manager):
        with pytest.raises(ApplicationError) as exc:
            products.product_create(brand=brand, actor=actor, **_serum())
        assert exc.value.status == 403
    assert not Product.objects.exists()


def test_another_brands_product_is_not_found(brand, other_brand, marketer):
    theirs = factories.make_product(other_brand)
    with pytest.raises(ApplicationError) as exc:
        products.product_update(product=theirs, actor=marketer, name="Mine now")
    assert exc.value.status == 404
    with pytest.raises(ApplicationError) as exc:
        selectors.product_get(brand, product_id=theirs.pk)
    assert exc.value.status == 404


@pytest.mark.parametrize(("field", "value"), [
    ("price", "-1.00"), ("price", "NaN"), ("price", "Infinity"), ("price", "1e5"), ("price", "1000000000"),
    ("price", "1.999"), ("price", "١٢"), ("price", 12.5), ("price", True), ("price", ""),
    ("currency", "yuan"), ("currency", "C1Y"), ("currency", 156),
    ("image_url", "javascript:alert(1)"), ("image_url", "ftp://cdn.example/x.jpg"), ("url", "data:text/html,x"),
    ("url", "https://exa mple.com/"), ("url", "https://shop.example/\"onload"),
    ("name", ""), ("name", "x" * 121), ("name", "nul\x00byte"), ("name", 5), ("sku", "a\tb"), ("sku", "x" * 65),
    ("description", "\ud800"), ("active", "yes"),
])
def test_bad_values_are_refused_field_by_field_and_nothing_is_written(brand, marketer, field, value):
    with pytest.raises(ApplicationError) as exc:
        products.product_create(brand=brand, actor=marketer, **_serum(**{field: value}))
    assert exc.value.status == 400 and field in exc.value.fields
    assert not Product.objects.exists() and not Event.objects.exists()


def test_duplicate_sku_on_create_or_update_is_409(brand, marketer):
    serum = products.product_create(brand=brand, actor=marketer, **_serum())
    with pytest.raises(ApplicationError) as exc:
        products.product_create(brand=brand, actor=marketer, **_serum(name="Other"))
    assert exc.value.status == 409 and exc.value.code == "duplicate"
    toner = products.product_create(brand=brand, actor=marketer, **_serum(sku="TONER", name="Toner"))
    with pytest.raises(ApplicationError) as exc:
        products.product_update(product=toner, actor=marketer, sku="VC-30")
    assert exc.value.status == 409
    toner.refresh_from_db()
    serum.refresh_from_db()
    assert toner.sku == "TONER" and serum.name == "Vitamin C Serum 30ml"


def test_the_same_sku_may_exist_in_another_brand(brand, other_brand, marketer):
    factories.make_product(other_brand, "VC-30")
    assert products.product_create(brand=brand, actor=marketer, **_serum()).sku == "VC-30"


def test_update_records_an_event_only_when_something_changed(brand, marketer):
    product = products.product_create(brand=brand, actor=marketer, **_serum())
    products.product_update(product=product, actor=marketer, price="199.00", name="Vitamin C Serum 30ml")
    assert Event.objects.filter(type="product.updated").count() == 1
    products.product_update(product=product, actor=marketer, price="179.00")
    assert Event.objects.filter(type="product.updated").count() == 2
    product.refresh_from_db()
    assert product.price == Decimal("179.00")


def test_deactivate_keeps_the_product_but_takes_it_out_of_the_pickers(brand, marketer):
    product = products.product_create(brand=brand, actor=marketer, **_serum())
    products.product_deactivate(product=product, actor=marketer)
    product.refresh_from_db()
    assert not product.active
    assert selectors.product_pick_list(brand) == []
    assert list(selectors.product_list(brand, active=False)) == [product]
    with pytest.raises(ApplicationError) as exc:
        selectors.product_active_get(brand, product_id=product.pk)
    assert exc.value.status == 409


def test_list_searches_name_and_sku_case_insensitively(brand, other_brand):
    serum = factories.make_product(brand, "VC-30", name="Vitamin C Serum")
    toner = factories.make_product(brand, "TN-200", name="Rose Toner")
    factories.make_product(other_brand, "VC-31", name="Vitamin C Serum")
    assert list(selectors.product_list(brand, search="serum")) == [serum]
    assert list(selectors.product_list(brand, search="tn-2")) == [toner]
    assert list(selectors.product_list(brand)) == [toner, serum]


def test_upsert_creates_then_updates_only_the_given_fields(brand, system):
    product, status = products.product_upsert(brand=brand, actor=system, data=_serum())
    assert status == "created"
    again, status = products.product_upsert(brand=brand, actor=system, data={"sku": "VC-30", "price": "149.00"})
    assert status == "updated" and again.pk == product.pk
    assert again.price == Decimal("149.00") and again.name == "Vitamin C Serum 30ml"
    assert again.image_url == "https://cdn.acme.example/vc30.jpg" and again.created_at == product.created_at
    _, status = products.product_upsert(brand=brand, actor=system, data={"sku": "VC-30", "price": "149.00"})
    assert status == "unchanged"
    assert Event.objects.filter(type="product.updated").count() == 2


def test_upsert_of_a_new_sku_needs_name_and_price(brand, system):
    with pytest.raises(ApplicationError) as exc:
        products.product_upsert(brand=brand, actor=system, data={"sku": "NEW"})
    assert set(exc.value.fields) == {"name", "price"}


def test_bulk_upsert_writes_a_thousand_items_in_a_few_statements(brand, system):
    factories.make_product(brand, "SKU-0001", name="Old name", price="1.00")
    items = [{"sku": f"SKU-{n:04d}", "name": f"Product {n}", "price": f"{n}.50", "currency": "CNY"}
             for n in range(1, 1001)]

    with CaptureQueriesContext(connection) as queries:
        results = products.product_upsert_bulk(brand=brand, actor=system, items=items)

    assert len(queries) <= 12, [q["sql"][:80] for q in queries]
    assert [r["index"] for r in results] == list(range(1000))
    assert results[0]["status"] == "updated" and {r["status"] for r in results[1:]} == {"created"}
    assert Product.objects.filter(brand=brand).count() == 1000
    ids = {r["sku"]: r["id"] for r in results}
    assert Product.objects.get(pk=ids["SKU-0001"]).name == "Product 1"
    assert Product.objects.get(pk=ids["SKU-0999"]).price == Decimal("999.50")
    assert Event.objects.filter(type="product.updated").count() == 1000


def test_bulk_upsert_is_all_or_nothing_with_every_items_errors(brand, system):
    factories.make_product(brand, "KEEP", name="Kept", price="5.00")
    items = [{"sku": "KEEP", "price": "6.00"}, {"sku": "A", "name": "A", "price": "-1"}, "not an object",
             {"sku": "B", "name": "B", "price": "1.00", "currency": "cny!"}, {"sku": "A", "name": "A2", "price": "2"},
             {"name": "no sku", "price": "1"}, {"sku": "C"}]

    with pytest.raises(ApplicationError) as exc:
        products.product_upsert_bulk(brand=brand, actor=system, items=items)

    fields = exc.value.fields
    assert exc.value.status == 400
    assert {"items.1.price", "items.2", "items.3.currency", "items.4.sku", "items.5.sku", "items.6.name",
            "items.6.price"} <= set(fields)
    assert "items.0.price" not in fields
    assert Product.objects.get(sku="KEEP").price == Decimal("5.00")
    assert Product.objects.count() == 1 and not Event.objects.exists()


@pytest.mark.parametrize("items", [[], [{"sku": "x", "name": "x", "price": "1"}] * 1001, {"sku": "x"}, None])
def test_bulk_upsert_takes_one_to_a_thousand_items(brand, system, items):
    with pytest.raises(ApplicationError) as exc:
        products.product_upsert_bulk(brand=brand, actor=system, items=items)
    assert exc.value.fields.get("items")


def test_bulk_upsert_refuses_reps(brand, rep):
    with pytest.raises(ApplicationError) as exc:
        products.product_upsert_bulk(brand=brand, actor=rep, items=[_serum()])
    assert exc.value.status == 403
