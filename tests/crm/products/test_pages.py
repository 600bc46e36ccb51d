"""The catalogue pages (/b/<slug>/products/): everyone reads, marketers and admins add, edit and deactivate; the
picker's JSON lists active products only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Product
from tests import factories

pytestmark = pytest.mark.django_db


def _url(brand, rest=""):
    return f"/b/{brand.slug}/products/{rest}"


def _form(**overrides):
    return {"sku": "VC-30", "name": "Vitamin C Serum 30ml", "price": "199.00", "currency": "CNY",
            "image_url": "https://cdn.acme.example/vc30.jpg", "url": "https://shop.acme.example/vc30",
            "description": "", "active": "on", **overrides}


def test_marketer_adds_a_product_from_the_page(client, brand, marketer, login):
    login(marketer)
    page = client.get(_url(brand)).content.decode()
    assert "No products yet" in page and "Add a product" in page
    assert f'href="{_url(brand)}"' in page  # the nav links here

    response = client.post(_url(brand), _form())

    assert response.status_code == 302
    product = Product.objects.get(brand=brand, sku="VC-30")
    assert str(product.price) == "199.00" and product.active
    listing = client.get(_url(brand)).content.decode()
    assert "Vitamin C Serum 30ml" in listing and "199.00 CNY" in listing and "vc30.jpg" in listing


@pytest.mark.parametrize(("field", "value"), [("price", "-3"), ("price", "NaN"), ("price", "12345678901"),
                                              ("currency", "yuan"), ("image_url", "javascript:alert(1)"),
                                              ("url", "ftp://x.example/")])
def test_bad_values_are_shown_beside_their_field(client, brand, marketer, login, field, value):
    login(marketer)
    response = client.post(_url(brand), _form(**{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Product.objects.exists()


def test_duplicate_sku_is_a_form_error(client, brand, marketer, login):
    factories.make_product(brand, "VC-30")
    login(marketer)
    response = client.post(_url(brand), _form())
    assert response.status_code == 400 and "sku" in response.context["form"].errors


def test_reps_read_the_catalogue_but_cannot_change_it(client, brand, rep, login):
    product = factories.make_product(brand, "VC-30", name="Serum")
    login(rep)
    page = client.get(_url(brand)).content.decode()
    assert "Serum" in page and "Add a product" not in page
    detail = client.get(_url(brand, f"{product.pk}/")).content.decode()
    assert "Serum" in detail and "Deactivate" not in detail and 'name="sku"' not in detail
    assert client.post(_url(brand), _form(sku="NEW")).status_code == 403
    assert client.post(_url(brand, f"{product.pk}/"), {"action": "deactivate"}).status_code == 403
    product.refresh_from_db()
    assert product.active and Product.objects.count() == 1


def test_edit_deactivate_and_offer_again(client, brand, marketer, login):
    product = factories.make_product(brand, "VC-30", name="Serum")
    login(marketer)
    url = _url(brand, f"{product.pk}/")
    assert client.post(url, _form(name="Serum 50ml", price="259.00")).status_code == 302
    product.refresh_from_db()
    assert product.name == "Serum 50ml" and str(product.price) == "259.00"
    client.post(url, {"action": "deactivate"})
    product.refresh_from_db()
    assert not product.active
    assert "Offer it again" in client.get(url).content.decode()
    client.post(url, {"action": "activate"})
    product.refresh_from_db()
    assert product.active
    bad = client.post(url, _form(price="cheap"))
    assert bad.status_code == 400 and "price" in bad.context["form"].errors


def test_search_and_state_filters(client, brand, marketer, login):
    factories.make_product(brand, "VC-30", name="Vitamin C Serum")
    factories.make_product(brand, "TN-1", name="Rose Toner", active=False)
    login(marketer)
    page = client.get(_url(brand), {"q": "serum"}).content.decode()
    assert "Vitamin C Serum" in page and "Rose Toner" not in page
    page = client.get(_url(brand), {"q": "tn-1"}).content.decode()
    assert "Rose Toner" in page
    page = client.get(_url(brand), {"state": "inactive"}).content.decode()
    assert "Rose Toner" in page and "Vitamin C Serum" not in page
    assert client.get(_url(brand), {"state": "gone"}).status_code == 400


def test_other_brands_products_are_404(client, brand, other_brand, marketer, login):
    theirs = factories.make_product(other_brand, "VC-30")
    login(marketer)
    assert client.get(_url(brand, f"{theirs.pk}/")).status_code == 404
    assert client.post(_url(brand, f"{theirs.pk}/"), {"action": "deactivate"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.active
    assert client.get(_url(other_brand)).status_code == 404


def test_list_page_queries_do_not_grow_with_products(client, brand, marketer, login):
    login(marketer)
    factories.make_product(brand, "A")
    client.get(_url(brand))
    with CaptureQueriesContext(connection) as one:
        client.get(_url(brand))
    for n in range(30):
        factories.make_product(brand, f"B{n}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(_url(brand)).content.decode()
    assert page.count("data-product-id=") == 31
    assert len(many) == len(one)


def test_picker_lists_active_products_of_the_brand(client, brand, other_brand, rep, login):
    factories.make_product(brand, "VC-30", name="Vitamin C Serum", image_url="https://cdn.acme.example/vc.jpg")
    factories.make_product(brand, "OLD", name="Old Serum", active=False)
    factories.make_product(other_brand, "GX", name="Globex Serum")
    login(rep)
    results = client.get(_url(brand, "pick/"), {"q": "serum"}).json()["results"]
    assert [(p["sku"], p["price"], p["currency"], p["image_url"]) for p in results] == [
        ("VC-30", "199.00", "CNY", "https://cdn.acme.example/vc.jpg")]
    assert client.get(_url(brand, "pick/"), {"q": "nothing"}).json() == {"results": []}
