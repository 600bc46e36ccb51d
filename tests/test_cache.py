"""The Redis cache shares one connection pool per process: Django makes a cache object per thread and async
context (under uvicorn, per request task), and each used to build its own pool and connection."""

from django.core.cache import caches


def test_new_cache_objects_use_the_same_pool():
    first, second = caches.create_connection("default"), caches.create_connection("default")
    assert first is not second
    first.set("shared-pool", 1)
    assert second.get("shared-pool") == 1
    assert first._cache._get_connection_pool(True) is second._cache._get_connection_pool(False)
