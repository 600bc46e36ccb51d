"""Thin Celery wrappers for the CRM; each re-fetches inside the brand and is safe to run twice."""

from celery import shared_task

from .models import ImportJob


@shared_task(acks_late=True)
def import_customers(brand_id: int, import_id: int) -> str | None:
    """Run one CSV import. A finished job is left alone; a job a crashed worker left running starts over."""
    from .imports.services import customer_import_run

    job = ImportJob.objects.filter(brand_id=brand_id, pk=import_id).select_related("brand").first()
    if job is None:
        return None
    return customer_import_run(job=job).status


@shared_task
def refresh_lifecycle_stages() -> int:
    """Daily: move customers whose stage changed only because time passed (new -> active, -> lapsed)."""
    from privtraffic.tenancy.models import Brand

    from .customers.lifecycle import lifecycle_stages_refresh

    return sum(lifecycle_stages_refresh(brand=brand) for brand in Brand.objects.all())
