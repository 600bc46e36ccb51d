"""Deliveries from outbox events to a real local HTTP receiver: signatures checked with the standardwebhooks
verifier, the retry schedule, the 410 rule, timeouts, rotation, the event filter and idempotency."""

import datetime
import json
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from campaigns.webhooks import services
from campaigns.webhooks.models import WebhookDelivery, WebhookEndpoint
from crm.customers.services import customer_create
from privtraffic.events.models import Event
from privtraffic.events.services import event_record, event_relay, event_relay_many
from tests import factories

pytestmark = pytest.mark.django_db


def _endpoint(brand, receiver, events=("*",)):
    endpoint, secret = services.webhook_endpoint_create(brand=brand, actor=factories.system(brand),
                                                        url=receiver.url, events=list(events))
    return endpoint, secret


def _record(brand, type_="customer.created", payload=None):
    with transaction.atomic():
        return event_record(brand=brand, type=type_, payload=payload or {"id": 7, "name": "Mei"})


def test_a_new_customer_reaches_the_endpoint_signed_per_the_spec(brand, private_ok, receiver,
                                                                 django_capture_on_commit_callbacks):
    _endpoint_row, secret = _endpoint(brand, receiver)
    assert secret.startswith("whsec_")
    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_create(brand=brand, actor=factories.system(brand), name="Mei Lin",
                                   email="mei@example.com")

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks/in"
    payload = Webhook(secret).verify(request.body, request.headers)  # raises unless the signature is right
    assert payload["type"] == "customer.created"
    assert payload["data"]["customer_id"] == customer.pk
    assert datetime.datetime.fromisoformat(payload["timestamp"]).tzinfo is not None
    event = Event.objects.get(brand=brand, type="customer.created")
    assert request.headers["webhook-id"] == f"msg_{event.id.hex}"
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):  # a tampered body does not verify
        Webhook(secret).verify(request.body.replace("Mei", "Eve"), request.headers)
    with pytest.raises(WebhookVerificationError):  # nor another endpoint's secret
        Webhook(services.secret_generate()).verify(request.body, request.headers)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 1, 200)
    assert delivery.request_headers["webhook-id"] == request.headers["webhook-id"]
    assert delivery.body == request.body and delivery.response_body == '{"ok": true}'
    assert delivery.next_attempt_at is None and delivery.finished_at is not None


def test_failures_back_off_over_a_day_then_fail(brand, private_ok, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    endpoint, secret = _endpoint(brand, receiver)
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.attempts == 1 and delivery.status == "pending"
    assert delivery.last_error == "HTTP 500" and delivery.response_status == 500
    due = delivery.next_attempt_at
    assert datetime.timedelta(seconds=4) < due - t0 < datetime.timedelta(seconds=10)

    expected = [datetime.timedelta(minutes=5), datetime.timedelta(minutes=30), datetime.timedelta(hours=2),
                datetime.timedelta(hours=5), datetime.timedelta(hours=10), datetime.timedelta(hours=10)]
    for step, delay in enumerate(expected, start=2):
        # Not due yet: the dispatcher claims nothing.
        with django_capture_on_commit_callbacks(execute=True):
            assert services.webhooks_dispatch(now=due - datetime.timedelta(seconds=1)) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert services.webhooks_dispatch(now=due) == 1
        delivery.refresh_from_db()
        assert delivery.attempts == step and delivery.status == "pending"
        assert delivery.next_attempt_at == due + delay
        due = delivery.next_attempt_at
    with django_capture_on_commit_callbacks(execute=True):
        assert services.webhooks_dispatch(now=due) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 8, None)
    assert due - t0 > datetime.timedelta(hours=27)  # about a day of retries
    with django_capture_on_commit_callbacks(execute=True):
        assert services.webhooks_dispatch(now=due + datetime.timedelta(days=3)) == 0

    assert len(receiver.requests) == 8
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # stable across retries
    for request in receiver.requests:
        Webhook(secret).verify(request.body, request.headers)
    endpoint.refresh_from_db()
    assert endpoint.active  # failing is not a reason to disable; 410 is


def test_a_retry_that_succeeds_stops_the_schedule(brand, private_ok, receiver, django_capture_on_commit_callbacks):
    receiver.status = 503
    endpoint, _secret = _endpoint(brand, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    receiver.status = 204
    with django_capture_on_commit_callbacks(execute=True):
        services.webhooks_dispatch(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 2, 204)


def test_a_redirect_is_not_followed(brand, private_ok, receiver, django_capture_on_commit_callbacks):
    receiver.status, receiver.location = 302, "http://169.254.169.254/latest/meta-data/"
    endpoint, _secret = _endpoint(brand, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.response_status) == ("pending", 302)


def test_410_gone_disables_the_endpoint(brand, private_ok, receiver, django_capture_on_commit_callbacks):
    receiver.status = 410
    endpoint, _secret = _endpoint(brand, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 1, 410)
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None and "410" in endpoint.disabled_reason
    # A disabled endpoint gets no new deliveries.
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
    assert len(receiver.requests) == 1


def test_a_slow_endpoint_times_out_and_is_retried(brand, private_ok, settings, receiver,
                                                  django_capture_on_commit_callbacks):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.delay = 2.5
    endpoint, _secret = _endpoint(brand, receiver)
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    assert timezone.now() - started < datetime.timedelta(seconds=2.4)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.response_status is None and "timed out" in delivery.last_error
    assert delivery.next_attempt_at is not None


def test_an_unreachable_endpoint_is_an_error_not_a_crash(brand, private_ok, django_capture_on_commit_callbacks):
    from tests.helpers import free_port

    endpoint, _secret = services.webhook_endpoint_create(brand=brand, actor=factories.system(brand),
                                                         url=f"http://127.0.0.1:{free_port()}/x", events=["*"])
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending" and delivery.attempts == 1 and "Connection" in delivery.last_error


def test_private_targets_are_refused_at_send_time_too(brand, private_ok, settings, receiver,
                                                      django_capture_on_commit_callbacks):
    endpoint, _secret = _endpoint(brand, receiver)  # saved while allowed
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert receiver.requests == []
    assert delivery.status == "pending" and "127.0.0.1" in delivery.last_error


def test_rotation_signs_with_both_secrets_for_a_day(brand, private_ok, receiver, django_capture_on_commit_callbacks):
    endpoint, old = _endpoint(brand, receiver)
    new = services.webhook_secret_rotate(endpoint=endpoint, actor=factories.system(brand))
    assert new != old and new.startswith("whsec_")
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)

    # A day later only the new secret signs.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand)
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(request.body, request.headers)


def test_the_event_filter_picks_what_each_endpoint_gets(brand, other_brand, private_ok, receiver,
                                                        django_capture_on_commit_callbacks):
    orders, _s = _endpoint(brand, receiver, events=["order.updated"])
    everything, _s = _endpoint(brand, receiver, events=["*"])
    customers, _s = _endpoint(brand, receiver, events=["customer.created", "member.joined"])
    foreign, _s = _endpoint(other_brand, receiver, events=["*"])
    with django_capture_on_commit_callbacks(execute=True):
        _record(brand, "customer.created")
        _record(brand, "order.updated", {"id": 3, "status": "paid"})
        _record(brand, "staff.updated", {"membership_id": 1})  # internal: never leaves
    got = {(d.endpoint_id, d.event_type) for d in WebhookDelivery.objects.all()}
    assert got == {(orders.pk, "order.updated"), (everything.pk, "customer.created"),
                   (everything.pk, "order.updated"), (customers.pk, "customer.created")}
    assert not WebhookDelivery.objects.filter(endpoint=foreign).exists()
    assert len(receiver.requests) == 4
    assert {json.loads(r.body)["type"] for r in receiver.requests} == {"customer.created", "order.updated"}


def test_a_repeated_relay_delivers_once(brand, private_ok, receiver, django_capture_on_commit_callbacks):
    endpoint, _secret = _endpoint(brand, receiver)
    event = _record(brand)
    actor = factories.system(brand)
    assert services.webhook_deliveries_for_event(actor=actor, event=event) == 1
    assert services.webhook_deliveries_for_event(actor=actor, event=event) == 0  # the second adds nothing
    event.receipts.all().delete()
    event_relay(event=event)
    Event.objects.filter(pk=event.pk).update(relayed_at=None)
    event_relay_many(brand_id=brand.pk, event_ids=[str(event.id)])
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event_id=event.id).count() == 1


def test_a_brand_without_endpoints_keeps_the_bulk_relay(brand, other_brand, django_assert_max_num_queries):
    """The "*" subscriber applies only where an endpoint wants the type: 500 imported customers of a brand
    without webhooks are relayed with one UPDATE, as before."""
    factories.make_webhook_endpoint(other_brand)
    with transaction.atomic():
        events = [event_record(brand=brand, type="customer.created", payload={"id": i}) for i in range(500)]
    with django_assert_max_num_queries(5):
        assert event_relay_many(brand_id=brand.pk, event_ids=[str(e.id) for e in events]) == 500


def test_a_test_event_and_a_redelivery(brand, private_ok, receiver, django_capture_on_commit_callbacks):
    endpoint, secret = _endpoint(brand, receiver, events=["order.updated"])
    actor = factories.system(brand)
    with django_capture_on_commit_callbacks(execute=True):
        test = services.webhook_test_send(endpoint=endpoint, actor=actor)
    assert Webhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)["type"] == "webhook.test"
    test.refresh_from_db()
    assert test.status == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        again = services.webhook_delivery_redeliver(delivery=test, actor=actor)
    again.refresh_from_db()
    assert again.status == "succeeded" and again.redelivery_of_id == test.pk
    assert receiver.requests[1].headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]
    assert receiver.requests[1].body == receiver.requests[0].body


def test_a_claim_is_used_once(brand, private_ok, receiver, django_capture_on_commit_callbacks):
    """Two dispatchers at once take different rows; a task holding a stale claim sends nothing."""
    endpoint, _secret = _endpoint(brand, receiver)
    delivery = factories.make_webhook_delivery(brand, endpoint, next_attempt_at=timezone.now())
    claim, claimed = services.webhook_deliveries_claim(now=timezone.now())
    assert claimed == [(brand.pk, delivery.pk)]
    assert services.webhook_deliveries_claim(now=timezone.now())[1] == []  # leased
    assert services.webhook_delivery_attempt(brand_id=brand.pk, delivery_id=delivery.pk, claim=str(uuid.uuid4())) is None
    assert services.webhook_delivery_attempt(brand_id=brand.pk, delivery_id=delivery.pk, claim=claim) == "succeeded"
    assert services.webhook_delivery_attempt(brand_id=brand.pk, delivery_id=delivery.pk, claim=claim) is None
    assert len(receiver.requests) == 1
    # A worker that died mid-attempt: the lease runs out and the dispatcher claims it again.
    lost = factories.make_webhook_delivery(brand, endpoint, next_attempt_at=timezone.now())
    services.webhook_deliveries_claim(now=timezone.now())
    later = timezone.now() + services.CLAIM_LEASE + datetime.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.webhooks_dispatch(now=later) == 1
    lost.refresh_from_db()
    assert lost.status == "succeeded" and lost.attempts == 2


def test_old_finished_deliveries_are_pruned_pending_ones_stay(brand):
    endpoint = factories.make_webhook_endpoint(brand)
    old_done = factories.make_webhook_delivery(brand, endpoint, status="succeeded")
    old_pending = factories.make_webhook_delivery(brand, endpoint)
    fresh_failed = factories.make_webhook_delivery(brand, endpoint, status="failed")
    WebhookDelivery.objects.filter(pk__in=[old_done.pk, old_pending.pk]).update(
        created_at=timezone.now() - datetime.timedelta(days=31))
    assert services.webhook_deliveries_prune() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_pending.pk, fresh_failed.pk}


def test_erasing_a_customer_removes_them_from_the_delivery_log(brand, private_ok, receiver,
                                                               django_capture_on_commit_callbacks):
    from crm.privacy.services import customer_erase

    _endpoint(brand, receiver, events=["customer.created"])
    actor = factories.system(brand)
    with django_capture_on_commit_callbacks(execute=True):
        mei = customer_create(brand=brand, actor=actor, name="Mei Lin", email="mei@example.com")
        bo = customer_create(brand=brand, actor=actor, name="Bo Chen", email="bo@example.com")
    assert WebhookDelivery.objects.count() == 2
    customer_erase(customer=mei, actor=actor)
    left = WebhookDelivery.objects.get()
    assert json.loads(left.body)["data"]["customer_id"] == bo.pk and "Mei" not in left.body
