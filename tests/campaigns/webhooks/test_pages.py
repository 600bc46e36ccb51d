"""/b/<slug>/webhooks/: admins and owners create endpoints (the secret shown once), rotate, disable, send a
test event and redeliver from the delivery log."""

import pytest
from standardwebhooks.webhooks import Webhook

from campaigns.webhooks.models import WebhookDelivery, WebhookEndpoint
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_only_admins_and_owners_see_webhooks(brand, login, owner, marketer, rep):
    for member, status in [(owner, 200), (factories.make_member(brand, Role.ADMIN), 200), (marketer, 403),
                           (rep, 403)]:
        client = login(member)
        assert client.get(f"/b/{brand.slug}/webhooks/").status_code == status
        home = client.get(f"/b/{brand.slug}/").content.decode()
        assert (f'href="/b/{brand.slug}/webhooks/"' in home) == (status == 200)
    endpoint = factories.make_webhook_endpoint(brand)
    client = login(marketer)
    assert client.post(f"/b/{brand.slug}/webhooks/", {"url": "https://93.184.215.14/", "events": ["*"]}
                       ).status_code == 403
    assert client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/rotate/").status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_create_shows_the_secret_once(brand, login, owner):
    client = login(owner)
    response = client.post(f"/b/{brand.slug}/webhooks/", {
        "url": "https://93.184.215.14/in", "description": "ERP", "events": ["order.updated", "coupon.redeemed"]})
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(brand=brand)
    assert endpoint.events == ["order.updated", "coupon.redeemed"]
    page = response.content.decode()
    assert endpoint.secret in page and 'id="new-webhook-secret"' in page
    again = client.get(f"/b/{brand.slug}/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in again
    assert "https://93.184.215.14/in" in client.get(f"/b/{brand.slug}/webhooks/").content.decode()


def test_create_refuses_a_private_target_on_the_form(brand, login, owner):
    response = login(owner).post(f"/b/{brand.slug}/webhooks/", {"url": "http://127.0.0.1:8000/", "events": ["*"]})
    assert response.status_code == 400
    assert "private" in response.content.decode()
    response = login(owner).post(f"/b/{brand.slug}/webhooks/", {"url": "https://93.184.215.14/"})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_rotate_disable_enable_edit_delete(brand, login, owner):
    client = login(owner)
    endpoint = factories.make_webhook_endpoint(brand)
    old = endpoint.secret
    page = client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/rotate/").content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old and endpoint.secret in page
    client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/active/", {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason
    client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/active/", {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None
    response = client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/", {
        "edit-url": "https://93.184.215.15/v2", "edit-description": "", "edit-events": ["member.joined"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == ("https://93.184.215.15/v2", ["member.joined"])
    response = client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/", {
        "edit-url": "http://10.0.0.1/", "edit-events": ["*"]})
    assert response.status_code == 400
    client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.exists()


def test_send_test_event_and_redeliver_from_the_log(brand, login, owner, private_ok, receiver,
                                                    django_capture_on_commit_callbacks):
    client = login(owner)
    client.post(f"/b/{brand.slug}/webhooks/", {"url": receiver.url, "events": ["*"]})
    endpoint = WebhookEndpoint.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/test/")
    assert response.status_code == 302
    Webhook(endpoint.secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    delivery = WebhookDelivery.objects.get()
    page = client.get(f"/b/{brand.slug}/webhooks/{endpoint.pk}/").content.decode()
    assert "webhook.test" in page and "webhook-signature" in page and "HTTP 200" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/b/{brand.slug}/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert len(receiver.requests) == 2 and WebhookDelivery.objects.count() == 2


def test_other_brands_endpoints_are_404(brand, other_brand, login, owner):
    theirs = factories.make_webhook_endpoint(other_brand)
    their_delivery = factories.make_webhook_delivery(other_brand, theirs)
    mine = factories.make_webhook_endpoint(brand)
    client = login(owner)
    assert client.get(f"/b/{brand.slug}/webhooks/{theirs.pk}/").status_code == 404
    for action in ("rotate", "active", "delete", "test"):
        assert client.post(f"/b/{brand.slug}/webhooks/{theirs.pk}/{action}/").status_code == 404
    assert client.post(f"/b/{brand.slug}/webhooks/{mine.pk}/deliveries/{their_delivery.pk}/redeliver/"
                       ).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=theirs.pk, active=True).exists()
    assert WebhookDelivery.objects.filter(brand=brand).count() == 0
