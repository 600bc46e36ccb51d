"""/api/v1/persona/: read and rename the brand persona."""

import pytest

from chats.models import BrandPersona
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db


def test_get_is_404_until_patch_creates_it(api, brand, other_brand):
    api_error(api.get("/api/v1/persona/"), 404, "not_found")
    response = api.patch("/api/v1/persona/", {"name": "Lumi", "bio": "Skincare guide"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Lumi" and body["bio"] == "Skincare guide" and body["avatar_url"] is None
    assert api.get("/api/v1/persona/").json()["id"] == body["id"]
    # Another brand's key sees its own (missing) persona, never this one.
    other = factories.make_api_key(other_brand)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")
    api_error(api.get("/api/v1/persona/"), 404, "not_found")


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 5}, {"name": "x" * 61}, {"name": "Lu\u0000mi"},
                                  {"name": "Lumi", "bio": ["a"]}])
def test_bad_bodies_are_400_and_change_nothing(api, brand, body):
    response = api.patch("/api/v1/persona/", body, format="json")
    assert response.status_code == 400
    assert not BrandPersona.objects.exists()
