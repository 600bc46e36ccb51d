"""Reads of imports: the brand's jobs, one job with its live progress, and its errors as text."""

from django.core.cache import cache
from django.db.models import QuerySet

from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import ImportJob, ImportStatus
from .checking import row_error_text
from .writing import progress_key


def import_job_list(*, brand: Brand) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(brand=brand).select_related("created_by").order_by("-created_at", "-id")


def import_job_get(*, brand: Brand, import_id) -> ImportJob:
    """One job of the brand (another brand's is not found), with live progress while it runs."""
    job = brand_get_object(import_job_list(brand=brand), brand=brand, what="import", pk=import_id)
    job.phase = {ImportStatus.PENDING: "waiting", ImportStatus.RUNNING: "checking"}.get(job.status, "finished")
    job.checked_rows = job.total_rows if job.phase == "finished" else 0
    if job.options.get("draft"):
        job.phase = "mapping"
    elif job.status == ImportStatus.RUNNING:
        try:
            live = cache.get(progress_key(job.pk)) or {}
        except Exception:
            live = {}
        job.phase = live.get("phase", job.phase)
        job.checked_rows = job.total_rows if job.phase == "writing" else live.get("checked", 0)
        job.processed_rows = live.get("processed", job.processed_rows)
        job.created_count = live.get("created", job.created_count)
        job.updated_count = live.get("updated", job.updated_count)
        job.skipped_count = live.get("skipped", job.skipped_count)
    return job


def import_job_error_texts(job: ImportJob) -> list[str]:
    return [row_error_text(error) for error in job.errors or []]

