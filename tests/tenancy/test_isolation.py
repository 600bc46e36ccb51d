import pytest

from tests import factories
from tests.isolation import assert_api_isolated, assert_dashboard_isolated, brand_routes

pytestmark = pytest.mark.django_db


def test_every_api_route_hides_other_brands(brand, other_brand, api):
    checked = assert_api_isolated(api, brand, other_brand)
    assert checked >= len(brand_routes("/api/v1/"))


def test_every_dashboard_route_hides_other_brands(brand, other_brand, client):
    client.force_login(factories.owner_of(brand).user)
    checked = assert_dashboard_isolated(client, brand, other_brand)
    assert checked >= len([r for r in brand_routes("/b/") if "slug" in r.params])


def test_matrix_covers_the_routes_that_exist():
    templates = {r.template for r in brand_routes("/api/v1/")}
    assert {"/api/v1/stores/", "/api/v1/stores/<int:store_id>/", "/api/v1/reps/", "/api/v1/reps/<int:rep_id>/"} <= templates
