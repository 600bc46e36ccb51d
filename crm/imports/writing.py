"""Writing an import: customers created and updated in batches (with their consent changes and outbox
events), progress published through the cache while the one transaction is open, and the job finished."""

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from privtraffic.events.services import event_record_many
from privtraffic.tenancy.models import Brand

from ..customers.services import consent_changes_build, customer_consents_stamp, customer_event_payload
from ..models import ConsentChange, Customer, CustomerSource, CustomerTag, ImportJob, ImportStatus
from ..profile.services import tags_get_or_create
from .checking import MAX_ERRORS, CheckedRow, chunks

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


def progress_key(job_id: int) -> str:
    return f"crm:import:{job_id}:progress"


def progress_publish(job_id: int, **values: Any) -> None:
    try:
        cache.set(progress_key(job_id), values, timeout=6 * 3600)
    except Exception:  # progress is a nicety: a cache outage must not fail the import
        logger.warning("Could not publish the progress of import %s", job_id, exc_info=True)


def progress_clear(job_id: int) -> None:
    try:
        cache.delete(progress_key(job_id))
    except Exception:
        logger.warning("Could not clear the progress of import %s", job_id, exc_info=True)


_UPDATABLE = ["name", "email", "phone", "home_store", "consent_chat", "consent_chat_at", "consent_promotions",
              "consent_promotions_at", "updated_at"]
_COMPARED = ["name", "email", "phone", "home_store_id", "consent_chat", "consent_chat_at", "consent_promotions",
             "consent_promotions_at"]


def _new_customer(brand: Brand, row: CheckedRow, source_ref: str, consents: list) -> Customer:
    data = row.data
    customer = Customer(brand=brand, name=data["name"], email=data.get("email", ""), phone=data.get("phone", ""),
                        home_store=data.get("home_store"), source=CustomerSource.IMPORT, source_ref=source_ref[:120])
    granted = customer_consents_stamp(customer, {"consent_chat": data.get("consent_chat", False),
                                                 "consent_promotions": data.get("consent_promotions", False)})
    consents.append((customer, granted))
    return customer


def _apply_changes(customer: Customer, data: dict[str, Any], now, consents: list) -> bool:
    before = [getattr(customer, f) for f in _COMPARED]
    for key in ("name", "email", "phone"):
        if key in data:
            setattr(customer, key, data[key])
    if "home_store" in data:
        customer.home_store = data["home_store"]
    changes = customer_consents_stamp(customer, {k: data[k] for k in ("consent_chat", "consent_promotions")
                                                 if k in data})
    consents.append((customer, changes))
    changed = [getattr(customer, f) for f in _COMPARED] != before
    if changed:
        customer.updated_at = now
    return changed


def _tags_add(brand: Brand, batch: list[CheckedRow], new: list[Customer], changed: list[Customer], now) -> list:
    """Add each row's tags to its customer (never removing any), creating the brand's missing tags; returns
    the existing customers that only gained tags, so they are counted as changed too."""
    rows = [row for row in batch if row.data.get("tags")]
    if not rows:
        return []
    created = iter(new)  # the new customers, in the order of their rows
    customers = {id(row): row.target if row.target is not None else next(created) for row in batch}
    tags = tags_get_or_create(brand_id=brand.pk, names=sorted({n for row in rows for n in row.data["tags"]}))
    targets = [customers[id(row)].pk for row in rows if row.target is not None]
    existing = set(CustomerTag.objects.filter(brand_id=brand.pk, customer_id__in=targets)
                   .values_list("customer_id", "tag_id"))
    links = [CustomerTag(brand_id=brand.pk, customer_id=customers[id(row)].pk, tag_id=tags[name].pk)
             for row in rows for name in row.data["tags"]
             if (customers[id(row)].pk, tags[name].pk) not in existing]
    CustomerTag.objects.bulk_create(links, ignore_conflicts=True)
    gained = {link.customer_id for link in links}
    already = {c.pk for c in changed}
    only_tags = [row.target for row in rows if row.target is not None and row.target.pk in gained
                 and row.target.pk not in already]
    for customer in only_tags:
        customer.updated_at = now
    return only_tags


def import_rows_write(job: ImportJob, rows: list[CheckedRow], skipped: int) -> None:
    """All the customer writes of a job, in batches, with one outbox INSERT (and one relay task) per batch."""
    brand, now = job.brand, timezone.now()
    created = updated = 0
    for batch in chunks(rows, BATCH_SIZE):
        consents: list = []
        new = [_new_customer(brand, row, job.original_name, consents) for row in batch if row.target is None]
        changed = [row.target for row in batch
                   if row.target is not None and _apply_changes(row.target, row.data, now, consents)]
        Customer.objects.bulk_create(new)
        changed += _tags_add(brand, batch, new, changed, now)
        ConsentChange.objects.bulk_create(
            [change for customer, changes in consents for change in consent_changes_build(customer, changes, "import")])
        for customer in changed:
            # One UPDATE per changed row: bulk_update's CASE expressions cost far more in Python for wide rows.
            Customer.objects.filter(pk=customer.pk, brand_id=brand.pk).update(
                **{name: getattr(customer, name) for name in _UPDATABLE})
        event_record_many(brand=brand, events=[("customer.created", customer_event_payload(c)) for c in new]
                          + [("customer.updated", customer_event_payload(c)) for c in changed])
        created += len(new)
        updated += len(batch) - len(new)
        progress_publish(job.pk, phase="writing", processed=skipped + created + updated, created=created,
                          updated=updated, skipped=skipped)
    job.created_count, job.updated_count = created, updated


def import_job_finish(job: ImportJob, status: str, errors: list[dict[str, Any]] | None = None) -> None:
    job.status = status
    job.finished_at = timezone.now()
    if errors is not None:
        job.errors = errors[:MAX_ERRORS]
    if job.file:
        storage, name = job.file.storage, job.file.name
        # The uploaded file holds personal data: it goes once the job is over.
        transaction.on_commit(lambda: storage.delete(name), robust=True)
        job.file = ""
    job.save()


def import_job_fail(job: ImportJob, message: str) -> ImportJob:
    """Mark a job failed after its transaction rolled back."""
    job.refresh_from_db()
    job.created_count = job.updated_count = job.skipped_count = job.processed_rows = 0
    import_job_finish(job, ImportStatus.FAILED, [{"row": None, "field": "", "message": message}])
    return job

