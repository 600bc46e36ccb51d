"""Thin Celery wrappers for campaigns; each re-fetches inside the brand and is safe to run twice."""

from celery import shared_task


@shared_task
def dispatch_campaigns() -> dict:
    """Every few seconds (beat, or the ticker of `make run`): start what is due, re-queue what went quiet,
    expire rep tasks, finish runs."""
    from .events.reminders import events_dispatch
    from .sending.dispatcher import campaigns_dispatch
    from .webhooks.services import webhooks_dispatch

    result = campaigns_dispatch()
    webhooks_dispatch()  # webhook deliveries whose (re)try is due
    events_dispatch()  # event reminders, a day and an hour before
    groupbuys_settled = _groupbuys_dispatch()
    return {"runs_started": result.runs_started, "chunks_queued": result.chunks_queued,
            "runs_finished": result.runs_finished, "tasks_expired": result.tasks_expired,
            "groupbuys_settled": groupbuys_settled}


def _groupbuys_dispatch() -> int:
    """Group-buys past their deadline are settled (campaigns/groupbuys/services.py)."""
    from .groupbuys.services import groupbuys_dispatch

    return groupbuys_dispatch()


# acks_late + reject_on_worker_lost (settings): a worker killed mid-chunk leaves the task to be redelivered,
# and the dispatcher re-queues a run that went quiet; either way the chunk sends only what is still pending.
@shared_task(acks_late=True)
def send_campaign_chunk(brand_id: int, run_id: int, chunk: int, now: str | None = None) -> dict | None:
    """`now` (ISO 8601): the clock of a dispatcher run with a chosen time; otherwise the chunk's own."""
    import datetime

    from privtraffic.tenancy.actors import SystemActor
    from privtraffic.tenancy.models import Brand

    from .sending.dispatcher import run_finish_if_done
    from .sending.fanout import delivery_chunk_send

    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None:
        return None
    result = delivery_chunk_send(brand=brand, actor=SystemActor.for_brand(brand, "task:campaign_chunk"),
                                 run_id=run_id, chunk=chunk,
                                 now=datetime.datetime.fromisoformat(now) if now else None)
    run_finish_if_done(run_id=run_id)
    return {"sent": result.sent, "skipped": result.skipped, "deferred": result.deferred}
