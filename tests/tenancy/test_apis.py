import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from privtraffic.tenancy.models import ApiKey, IdempotencyRecord, Membership, Store
from privtraffic.tenancy.services import api_key_revoke
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db


def _client(key: str | None = None, header: str | None = None) -> APIClient:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client




# --- authentication -------------------------------------------------------------------------


def test_missing_key_is_401_with_error_object(brand):
    error = api_error(_client().get("/api/v1/stores/"), 401, "not_authenticated")
    assert "credentials" in error["message"].lower()


@pytest.mark.parametrize(
    "header",
    ["Bearer pt_nope_nope", "Bearer not-a-key", "Token abc", "Bearer", "Bearer a b"],
)
def test_wrong_key_is_401(brand, header):
    response = _client(header=header).get("/api/v1/stores/")
    api_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_key_with_right_prefix_but_wrong_secret_is_401(brand, api_key):
    tampered = api_key[:-4] + ("AAAA" if not api_key.endswith("AAAA") else "BBBB")
    api_error(_client(tampered).get("/api/v1/stores/"), 401, "authentication_failed")


def test_revoked_key_is_401(brand, api_key):
    client = _client(api_key)
    assert client.get("/api/v1/stores/").status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get(brand=brand), actor=factories.system(brand))
    api_error(client.get("/api/v1/stores/"), 401, "authentication_failed")


def test_key_records_last_used(brand, api_key):
    assert ApiKey.objects.get(brand=brand).last_used_at is None
    _client(api_key).get("/api/v1/stores/")
    assert ApiKey.objects.get(brand=brand).last_used_at is not None


def test_key_only_sees_its_own_brand(brand, other_brand, api):
    factories.make_store(brand, "Acme Shanghai")
    factories.make_store(other_brand, "Globex Beijing")
    names = [s["name"] for s in api.get("/api/v1/stores/").json()["results"]]
    assert names == ["Acme Shanghai"]


# --- stores ---------------------------------------------------------------------------------


def test_store_create_and_read(brand, api):
    response = api.post("/api/v1/stores/", {"name": "Jing'an", "city": "Shanghai"}, format="json")
    assert response.status_code == 201
    store = response.json()
    assert store["name"] == "Jing'an" and store["city"] == "Shanghai"
    assert Store.objects.get(pk=store["id"]).brand == brand
    assert api.get(f"/api/v1/stores/{store['id']}/").json()["name"] == "Jing'an"


def test_store_update(brand, api):
    store = factories.make_store(brand, "Old")
    response = api.patch(f"/api/v1/stores/{store.pk}/", {"name": "New"}, format="json")
    assert response.status_code == 200
    store.refresh_from_db()
    assert store.name == "New"


@pytest.mark.parametrize(
    "body, field",
    [({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 121}, "name"), ({"name": "ok", "city": "c" * 81}, "city")],
)
def test_store_create_bad_body_names_the_field_and_changes_nothing(brand, api, body, field):
    error = api_error(api.post("/api/v1/stores/", body, format="json"), 400, "invalid")
    assert field in error["fields"]
    assert not Store.objects.filter(brand=brand).exists()


def test_store_duplicate_name_is_409(brand, api):
    factories.make_store(brand, "Same")
    error = api_error(api.post("/api/v1/stores/", {"name": "Same"}, format="json"), 409, "duplicate")
    assert "name" in error["fields"]
    assert Store.objects.filter(brand=brand, name="Same").count() == 1


def test_malformed_json_is_400_parse_error(brand, api):
    response = api.post("/api/v1/stores/", "{not json", content_type="application/json")
    api_error(response, 400, "parse_error")


def test_unknown_route_under_api_is_json_404(brand, api):
    api_error(api.get("/api/v1/nothing-here/"), 404, "not_found")
    api_error(api.get("/api/v1/stores/not-a-number/"), 404, "not_found")


def test_method_not_allowed_uses_error_object(brand, api):
    api_error(api.delete("/api/v1/stores/"), 405, "method_not_allowed")


# --- pagination and query counts --------------------------------------------------------------


def test_store_list_is_cursor_paginated(brand, api):
    for i in range(7):
        factories.make_store(brand, f"Store {i}")
    first = api.get("/api/v1/stores/?limit=5").json()
    assert set(first) == {"results", "next", "previous"}
    assert len(first["results"]) == 5 and first["next"] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    ids = [s["id"] for s in first["results"] + second["results"]]
    assert len(set(ids)) == 7


@pytest.mark.parametrize("path, make", [
    ("/api/v1/stores/", lambda b: factories.make_store(b)),
    ("/api/v1/reps/", lambda b: factories.make_member(b)),
])
def test_list_endpoints_run_constant_queries(brand, api, path, make):
    make(brand)
    api.get(path)  # the key's first use writes last_used_at; measure steady state
    with CaptureQueriesContext(connection) as small:
        assert api.get(path).status_code == 200
    for _ in range(10):
        make(brand)
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(path).json()["results"]) >= 11
    assert len(large) == len(small)


# --- reps -----------------------------------------------------------------------------------


def test_rep_create_makes_a_rep_of_a_store(brand, api, mailoutbox, django_capture_on_commit_callbacks):
    store = factories.make_store(brand)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/reps/", {"email": "New.Rep@Example.test", "name": "New Rep", "store": store.pk},
                            format="json")
    assert response.status_code == 201, response.content
    rep = response.json()
    assert rep["email"] == "new.rep@example.test" and rep["store"] == store.pk and rep["is_active"]
    assert Membership.objects.get(pk=rep["id"]).role == "rep"
    assert mailoutbox and mailoutbox[0].to == ["new.rep@example.test"]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_rep_create_with_other_brand_store_is_404(brand, other_brand, api):
    foreign = factories.make_store(other_brand)
    response = api.post("/api/v1/reps/", {"email": "a@example.test", "store": foreign.pk}, format="json")
    api_error(response, 404, "not_found")
    assert not Membership.objects.filter(brand=brand, role="rep").exists()


def test_rep_create_bad_email_is_400(brand, api):
    store = factories.make_store(brand)
    error = api_error(api.post("/api/v1/reps/", {"email": "nope", "store": store.pk}, format="json"), 400, "invalid")
    assert "email" in error["fields"]


def test_rep_list_filters_by_store_and_hides_non_reps(brand, api):
    rep = factories.make_member(brand)
    factories.make_member(brand)
    factories.make_member(brand, "marketer")
    results = api.get(f"/api/v1/reps/?store={rep.store_id}").json()["results"]
    assert [r["id"] for r in results] == [rep.pk]
    assert len(api.get("/api/v1/reps/").json()["results"]) == 2


def test_rep_move_store_and_deactivate(brand, api):
    rep = factories.make_member(brand)
    other_store = factories.make_store(brand)
    response = api.patch(f"/api/v1/reps/{rep.pk}/", {"store": other_store.pk, "is_active": False}, format="json")
    assert response.status_code == 200
    rep.refresh_from_db()
    assert rep.store == other_store and not rep.is_active


def test_reps_endpoint_does_not_expose_owner(brand, api):
    owner = factories.owner_of(brand)
    api_error(api.get(f"/api/v1/reps/{owner.pk}/"), 404, "not_found")


# --- idempotency ------------------------------------------------------------------------------


def test_idempotent_repeat_returns_first_response(brand, api):
    first = api.post("/api/v1/stores/", {"name": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/stores/", {"name": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Store.objects.filter(brand=brand, name="Once").count() == 1


def test_idempotency_key_with_different_body_is_409(brand, api):
    api.post("/api/v1/stores/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = api.post("/api/v1/stores/", {"name": "B"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    api_error(response, 409, "idempotency_conflict")
    assert not Store.objects.filter(brand=brand, name="B").exists()


def test_idempotency_replays_errors_too(brand, api):
    first = api.post("/api/v1/stores/", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    again = api.post("/api/v1/stores/", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == again.status_code == 400
    assert first.json() == again.json()


def test_idempotency_keys_are_per_brand(brand, other_brand, api):
    other = _client(factories.make_api_key(other_brand))
    assert api.post("/api/v1/stores/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    response = other.post("/api/v1/stores/", {"name": "B"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201 and response.json()["name"] == "B"
    assert IdempotencyRecord.objects.filter(key="shared").count() == 2


def test_overlong_idempotency_key_is_rejected(brand, api):
    response = api.post("/api/v1/stores/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    api_error(response, 400, "invalid_idempotency_key")
    assert not Store.objects.filter(brand=brand).exists()


def test_idempotency_records_are_pruned(brand, api):
    from datetime import timedelta

    from django.utils import timezone

    from privtraffic.tenancy.tasks import prune_idempotency_records

    api.post("/api/v1/stores/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    api.post("/api/v1/stores/", {"name": "B"}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=2))
    assert prune_idempotency_records.apply().result == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


# --- throttling and schema --------------------------------------------------------------------


def test_throttle_per_key(brand, settings, api, other_brand):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "3/min"}
    from privtraffic.tenancy.api_auth import ApiKeyRateThrottle

    original = ApiKeyRateThrottle.THROTTLE_RATES
    ApiKeyRateThrottle.THROTTLE_RATES = rates
    try:
        for _ in range(3):
            assert api.get("/api/v1/stores/").status_code == 200
        response = api.get("/api/v1/stores/")
        api_error(response, 429, "throttled")
        assert int(response["Retry-After"]) > 0
        other = _client(factories.make_api_key(other_brand))
        assert other.get("/api/v1/stores/").status_code == 200  # another key has its own budget
    finally:
        ApiKeyRateThrottle.THROTTLE_RATES = original
        cache.clear()


def test_openapi_schema_and_offline_docs(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    body = schema.content.decode()
    assert "/api/v1/stores/" in body and "/api/v1/reps/{rep_id}/" in body
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()


def test_unexpected_error_frees_the_idempotency_key(brand, api, monkeypatch):
    from privtraffic.tenancy import apis

    def boom(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(apis.services, "store_create", boom)
    client = api
    client.raise_request_exception = False
    response = client.post("/api/v1/stores/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert response.status_code == 500
    assert not IdempotencyRecord.objects.filter(key="retry-me").exists()
    monkeypatch.undo()
    retry = client.post("/api/v1/stores/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert retry.status_code == 201
