"""/api/v1/webhooks/: endpoints, the secret shown once, rotation, test events, the delivery log, redelivery;
other brands' ids are 404 and hostile input changes nothing."""

import pytest
from standardwebhooks.webhooks import Webhook

from campaigns.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.215.14/hooks"


def test_create_answers_the_secret_once(api, brand):
    response = api.post("/api/v1/webhooks/", {"url": PUBLIC, "events": ["customer.created", "order.updated"],
                                              "description": "CRM sync"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["customer.created", "order.updated"] and body["active"] is True
    endpoint = WebhookEndpoint.objects.get(pk=body["id"], brand=brand)
    assert endpoint.secret == body["secret"]
    assert "secret" not in api.get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    listed = api.get("/api/v1/webhooks/").json()
    assert [e["id"] for e in listed["results"]] == [endpoint.pk] and "secret" not in listed["results"][0]


def test_star_means_all_events(api):
    body = api.post("/api/v1/webhooks/", {"url": PUBLIC, "events": ["order.updated", "*"]}, format="json").json()
    assert body["events"] == ["*"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/", "http://localhost/", "http://169.254.169.254/",
                                 "http://[::1]/", "http://10.0.0.5/x"])
def test_private_targets_are_refused_unless_allowed(api, settings, url):
    error = api_error(api.post("/api/v1/webhooks/", {"url": url, "events": ["*"]}, format="json"), 400,
                      "webhook_target_refused")
    assert error["fields"]["url"]
    assert not WebhookEndpoint.objects.exists()
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert api.post("/api/v1/webhooks/", {"url": url, "events": ["*"]}, format="json").status_code == 201


def test_patch_changes_and_disables(api, brand):
    endpoint = factories.make_webhook_endpoint(brand)
    response = api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"events": ["member.joined"], "active": False},
                         format="json")
    assert response.status_code == 200, response.content
    assert response.json()["events"] == ["member.joined"] and response.json()["active"] is False
    assert response.json()["disabled_at"] and response.json()["disabled_reason"]
    api_error(api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"url": "http://192.168.0.1/"}, format="json"), 400,
              "webhook_target_refused")
    response = api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"active": True}, format="json")
    assert response.json()["active"] is True and response.json()["disabled_at"] is None
    endpoint.refresh_from_db()
    assert endpoint.url == "https://192.0.2.10/hooks"
    assert api.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_rotate_secret_answers_the_new_one(api, brand):
    endpoint = factories.make_webhook_endpoint(brand)
    old = endpoint.secret
    body = api.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/", format="json").json()
    assert body["secret"].startswith("whsec_") and body["secret"] != old
    assert body["previous_secret_expires_at"]
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (body["secret"], old)


def test_send_a_test_event_and_redeliver_through_the_api(api, brand, private_ok, receiver,
                                                         django_capture_on_commit_callbacks):
    created = api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["order.updated"]}, format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/webhooks/{created['id']}/test/", format="json")
    assert response.status_code == 202, response.content
    assert response.json()["event_type"] == "webhook.test"
    Webhook(created["secret"]).verify(receiver.requests[0].body, receiver.requests[0].headers)

    log = api.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()
    assert log["next"] is None and len(log["results"]) == 1
    first = log["results"][0]
    assert first["status"] == "succeeded" and first["attempts"] == 1
    assert first["request"]["headers"]["webhook-id"] == first["webhook_id"]
    assert first["request"]["body"] == receiver.requests[0].body
    assert first["response"] == {"status": 200, "body": '{"ok": true}', "duration_ms": first["response"]["duration_ms"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/webhooks/{created['id']}/deliveries/{first['id']}/redeliver/", format="json")
    assert response.status_code == 202 and response.json()["redelivery_of"] == first["id"]
    assert receiver.requests[1].headers["webhook-id"] == first["webhook_id"]
    assert [d["status"] for d in api.get(f"/api/v1/webhooks/{created['id']}/deliveries/?status=succeeded")
            .json()["results"]] == ["succeeded", "succeeded"]


def test_a_disabled_endpoint_sends_no_test(api, brand):
    endpoint = factories.make_webhook_endpoint(brand, active=False)
    api_error(api.post(f"/api/v1/webhooks/{endpoint.pk}/test/", format="json"), 409, "webhook_disabled")
    delivery = factories.make_webhook_delivery(brand, endpoint)
    api_error(api.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/", format="json"), 409,
              "webhook_disabled")
    assert WebhookDelivery.objects.count() == 1


def test_delivery_log_is_paginated_in_few_queries(api, brand, django_assert_max_num_queries):
    endpoint = factories.make_webhook_endpoint(brand)
    for _ in range(30):
        factories.make_webhook_delivery(brand, endpoint)
    with django_assert_max_num_queries(8):
        page = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?limit=20").json()
    assert len(page["results"]) == 20 and page["next"]
    with django_assert_max_num_queries(8):
        rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 10 and rest["next"] is None
    for _ in range(10):
        factories.make_webhook_endpoint(brand)
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/webhooks/").json()["results"]) == 11


def test_other_brands_webhooks_are_404(api, brand, other_brand):
    theirs = factories.make_webhook_endpoint(other_brand)
    their_delivery = factories.make_webhook_delivery(other_brand, theirs)
    mine = factories.make_webhook_endpoint(brand)
    for method, url in [("get", f"/api/v1/webhooks/{theirs.pk}/"), ("patch", f"/api/v1/webhooks/{theirs.pk}/"),
                        ("delete", f"/api/v1/webhooks/{theirs.pk}/"),
                        ("post", f"/api/v1/webhooks/{theirs.pk}/rotate-secret/"),
                        ("post", f"/api/v1/webhooks/{theirs.pk}/test/"),
                        ("get", f"/api/v1/webhooks/{theirs.pk}/deliveries/"),
                        ("post", f"/api/v1/webhooks/{theirs.pk}/deliveries/{their_delivery.pk}/redeliver/"),
                        ("post", f"/api/v1/webhooks/{mine.pk}/deliveries/{their_delivery.pk}/redeliver/")]:
        api_error(getattr(api, method)(url, {"active": False}, format="json"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.active and WebhookDelivery.objects.filter(brand=brand).count() == 0
    assert api.get("/api/v1/webhooks/").json()["results"] == [{**api.get(f"/api/v1/webhooks/{mine.pk}/").json()}]


@pytest.mark.parametrize("body", [
    {"url": PUBLIC},
    {"events": ["*"]},
    {"url": PUBLIC, "events": []},
    {"url": PUBLIC, "events": "*"},
    {"url": PUBLIC, "events": ["no.such.event"]},
    {"url": PUBLIC, "events": [["*"]]},
    {"url": PUBLIC, "events": [1]},
    {"url": PUBLIC, "events": ["*"] * 100},
    {"url": ["https://93.184.215.14/"], "events": ["*"]},
    {"url": 12, "events": ["*"]},
    {"url": "https://93.184.215.14/\x00", "events": ["*"]},
    {"url": "javascript:alert(1)", "events": ["*"]},
    {"url": "https://93.184.215.14/" + "a" * 3000, "events": ["*"]},
    {"url": PUBLIC, "events": ["*"], "description": "a\x00b"},
    {"url": PUBLIC, "events": ["*"], "description": {"x": 1}},
    {"url": PUBLIC, "events": ["*"], "description": "line\nbreak"},
])
def test_hostile_input_is_a_clear_400_that_creates_nothing(api, body):
    response = api.post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"error"}
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/webhooks/abc/", "/api/v1/webhooks/99999999999999999999999/",
                                  "/api/v1/webhooks/%C2%B2/"])
def test_bad_ids_are_404(api, path):
    assert api.get(path).status_code == 404


def test_bad_status_filter_is_400(api, brand):
    endpoint = factories.make_webhook_endpoint(brand)
    api_error(api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?status=weird"), 400, "invalid")


def test_the_schema_documents_the_signature_headers(client, db):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    post = schema["paths"]["/api/v1/webhooks/"]["post"]
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature", "Webhook(secret).verify"):
        assert header in post["description"]
    assert "secret" in str(post["responses"]["201"])
    assert {"/api/v1/webhooks/{endpoint_id}/rotate-secret/", "/api/v1/webhooks/{endpoint_id}/test/",
            "/api/v1/webhooks/{endpoint_id}/deliveries/",
            "/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver/"} <= set(schema["paths"])
