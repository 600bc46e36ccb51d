"""Django's Redis cache with one connection pool per process instead of one per request.

Django keeps a cache object per thread and async context; under ASGI every request runs in a context of its
own, so each request built a new cache object with a new connection pool, and opened a new TCP connection to
Redis for the API-key throttle's first command (S7 in docs/benchmarks.md). The pools are kept here, per server
and options, and shared by every cache object of the process (redis-py's pools are thread-safe and reset
themselves in a forked child).

The pool blocks for a connection instead of failing: redis-py's plain pool refuses a command past
`max_connections` (default 100), and 200 concurrent API requests (bench S6) each holding one for a command
made the throttle fail open and the outbox relay go unscheduled ("Too many connections"). A request now
waits (at most POOL_TIMEOUT seconds) for one of MAX_CONNECTIONS connections (the cache's OPTIONS may set
`max_connections` and `timeout`).
"""

import threading

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

MAX_CONNECTIONS = 500
POOL_TIMEOUT = 5

_pools: dict[tuple[str, str], tuple] = {}
_pools_lock = threading.Lock()


class SharedPoolRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        return self._shared(write)[0]

    def get_client(self, key=None, *, write=False):
        # One redis-py client per pool, shared by the process's threads (a client over a pool is thread-safe):
        # building one per command (Django's default) cost ~0.1 ms of CPU each, the most of a throttle check.
        return self._shared(write)[1]

    def _shared(self, write) -> tuple:
        server = self._servers[self._get_connection_pool_index(write)]
        key = (server, repr(sorted((name, repr(value)) for name, value in self._pool_options.items())))
        shared = _pools.get(key)
        if shared is None:
            with _pools_lock:
                shared = _pools.get(key)
                if shared is None:
                    options = {"max_connections": MAX_CONNECTIONS, "timeout": POOL_TIMEOUT, **self._pool_options}
                    pool = redis.BlockingConnectionPool.from_url(server, **options)
                    shared = _pools[key] = (pool, self._client(connection_pool=pool))
        return shared


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient


def redis_client() -> redis.Redis | None:
    """The redis-py client behind the default cache, for the few counters that need one round trip of several
    commands (a pipeline or a script: the API-key throttle, the chat flood limit); None when the cache is not
    Redis (the embedded default's local memory), where the caller keeps to the cache API. Keys must still go
    through the cache's `make_and_validate_key`, so they share its prefix and version."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(write=True)
    return None
