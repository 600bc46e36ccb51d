"""The per-key API limit: counted atomically, so parallel clients cannot all pass on one stale count."""

import threading

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from privtraffic.tenancy.api_auth import ApiKeyRateThrottle, rate_parse
from privtraffic.tenancy.models import ApiKey


class _Request:
    def __init__(self, key: ApiKey):
        self.auth = key


def test_rate_forms():
    assert rate_parse("100/s") == (100, 1)
    assert rate_parse("6000/min") == (6000, 60)
    assert rate_parse("6000/m") == (6000, 60)
    assert rate_parse("1000/hour") == (1000, 3600)
    assert rate_parse(" 5 / days ") == (5, 86400)
    for bad in ("", "fast", "100", "100/fortnight", "-1/s"):
        with pytest.raises(ImproperlyConfigured):
            rate_parse(bad)


def test_default_rate_fits_a_real_sync():
    limit, window = rate_parse(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"])
    assert limit / window >= 100


def test_sixteen_parallel_clients_get_exactly_the_limit(monkeypatch):
    """16 threads against the Redis cache of the test run: exactly N pass (the read-then-write throttle let all pass)."""
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    limit = 50
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": f"{limit}/hour"})
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: 7200.5))  # one window for the whole run
    request = _Request(ApiKey(prefix="parallel1"))
    allowed = []
    start = threading.Barrier(16)

    def client():
        start.wait()
        for _ in range(20):
            allowed.append(ApiKeyRateThrottle().allow_request(request, None))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 320
    assert allowed.count(True) == limit
    # The next window starts a fresh count; the refusal says how long to wait.
    throttle = ApiKeyRateThrottle()
    assert throttle.allow_request(request, None) is False
    assert throttle.wait() == 3600  # seconds to the end of the window, rounded up
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: 10800.5))
    assert ApiKeyRateThrottle().allow_request(request, None) is True


def test_local_memory_cache_counts_atomically_too(monkeypatch):
    """The embedded default's cache (LocMemCache) holds the same limit under threads."""
    from django.core.cache.backends.locmem import LocMemCache

    import privtraffic.tenancy.api_auth as api_auth

    local = LocMemCache("throttle-test", {})
    monkeypatch.setattr(api_auth, "cache", local)
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "30/min"})
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: 600.0))
    request = _Request(ApiKey(prefix="parallel2"))
    allowed = []

    def client():
        for _ in range(10):
            allowed.append(ApiKeyRateThrottle().allow_request(request, None))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 30


def test_the_limit_is_not_counted_while_the_cache_is_unreachable(settings, caplog):
    """Redis down: the API serves (its writes go to PostgreSQL) instead of failing every call; a warning says why.
    The whole-app version is tests/faults/test_redis_stopped.py."""
    from tests.helpers import free_port

    # Nothing listens there; the settings fixture swaps the cache client (and restores it after the test).
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    assert ApiKeyRateThrottle().allow_request(_Request(ApiKey(prefix="nocache1")), None) is True
    assert "the cache is unavailable" in caplog.text
