import os

import pytest
from rest_framework.test import APIClient

from privtraffic.tenancy.roles import Role
from tests import factories


@pytest.fixture(scope="session", autouse=True)
def _redis_of_this_worker(worker_id):
    """Give this xdist worker its own channel-layer prefix and cache database.

    Settings are imported before xdist names the worker, so this is done here, and exported
    to the environment for the servers and workers the tests start as subprocesses.
    """
    from channels.layers import channel_layers
    from django.conf import settings
    from django.test.signals import clear_cache_handlers

    if not settings.REDIS_URL:
        yield
        return
    number = int(worker_id[2:]) if worker_id.startswith("gw") else 0
    prefix, cache_db = f"test-{worker_id}", str(1 + number % 15)
    os.environ["CHANNEL_LAYER_PREFIX"] = prefix
    os.environ["TEST_CACHE_DB"] = cache_db
    layer = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": {**layer["CONFIG"], "prefix": prefix}}}
    settings.CACHES = {"default": {**settings.CACHES["default"],
                                   "LOCATION": settings.REDIS_URL.rsplit("/", 1)[0] + "/" + cache_db}}
    channel_layers.backends.clear()
    clear_cache_handlers(setting="CACHES")
    yield


@pytest.fixture(autouse=True)
def _fresh_cache(_redis_of_this_worker):
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


# --- the people most tests need: one store of `brand`, its rep and manager, the brand as a system actor ---


@pytest.fixture
def store(brand):
    return factories.make_store(brand, "Jing'an")


@pytest.fixture
def rep(brand, store):
    return factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Rita Rep"))


@pytest.fixture
def other_rep(brand, store):
    return factories.make_member(brand, Role.REP, store=store, user=factories.make_user(name="Omar Rep"))


@pytest.fixture
def manager(brand, store):
    return factories.make_member(brand, Role.STORE_MANAGER, store=store)


@pytest.fixture
def marketer(brand):
    return factories.make_member(brand, Role.MARKETER)


@pytest.fixture
def owner(brand):
    return factories.owner_of(brand)


@pytest.fixture
def system(brand):
    """The brand's own machinery as an actor (tasks, subscribers, seeding)."""
    return factories.system(brand)
