import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and throttles start from zero in every test (the cache is this worker's own)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def brand(db):
    return factories.make_brand("acme", name="Acme Beauty")


@pytest.fixture
def other_brand(db):
    return factories.make_brand("globex", name="Globex Outdoor")


@pytest.fixture
def api_key(brand):
    return factories.make_api_key(brand)


@pytest.fixture
def api(api_key):
    """An API client holding a key of `brand`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


@pytest.fixture
def login(client):
    """Log a membership's user into the Django test client: `login(member)`."""

    def _login(membership_or_user):
        user = getattr(membership_or_user, "user", membership_or_user)
        client.force_login(user)
        return client

    return _login
