"""The dispatcher: what is due goes out. Called every few seconds by beat (full stack) or the ticker (`make run`).

Every step claims its rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so several dispatchers at once (two beat
hosts, a beat and a manual run) each take different work and nothing is sent twice:

1. due campaigns become runs: the audience is materialised into Delivery rows by one INSERT ... SELECT
   (unique per run and recipient, numbered into chunks of CAMPAIGN_CHUNK_SIZE), and one Celery task per
   chunk is queued after commit. A recurring campaign moves on to its next occurrence.
2. runs that went quiet (a worker killed mid-chunk, a lost task, recipients deferred by quiet hours whose
   time has come) get their unfinished chunks queued again; a chunk skips what it already sent.
3. rep-confirmed tasks past their deadline expire; their recipients are skipped (not_confirmed).
4. runs with nothing left pending are finished, and their one-off campaign is sent.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Value
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from crm.models import Customer
from privtraffic.events.services import event_record

from ..authoring.audience import audience_customers, audience_groups
from ..models import (
    Campaign,
    CampaignChannel,
    CampaignRun,
    CampaignStatus,
    ConfirmMode,
    Delivery,
    DeliveryStatus,
    RepTask,
    RepTaskStatus,
    RunStatus,
    SkipReason,
)
from ..scheduling.recurrence import next_occurrence
from .fanout import CHUNK_CLAIMABLE
from .tally import delivery_tally

logger = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    runs_started: list[int] = field(default_factory=list)
    chunks_queued: int = 0
    runs_finished: list[int] = field(default_factory=list)
    tasks_expired: int = 0


def chunk_size() -> int:
    return int(settings.CAMPAIGN_CHUNK_SIZE)


def campaigns_dispatch(*, now: datetime.datetime | None = None, limit: int = 20) -> DispatchResult:
    """One pass of the dispatcher over every brand; safe to run from several processes at once."""
    # A clock the caller chose (a test, a replay) is the chunks' clock too; otherwise each chunk reads its own.
    pinned = now
    now = now or timezone.now()
    result = DispatchResult()
    for _ in range(limit):
        run_id = _start_one_due_campaign(now, result, pinned=pinned)
        if run_id is None:
            break
    _requeue_quiet_runs(now, result, pinned=pinned)
    _expire_rep_tasks(now, result)
    _finish_done_runs(now, result)
    return result


# --- 1. due campaigns become runs ---------------------------------------------------------------------------


def _start_one_due_campaign(now: datetime.datetime, result: DispatchResult, *,
                            pinned: datetime.datetime | None = None) -> int | None:
    with transaction.atomic():
        campaign = (Campaign.objects.select_for_update(skip_locked=True).select_related("brand")
                    .filter(status=CampaignStatus.SCHEDULED, next_run_at__lte=now).order_by("next_run_at").first())
        if campaign is None:
            return None
        due_at = campaign.next_run_at
        run, created = CampaignRun.objects.get_or_create(
            campaign=campaign, due_at=due_at,
            defaults={"brand_id": campaign.brand_id, "status": RunStatus.SENDING, "started_at": now,
                      "progress_at": now})
        if created:
            run.total = _materialise(campaign, run)
            run.chunks = -(-run.total // chunk_size())
            # Progress from now on: at 100,000 recipients the INSERT ... SELECT takes seconds, and a run stamped
            # before it would look quiet at once (every chunk queued twice).
            run.progress_at = max(now, timezone.now())
            run.save(update_fields=["total", "chunks", "progress_at"])
            if campaign.confirm_mode == ConfirmMode.REP_CONFIRMS:
                _create_rep_tasks(campaign, run, now)
        if campaign.recurrence:
            campaign.next_run_at = next_occurrence(campaign.recurrence, after=due_at, tz=campaign.brand.tzinfo)
            if campaign.next_run_at is None:
                campaign.status = CampaignStatus.SENT
        else:
            campaign.status = CampaignStatus.SENDING
        campaign.save(update_fields=["status", "next_run_at", "updated_at"])
        chunks = list(range(run.chunks))
        transaction.on_commit(lambda: _queue_chunks(campaign.brand_id, run.pk, chunks, now=pinned))
    result.runs_started.append(run.pk)
    result.chunks_queued += len(chunks)
    return run.pk


def _materialise(campaign: Campaign, run: CampaignRun) -> int:
    """Write the run's recipients as pending Delivery rows in one INSERT ... SELECT; returns how many."""
    size = chunk_size()
    if campaign.channel == CampaignChannel.GROUP:
        source, recipient_column = audience_groups(campaign=campaign), "group_id"
    else:
        source, recipient_column = audience_customers(campaign=campaign), "customer_id"
    rows = source.annotate(
        d_brand=Value(campaign.brand_id, output_field=IntegerField()),
        d_run=Value(run.pk, output_field=IntegerField()),
        d_campaign=Value(campaign.pk, output_field=IntegerField()),
        d_recipient=F("pk"),
        d_chunk=(Window(RowNumber(), order_by=F("pk").asc()) - 1) / size,
        d_status=Value(DeliveryStatus.PENDING),
        d_reason=Value(""),
        d_clicks=Value(0, output_field=IntegerField()),
    ).values_list("d_brand", "d_run", "d_campaign", "d_recipient", "d_chunk", "d_status", "d_reason", "d_clicks")
    select_sql, params = rows.query.sql_with_params()
    table = Delivery._meta.db_table
    columns = f"brand_id, run_id, campaign_id, {recipient_column}, chunk, status, reason, clicks"
    with connection.cursor() as cursor:
        # Only our own table and column names are interpolated; every value is a parameter.
        cursor.execute(f"INSERT INTO {table} ({columns}) {select_sql} ON CONFLICT DO NOTHING",  # noqa: S608
                       params)
        return cursor.rowcount


def _create_rep_tasks(campaign: Campaign, run: CampaignRun, now: datetime.datetime) -> None:
    """Rep-confirmed 1:1 sends: each active assigned rep gets one task holding their recipients; customers
    without one are sent by the chunks as usual (from the persona)."""
    reps = (Customer.objects.filter(pk__in=Delivery.objects.filter(run=run).values("customer_id"),
                                    assigned_rep__is_active=True)
            .values_list("assigned_rep_id", flat=True).distinct())
    deadline = now + datetime.timedelta(hours=campaign.confirm_hours)
    RepTask.objects.bulk_create([RepTask(brand_id=campaign.brand_id, run=run, rep_id=rep_id, deadline=deadline)
                                 for rep_id in set(reps)], ignore_conflicts=True)
    for task in RepTask.objects.filter(run=run):
        Delivery.objects.filter(run=run, customer__assigned_rep_id=task.rep_id).update(task=task, rep_id=task.rep_id)


def _queue_chunks(brand_id: int, run_id: int, chunks: list[int], *, now: datetime.datetime | None = None) -> None:
    from ..tasks import send_campaign_chunk

    at = now.isoformat() if now else None
    for chunk in chunks:
        send_campaign_chunk.delay(brand_id, run_id, chunk, at)


# --- 2. runs that went quiet ---------------------------------------------------------------------------------


def _requeue_quiet_runs(now: datetime.datetime, result: DispatchResult, *,
                        pinned: datetime.datetime | None = None) -> None:
    stale_before = now - datetime.timedelta(seconds=int(settings.CAMPAIGN_STALE_SECONDS))
    due_pending = Delivery.objects.filter(CHUNK_CLAIMABLE, run=OuterRef("pk"), status=DeliveryStatus.PENDING)
    deferred_due = due_pending.filter(not_before__lte=now)
    with transaction.atomic():
        runs = list(CampaignRun.objects.select_for_update(skip_locked=True)
                    .filter(status=RunStatus.SENDING)
                    .alias(has_pending=Exists(due_pending.filter(Q(not_before__isnull=True)
                                                                 | Q(not_before__lte=now))),
                           has_deferred_due=Exists(deferred_due))
                    .filter(Q(progress_at__lt=stale_before, has_pending=True)
                            | Q(progress_at__lt=now - datetime.timedelta(seconds=5), has_deferred_due=True))
                    .order_by("progress_at")[:50])
        for run in runs:
            chunks = sorted(set(Delivery.objects.filter(CHUNK_CLAIMABLE, run=run, status=DeliveryStatus.PENDING)
                                .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
                                .values_list("chunk", flat=True)))
            run.progress_at = now
            run.save(update_fields=["progress_at"])
            transaction.on_commit(lambda run=run, chunks=chunks: _queue_chunks(run.brand_id, run.pk, chunks,
                                                                               now=pinned))
            result.chunks_queued += len(chunks)


# --- 3. rep tasks past their deadline ------------------------------------------------------------------------


def _expire_rep_tasks(now: datetime.datetime, result: DispatchResult) -> None:
    with transaction.atomic():
        tasks = list(RepTask.objects.select_for_update(skip_locked=True)
                     .filter(status=RepTaskStatus.OPEN, deadline__lte=now).values_list("pk", flat=True)[:500])
        if not tasks:
            return
        Delivery.objects.filter(task_id__in=tasks, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, reason=SkipReason.NOT_CONFIRMED, not_before=None)
        result.tasks_expired += RepTask.objects.filter(pk__in=tasks).update(status=RepTaskStatus.EXPIRED)


# --- 4. runs with nothing left --------------------------------------------------------------------------------


def run_finish_if_done(*, run_id: int, now: datetime.datetime | None = None) -> bool:
    """Finish a run whose recipients are all sent, skipped or failed (a conditional UPDATE: once)."""
    now = now or timezone.now()
    pending = Delivery.objects.filter(run_id=run_id, status=DeliveryStatus.PENDING)
    with transaction.atomic():
        finished = (CampaignRun.objects.filter(pk=run_id, status=RunStatus.SENDING)
                    .exclude(Exists(pending)).update(status=RunStatus.DONE, finished_at=now))
        if finished:
            run = CampaignRun.objects.select_related("campaign", "brand").get(pk=run_id)
            Campaign.objects.filter(pk=run.campaign_id, status=CampaignStatus.SENDING,
                                    recurrence__isnull=True).update(status=CampaignStatus.SENT, updated_at=now)
            counts = run_counts(run=run)
            event_record(brand=run.brand, type="campaign.finished", payload={
                "campaign_id": run.campaign_id, "run_id": run.pk, "name": run.campaign.name,
                "due_at": run.due_at, "finished_at": now, "total": run.total,
                **{k: counts[k] for k in ("sent", "skipped", "failed")}})
    return bool(finished)


def _finish_done_runs(now: datetime.datetime, result: DispatchResult) -> None:
    pending = Delivery.objects.filter(run=OuterRef("pk"), status=DeliveryStatus.PENDING)
    for run_id in (CampaignRun.objects.filter(status=RunStatus.SENDING).exclude(Exists(pending))
                   .values_list("pk", flat=True)[:200]):
        if run_finish_if_done(run_id=run_id, now=now):
            result.runs_finished.append(run_id)


def run_counts(*, run: CampaignRun) -> dict[str, int]:
    """sent / skipped / failed / pending of a run, and skipped (or deferred) by reason (the progress bar)."""
    tally = delivery_tally(Delivery.objects.filter(run=run))
    by_reason = {reason: n for reason, n in tally.reasons(DeliveryStatus.SKIPPED, DeliveryStatus.PENDING).items()
                 if reason}
    return tally.counts | {"by_reason": by_reason}
