"""The API key check per request: a key used lately is not looked up in PostgreSQL again, yet a revoke holds at
once, the throttle still counts every call, and without Redis PostgreSQL decides."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from privtraffic.tenancy import api_auth
from privtraffic.tenancy.api_auth import ApiKeyRateThrottle
from privtraffic.tenancy.models import ApiKey
from privtraffic.tenancy.services import api_key_revoke
from tests import factories
from tests.helpers import api_error, free_port


def _client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def _key_queries(client: APIClient, all_queries: list | None = None) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get("/api/v1/stores/").status_code
    if all_queries is not None:
        all_queries += [q["sql"] for q in queries.captured_queries]
    return status, [q["sql"] for q in queries.captured_queries if "tenancy_apikey" in q["sql"]]


def test_a_key_used_lately_is_not_looked_up_again(brand, api_key):
    client = _client(api_key)
    status, first = _key_queries(client)
    assert status == 200 and len(first) == 2  # the lookup and the once-a-minute last_used_at
    factories.make_store(brand)
    factories.make_store(brand)
    every: list[str] = []
    status, second = _key_queries(client, every)
    assert status == 200 and second == []
    assert len(every) == 1  # the page of stores: one query, whatever the number of stores
    # Past the cache's few seconds the key is read again.
    api_auth._key_cache.clear()
    status, third = _key_queries(client)
    assert status == 200 and len(third) == 1


def test_a_revoke_holds_at_once_for_a_cached_key(brand, api_key, django_capture_on_commit_callbacks):
    client, other = _client(api_key), _client(factories.make_api_key(brand))
    assert client.get("/api/v1/stores/").status_code == 200
    assert client.get("/api/v1/stores/").status_code == 200  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=ApiKey.objects.get(prefix=api_key.split("_")[1]), actor=factories.system(brand))
    api_error(client.get("/api/v1/stores/"), 401, "authentication_failed")
    api_error(client.get("/api/v1/stores/"), 401, "authentication_failed")
    assert other.get("/api/v1/stores/").status_code == 200  # the brand's other key is untouched


def test_a_cached_key_still_counts_for_the_throttle(brand, api_key, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/hour"})
    client = _client(api_key)
    assert [client.get("/api/v1/stores/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/stores/")
    api_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) >= 1
    # Another key of the brand has its own count.
    assert _client(factories.make_api_key(brand)).get("/api/v1/stores/").status_code == 200


def test_without_redis_postgresql_decides_and_the_throttle_fails_open(brand, api_key, settings, monkeypatch):
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1/hour"})
    client = _client(api_key)
    assert client.get("/api/v1/stores/").status_code == 200  # cached now
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1}}}
    status, lookups = _key_queries(client)
    assert status == 200 and len(lookups) >= 1  # over the limit of 1, but nothing counts it: served
    # Revoked while Redis is down (its mark cannot be written): the cached entry is not trusted without Redis.
    api_key_revoke(api_key=ApiKey.objects.get(prefix=api_key.split("_")[1]), actor=factories.system(brand))
    api_error(client.get("/api/v1/stores/"), 401, "authentication_failed")
