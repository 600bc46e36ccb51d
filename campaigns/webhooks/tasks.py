"""Thin Celery wrapper: attempt webhook deliveries; safe to run twice (a claim is used once)."""

import datetime

from celery import shared_task


@shared_task(acks_late=True)
def send_webhook_deliveries(brand_id: int, delivery_ids: list[int], claim: str | None = None,
                            now: str | None = None) -> int:
    """`claim`: the dispatcher already claimed them; otherwise they are claimed here (a first attempt).
    `now` (ISO 8601): the clock of a dispatcher run with a chosen time."""
    from .services import webhook_deliveries_send

    return webhook_deliveries_send(brand_id=brand_id, delivery_ids=delivery_ids, claim=claim,
                                   now=datetime.datetime.fromisoformat(now) if now else None)


@shared_task
def prune_webhook_deliveries() -> int:
    from .services import webhook_deliveries_prune

    return webhook_deliveries_prune()
