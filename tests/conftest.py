import asyncio
import inspect
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


# --- async socket tests: one channel layer per event loop -----------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """Every async test (sockets, the channel layer) gets `fresh_channel_layer`."""
    for item in items:
        if inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.fixturenames.append("fresh_channel_layer")


@pytest.fixture
async def fresh_channel_layer():
    """pytest-asyncio gives each test its own event loop, while Channels caches one channel layer object for
    the process and channels_redis keeps receive state (its receive lock, buffers and counters) on it: each
    async test starts with a new layer object, so no state of a closed loop reaches the next test."""
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    yield
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)


# A test's event loop is closed by cancelling the tasks still running in it (asyncio.runners._cancel_all_tasks)
# and waiting for all of them, without a limit. A socket a test left open still has channels_redis receiving
# for it, and that receive can lose its cancellation: when the cancel lands as its Redis read times out,
# redis-py turns it into a TimeoutError and retries, and channels_redis's `while content is None` BZPOPMIN loop
# goes on for ever (seen with py-spy: RedisChannelLayer.receive "cancelling" at core.py:340). The loop's
# teardown then never returns and pytest-timeout fails whichever test ran last. Teardown waits at most
# LOOP_CLOSE_SECONDS for the cancelled tasks; what is still running then is left to die with the loop. Test
# bodies and their assertions are untouched: this bounds only the cleanup after a test has finished.
LOOP_CLOSE_SECONDS = 5


def _cancel_all_tasks_bounded(loop) -> None:
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    done, _stuck = loop.run_until_complete(asyncio.wait(tasks, timeout=LOOP_CLOSE_SECONDS))
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler({"message": "unhandled exception during test loop shutdown",
                                         "exception": task.exception(), "task": task})


if hasattr(asyncio.runners, "_cancel_all_tasks"):
    asyncio.runners._cancel_all_tasks = _cancel_all_tasks_bounded


@pytest.fixture
def sms_outbox(settings):
    """The text messages sent during the test (the locmem SMS backend), like pytest-django's mailoutbox."""
    import sms

    settings.SMS_BACKEND = "sms.backends.locmem.SmsBackend"
    sms.outbox = []
    return sms.outbox
