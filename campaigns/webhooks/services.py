"""Outbound webhooks: endpoints (create, change, rotate the secret, delete), deliveries made from outbox
events, and their attempts with retries.

The path of one event: the outbox relay hands it to the `campaigns.webhooks` subscriber, which writes one
WebhookDelivery per active endpoint that wants its type (one INSERT, idempotent by endpoint and event) and,
after commit, queues the first attempt. An attempt is claimed first (a short transaction, SKIP LOCKED, a
lease), then sent outside any transaction, then recorded by the holder of the claim. A failed attempt is due
again after the next delay of RETRY_DELAYS; `webhooks_dispatch` (every CAMPAIGN_DISPATCH_SECONDS) claims what is
due, so a restart or a lost task loses nothing.
"""

import base64
import datetime
import json
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.events.models import Event
from privtraffic.tenancy.actors import Actor, SystemActor, actor_label, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.roles import Perm

from .catalogue import ALL, EVENT_TYPES, TEST_EVENT, wants
from .models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from .sending import http_post, signed_headers
from .targets import target_check, target_resolve

# After attempt n fails, attempt n+1 is due RETRY_DELAYS[n-1] later; the first attempt is immediate. Eight
# attempts over about 27 hours, then the delivery has failed.
RETRY_DELAYS = [
    datetime.timedelta(seconds=5),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=10),
]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A claimed attempt whose worker died is due again after this (longer than any attempt can take).
CLAIM_LEASE = datetime.timedelta(minutes=2)
# The previous secret keeps signing for this long after a rotation.
ROTATION_OVERLAP = datetime.timedelta(hours=24)
MAX_ENDPOINTS = 20
MAX_EVENTS = len(EVENT_TYPES) + 1
_UNSET: Any = object()


def secret_generate() -> str:
    """`whsec_` + 32 random bytes in base64 (the Standard Webhooks secret format)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _events_clean(events: object) -> list[str]:
    def refuse(message: str) -> ApplicationError:
        return ApplicationError("invalid", message, fields={"events": [message]})

    if not isinstance(events, list | tuple) or not events or len(events) > MAX_EVENTS:
        raise refuse(_("Choose at least one event type, or \"*\" for all."))
    cleaned: list[str] = []
    for name in events:
        if not isinstance(name, str) or (name != ALL and name not in EVENT_TYPES):
            shown = name if isinstance(name, str) and len(name) <= 64 and name.isprintable() else "?"
            raise refuse(_("Unknown event type: %(name)s.") % {"name": shown})
        if name not in cleaned:
            cleaned.append(name)
    return [ALL] if ALL in cleaned else cleaned


def _description_clean(description: object) -> str:
    if not isinstance(description, str) or len(description) > 200 or not description.isprintable():
        message = _("At most 200 characters, on one line.")
        raise ApplicationError("invalid", message, fields={"description": [message]})
    return description.strip()


def webhook_endpoint_create(*, brand: Brand, actor: Actor, url: str, events: list[str],
                            description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new endpoint; returns it and its secret (the only time the secret is handed out)."""
    authorize(actor, Perm.MANAGE_SETTINGS, brand, what="brand")
    url = target_check(url)
    events = _events_clean(events)
    description = _description_clean(description)
    with transaction.atomic():
        Brand.objects.select_for_update().filter(pk=brand.pk).first()  # the count below is exact per brand
        if WebhookEndpoint.objects.filter(brand=brand).count() >= MAX_ENDPOINTS:
            raise ApplicationError("too_many_webhooks", _("A brand has at most %(max)d webhook endpoints.")
                                   % {"max": MAX_ENDPOINTS}, status=409)
        secret = secret_generate()
        endpoint = WebhookEndpoint.objects.create(brand=brand, url=url, events=events, description=description,
                                                  secret=secret)
    return endpoint, secret


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, actor: Actor, url: str = _UNSET,
                            events: list[str] = _UNSET, description: str = _UNSET,
                            active: bool = _UNSET) -> WebhookEndpoint:
    """Change the URL, the event filter or the description; `active` disables or re-enables the endpoint."""
    authorize(actor, Perm.MANAGE_SETTINGS, endpoint, what="webhook")
    changes: dict[str, Any] = {}
    if url is not _UNSET:
        changes["url"] = target_check(url)
    if events is not _UNSET:
        changes["events"] = _events_clean(events)
    if description is not _UNSET:
        changes["description"] = _description_clean(description)
    if active is not _UNSET:
        if not isinstance(active, bool):
            raise ApplicationError("invalid", _("active is true or false."), fields={"active": ["true or false"]})
        if active != endpoint.active:
            changes["active"] = active
            changes["disabled_at"] = None if active else timezone.now()
            changes["disabled_reason"] = "" if active else _("Disabled by %(who)s.") % {"who": actor_label(actor)}
    if changes:
        changes["updated_at"] = timezone.now()
        for name, value in changes.items():
            setattr(endpoint, name, value)
        endpoint.save(update_fields=list(changes))
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: Actor) -> None:
    authorize(actor, Perm.MANAGE_SETTINGS, endpoint, what="webhook")
    endpoint.delete()


def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: Actor) -> str:
    """A new secret, returned once; the current one keeps signing alongside it for ROTATION_OVERLAP."""
    authorize(actor, Perm.MANAGE_SETTINGS, endpoint, what="webhook")
    secret = secret_generate()
    now = timezone.now()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret, locked.previous_secret_expires_at = locked.secret, now + ROTATION_OVERLAP
        locked.secret = secret
        locked.save(update_fields=["previous_secret", "previous_secret_expires_at", "secret", "updated_at"])
    endpoint.secret, endpoint.previous_secret = locked.secret, locked.previous_secret
    endpoint.previous_secret_expires_at = locked.previous_secret_expires_at
    return secret


def signing_secrets(endpoint: WebhookEndpoint, *, at: datetime.datetime) -> list[str]:
    valid_previous = (endpoint.previous_secret and endpoint.previous_secret_expires_at is not None
                      and endpoint.previous_secret_expires_at > at)
    return [endpoint.secret, endpoint.previous_secret] if valid_previous else [endpoint.secret]


# --- deliveries ------------------------------------------------------------------------------------------------


def webhook_body(*, event_type: str, at: datetime.datetime, data: dict[str, Any]) -> str:
    """`{"type", "timestamp", "data"}` as sent (and signed): compact JSON, fixed once per delivery."""
    return json.dumps({"type": event_type, "timestamp": at.astimezone(datetime.UTC).isoformat(), "data": data},
                      cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def _msg_id(event_id: uuid.UUID) -> str:
    return f"msg_{event_id.hex}"


def _queue_first_attempts(brand_id: int, delivery_ids: list[int]) -> None:
    from .tasks import send_webhook_deliveries

    for delivery_id in delivery_ids:  # one task each: a slow endpoint does not hold up the others
        # robust: the deliveries are committed; if the broker is away the dispatcher sends them when due.
        transaction.on_commit(lambda d=delivery_id: send_webhook_deliveries.delay(brand_id, [d]), robust=True)


def webhook_deliveries_for_event(*, actor: SystemActor, event: Event) -> int:
    """The outbox subscriber: one delivery per active endpoint of the brand that wants this event type, in one
    INSERT; a repeated relay of the same event adds nothing. Returns how many were written."""
    authorize(actor, None, event.brand_id, what="event")
    endpoints = [e for e in WebhookEndpoint.objects.filter(brand_id=event.brand_id, active=True).only("events")
                 if wants(e.events, event.type)]
    if not endpoints:
        return 0
    already = set(WebhookDelivery.objects.filter(
        brand_id=event.brand_id, event_id=event.id, redelivery_of__isnull=True).values_list("endpoint_id", flat=True))
    endpoint_ids = [e.pk for e in endpoints if e.pk not in already]
    if not endpoint_ids:
        return 0
    body = webhook_body(event_type=event.type, at=event.created_at, data=event.payload)
    now = timezone.now()
    rows = [WebhookDelivery(brand_id=event.brand_id, endpoint_id=pk, event_id=event.id, event_type=event.type,
                            msg_id=_msg_id(event.id), body=body, next_attempt_at=now) for pk in endpoint_ids]
    # ignore_conflicts: a concurrent relay of the same event wrote them first (the unique pair holds).
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(WebhookDelivery.objects.filter(
        brand_id=event.brand_id, event_id=event.id, endpoint_id__in=endpoint_ids,
        redelivery_of__isnull=True).values_list("pk", flat=True))
    _queue_first_attempts(event.brand_id, ids)
    return len(ids)


def _refuse_if_disabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.active:
        raise ApplicationError("webhook_disabled", _("This endpoint is disabled; enable it first."), status=409)


def webhook_test_send(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookDelivery:
    """Send a `webhook.test` message to the endpoint now (whatever its event filter)."""
    authorize(actor, Perm.MANAGE_SETTINGS, endpoint, what="webhook")
    _refuse_if_disabled(endpoint)
    event_id, now = uuid.uuid4(), timezone.now()
    data = {"endpoint_id": endpoint.pk, "message": "This is a test event from Private Traffic."}
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            brand_id=endpoint.brand_id, endpoint=endpoint, event_id=event_id, event_type=TEST_EVENT,
            msg_id=_msg_id(event_id), body=webhook_body(event_type=TEST_EVENT, at=now, data=data),
            next_attempt_at=now)
        _queue_first_attempts(endpoint.brand_id, [delivery.pk])
    return delivery


def webhook_delivery_redeliver(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a delivery's message again, as a new delivery with the same `webhook-id` and body."""
    authorize(actor, Perm.MANAGE_SETTINGS, delivery, what="delivery")
    endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    _refuse_if_disabled(endpoint)
    with transaction.atomic():
        again = WebhookDelivery.objects.create(
            brand_id=delivery.brand_id, endpoint=endpoint, event_id=delivery.event_id, event_type=delivery.event_type,
            msg_id=delivery.msg_id, body=delivery.body, redelivery_of=delivery, next_attempt_at=timezone.now())
        _queue_first_attempts(delivery.brand_id, [again.pk])
    return again


# --- attempts ----------------------------------------------------------------------------------------------------


def webhook_deliveries_claim(*, now: datetime.datetime, limit: int = 200, brand_id: int | None = None,
                             delivery_ids: list[int] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """Claim due deliveries of active endpoints (SKIP LOCKED: concurrent claimers take different rows): each gets
    the claim token, one more attempt counted and a lease. Returns (token, [(brand_id, delivery_id)])."""
    token = uuid.uuid4()
    with transaction.atomic():
        due = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True))
        if brand_id is not None:
            due = due.filter(brand_id=brand_id)
        if delivery_ids is not None:
            due = due.filter(pk__in=delivery_ids)
        claimed = list(due.order_by("next_attempt_at", "pk").values_list("brand_id", "pk")[:limit])
        if claimed:
            WebhookDelivery.objects.filter(pk__in=[pk for _b, pk in claimed]).update(
                claim=token, attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE)
    return str(token), claimed


def webhook_delivery_attempt(*, brand_id: int, delivery_id: int, claim: str,
                             now: datetime.datetime | None = None) -> str | None:
    """Send one claimed delivery and record the outcome; `now` is the clock of the retry schedule (the
    signature always carries the real time). Returns the delivery's status, or None if the claim is gone."""
    delivery = (WebhookDelivery.objects.select_related("endpoint")
                .filter(brand_id=brand_id, pk=delivery_id, claim=claim, status=WebhookDeliveryStatus.PENDING).first())
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    sent_at = timezone.now()
    headers = signed_headers(secrets=signing_secrets(endpoint, at=sent_at), msg_id=delivery.msg_id,
                             body=delivery.body, at=sent_at)
    try:
        outcome = http_post(target_resolve(endpoint.url), headers=headers, body=delivery.body)
        status, response_body, ms, error = outcome.status, outcome.body, outcome.ms, outcome.error
    except ApplicationError as refusal:  # the URL now resolves somewhere it may not go
        status, response_body, ms, error = None, "", 0, refusal.message
    clock = now or timezone.now()
    fields: dict[str, Any] = {
        "claim": None, "request_headers": headers, "response_status": status, "response_body": response_body,
        "response_ms": ms, "last_error": error[:500], "last_attempt_at": sent_at,
    }
    gone = status == 410
    if status is not None and 200 <= status < 300:
        fields |= {"status": WebhookDeliveryStatus.SUCCEEDED, "next_attempt_at": None, "finished_at": clock}
    elif gone or delivery.attempts >= MAX_ATTEMPTS:
        fields |= {"status": WebhookDeliveryStatus.FAILED, "next_attempt_at": None, "finished_at": clock}
    else:
        fields["next_attempt_at"] = clock + RETRY_DELAYS[max(delivery.attempts, 1) - 1]
        if not error and status is not None:
            fields["last_error"] = f"HTTP {status}"
    with transaction.atomic():
        recorded = WebhookDelivery.objects.filter(pk=delivery.pk, claim=claim).update(**fields)
        if recorded and gone:
            WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
                active=False, disabled_at=clock, updated_at=clock,
                disabled_reason=_("The endpoint answered 410 Gone."))
    return fields.get("status", WebhookDeliveryStatus.PENDING) if recorded else None


def webhook_deliveries_send(*, brand_id: int, delivery_ids: list[int], claim: str | None = None,
                            now: datetime.datetime | None = None) -> int:
    """Attempt these deliveries: claim them first unless the caller holds their claim. Returns how many were
    attempted."""
    if claim is None:
        claim, claimed = webhook_deliveries_claim(now=now or timezone.now(), brand_id=brand_id,
                                                  delivery_ids=delivery_ids, limit=len(delivery_ids))
        delivery_ids = [pk for _b, pk in claimed]
    return sum(webhook_delivery_attempt(brand_id=brand_id, delivery_id=pk, claim=claim, now=now) is not None
               for pk in delivery_ids)


def webhook_deliveries_prune(*, retention_days: int | None = None) -> int:
    """Delete finished deliveries older than WEBHOOK_DELIVERY_RETENTION_DAYS (pending ones stay)."""
    days = settings.WEBHOOK_DELIVERY_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _ = (WebhookDelivery.objects.filter(created_at__lt=cutoff)
                  .exclude(status=WebhookDeliveryStatus.PENDING).delete())
    return deleted


def webhook_deliveries_forget(*, customer: Any, actor: Actor) -> int:
    """Erasure: delete the brand's deliveries whose body names this customer (`"customer_id": <id>`), sent or
    not, so the log keeps nothing of them. Returns how many were deleted."""
    authorize(actor, None, customer, what="customer")
    deleted, _ = WebhookDelivery.objects.filter(
        brand_id=customer.brand_id, body__regex=rf'"customer_id":{int(customer.pk)}[,}}]').delete()
    return deleted


def webhooks_dispatch(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """The retries: claim the deliveries that are due and queue one send task for each, after commit. Safe to
    run from several processes at once. Returns how many were claimed."""
    from .tasks import send_webhook_deliveries

    pinned = now.isoformat() if now else None
    claim, claimed = webhook_deliveries_claim(now=now or timezone.now(), limit=limit)
    for brand_id, delivery_id in claimed:
        # robust: if the broker is away, the lease runs out and the next pass claims the delivery again.
        transaction.on_commit(lambda b=brand_id, d=delivery_id: send_webhook_deliveries.delay(
            b, [d], claim=claim, now=pinned), robust=True)
    return len(claimed)
