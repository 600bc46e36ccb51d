from celery import shared_task

from .services import idempotency_record_prune


@shared_task
def prune_idempotency_records() -> int:
    return idempotency_record_prune()
