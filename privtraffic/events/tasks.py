"""Thin Celery wrappers around the outbox services; each is safe to run twice."""

from celery import shared_task

from .models import Event


@shared_task(acks_late=True)
def relay_outbox() -> int:
    """The coalesced relay a committing writer queues: every pending event, in claimed batches."""
    from .services import event_relay_batches

    return event_relay_batches()


@shared_task(acks_late=True)
def relay_event(brand_id: int, event_id: str) -> bool:
    """One event (tasks queued before the coalesced relay; still safe to run)."""
    from .services import event_relay

    event = Event.objects.filter(brand_id=brand_id, pk=event_id).first()
    if event is None:
        return True  # pruned or never committed: nothing to deliver
    return event_relay(event=event)


@shared_task(acks_late=True)
def relay_events(brand_id: int, event_ids: list[str]) -> int:
    """Relay one chunk of a bulk writer's events (one task per chunk instead of one per event)."""
    from .services import event_relay_many

    return event_relay_many(brand_id=brand_id, event_ids=event_ids)


@shared_task
def relay_pending_events() -> int:
    from .services import event_relay_pending

    return event_relay_pending()


@shared_task
def prune_events() -> int:
    from .services import event_prune

    return event_prune()
