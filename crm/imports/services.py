"""CSV import and export of customers: the entry points. Read the file (reading.py), map its columns
(mapping.py), check every row (checking.py), then write (writing.py).

The flow, shared by the dashboard and the API:

1. `import_file_read` decodes the upload (a BOM's UTF-8/16/32, else UTF-8, else GB18030 or cp1252 as
   charset-normalizer detects; a NUL or undecodable byte is its row's error, see checking.py),
   detects the delimiter (comma, semicolon or tab) and refuses bad files with a
   clear error (not a CSV, undecodable, empty, no header, no data rows, more than
   100,000 rows). Nothing is written for a bad file.
2. The column mapping (given, or guessed from the header) must map `name` and at
   least one of `email` / `phone`.
3. Unless invalid rows are skipped, every row is checked before the job is even
   queued: one invalid row means a 400 with row-by-row errors and nothing imported.
4. The task (`crm.tasks.import_customers`) runs `customer_import_run`: it checks
   every row again (the data may have changed meanwhile), then writes all of it in
   ONE transaction, in batches of 500, together with the outbox events, the audit
   entry and the job's final counts. A failure anywhere rolls all of it back.
   Progress while that transaction is open is published through the cache (it
   cannot be committed to the job row without breaking the all-or-nothing write);
   `import_job_get` overlays it on the job, so the dashboard and the API see it.

Rows are numbered as in a spreadsheet: the header is row 1, the first data row is
row 2. Blank lines are skipped but keep their number.

Matching: a row whose email (else phone) belongs to an existing customer updates
that customer instead of creating a duplicate; blank cells never erase data.
The same email or phone twice in one file is an error on the later row (no silent
merge), and so is a row whose email and phone belong to two different customers.
"""

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import Actor, ApiKeyActor, actor_label, actor_user_id, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Perm, is_store_scoped

from ..customers.selectors import customer_list
from ..models import AuditLog, ImportJob, ImportStatus
from ..segments.selectors import customers_in_segment
from . import writing
from .checking import MAX_ERRORS, rows_check, rows_error
from .exporting import export_chunks
from .mapping import import_mapping_guess, import_mapping_resolve
from .reading import ParsedFile, import_file_preview, import_file_read, job_file_read, upload_read

logger = logging.getLogger(__name__)


# --- who may import and export ------------------------------------------------------------------


def customers_bulk_authorize(*, actor: Actor, brand: Brand) -> Actor:
    """Import and export move many people's data at once: brand-wide roles, API keys and the system only."""
    authorize(actor, Perm.VIEW_CUSTOMERS, brand, what="import")
    if isinstance(actor, Membership) and is_store_scoped(actor.role):
        raise ApplicationError.forbidden(_("Only owners, admins and marketers can import or export customers."))
    return actor


def _audit_label(actor: Actor) -> str:
    """How the audit log and the job name who started it (the values stored before actors were typed)."""
    if isinstance(actor, Membership):
        return "dashboard"
    if isinstance(actor, ApiKeyActor):
        return f"api_key:{actor.api_key.prefix}"
    return actor_label(actor)


# --- starting an import ----------------------------------------------------------------------


def _new_job(*, brand: Brand, actor: Actor, data: bytes, parsed: ParsedFile, options: dict[str, Any]) -> ImportJob:
    job = ImportJob(brand=brand, created_by_id=actor_user_id(actor), original_name=parsed.name,
                    total_rows=len(parsed.rows),
                    options={"encoding": parsed.encoding, "delimiter": parsed.delimiter, "header": parsed.header,
                             "actor_label": _audit_label(actor)[:120], **options})
    job.file.save(f"{brand.pk}-{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
    job.save()
    return job


def _queue(job: ImportJob) -> None:
    from ..tasks import import_customers

    brand_id, job_id = job.brand_id, job.pk
    transaction.on_commit(lambda: import_customers.delay(brand_id, job_id))


def _precheck(brand: Brand, parsed: ParsedFile, columns: dict[int, str]) -> None:
    _valid, errors, invalid_rows = rows_check(brand, parsed, columns, progress_every=writing.BATCH_SIZE)
    if errors:
        raise rows_error(errors, invalid_rows)


def customer_import_create(*, brand: Brand, actor: Actor, file, mapping: dict[str, str] | None = None,
                           skip_invalid: bool = False) -> ImportJob:
    """The API's one step: check the file (and every row unless skipping), then queue the job.

    Any problem is an ApplicationError and leaves nothing behind, not even a job.
    """
    customers_bulk_authorize(actor=actor, brand=brand)
    data, name = upload_read(file)
    parsed = import_file_read(data=data, name=name)
    columns = import_mapping_resolve(parsed.header, mapping)
    if not skip_invalid:
        _precheck(brand, parsed, columns)
    with transaction.atomic():
        job = _new_job(brand=brand, actor=actor, data=data, parsed=parsed, options={
            "mapping": {parsed.header[i]: f for i, f in columns.items()}, "skip_invalid": bool(skip_invalid)})
        _queue(job)
    return job


def customer_import_draft(*, brand: Brand, actor: Actor, file) -> ImportJob:
    """The dashboard's first step: keep a readable file and wait for the column mapping."""
    customers_bulk_authorize(actor=actor, brand=brand)
    data, name = upload_read(file)
    parsed = import_file_read(data=data, name=name)
    with transaction.atomic():
        return _new_job(brand=brand, actor=actor, data=data, parsed=parsed, options={
            "draft": True, "mapping": import_mapping_guess(parsed.header), "skip_invalid": False,
            "sample": import_file_preview(parsed)})


def customer_import_submit(*, job: ImportJob, actor: Actor, mapping: dict[str, str],
                           skip_invalid: bool = False) -> ImportJob:
    """The dashboard's second step: the mapping is chosen; check the rows unless skipping, then queue."""
    customers_bulk_authorize(actor=actor, brand=job.brand_id)
    if not job.options.get("draft"):
        raise ApplicationError("already_started", _("This import has already started."), status=409)
    parsed = job_file_read(job)
    columns = import_mapping_resolve(parsed.header, mapping)
    if not skip_invalid:
        _precheck(job.brand, parsed, columns)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk, brand_id=job.brand_id)
        if not locked.options.get("draft"):
            raise ApplicationError("already_started", _("This import has already started."), status=409)
        locked.options = {**locked.options, "draft": False, "skip_invalid": bool(skip_invalid),
                          "mapping": {parsed.header[i]: f for i, f in columns.items()}}
        locked.options.pop("sample", None)
        locked.save(update_fields=["options"])
        _queue(locked)
    return locked


# --- running an import (the task) ------------------------------------------------------------


def customer_import_run(*, job: ImportJob) -> ImportJob:
    """Check every row again and write the whole import in one transaction. Safe to run twice."""
    if job.options.get("draft"):
        return job
    claimed = ImportJob.objects.filter(pk=job.pk, brand_id=job.brand_id,
                                       status__in=[ImportStatus.PENDING, ImportStatus.RUNNING])
    if not claimed.update(status=ImportStatus.RUNNING):
        job.refresh_from_db()
        return job  # already finished by an earlier run
    try:
        with transaction.atomic():
            # A second run of the same job waits here until the first one has committed.
            job = ImportJob.objects.select_for_update().select_related("brand").get(pk=job.pk, brand_id=job.brand_id)
            if job.status != ImportStatus.RUNNING:
                return job
            _run_locked(job)
        return job
    except ApplicationError as exc:  # the file went missing or no longer reads
        return writing.import_job_fail(job, exc.message)
    except IntegrityError:
        logger.warning("Import %s hit a conflicting write", job.pk, exc_info=True)
        return writing.import_job_fail(job, _("Customers changed while importing, so nothing was imported. Upload the "
                                    "file again."))
    except Exception:
        logger.exception("Import %s failed", job.pk)
        return writing.import_job_fail(job, _("The import failed unexpectedly, so nothing was imported. Try again later."))
    finally:
        writing.progress_clear(job.pk)


def _run_locked(job: ImportJob) -> None:
    parsed = job_file_read(job)
    skip_invalid = bool(job.options.get("skip_invalid"))
    columns = import_mapping_resolve(parsed.header, job.options.get("mapping"))
    job.total_rows = len(parsed.rows)
    writing.progress_publish(job.pk, phase="checking", checked=0, processed=0, created=0, updated=0, skipped=0)
    valid, errors, invalid_rows = rows_check(
        job.brand, parsed, columns, progress_every=writing.BATCH_SIZE,
        progress=lambda done: writing.progress_publish(job.pk, phase="checking", checked=done, processed=0, created=0,
                                                updated=0, skipped=0))
    job.errors = [e.as_dict() for e in errors[:MAX_ERRORS]]
    if errors and not skip_invalid:
        job.created_count = job.updated_count = job.processed_rows = 0
        job.skipped_count = 0
        writing.import_job_finish(job, ImportStatus.FAILED)
        return
    job.skipped_count = invalid_rows
    writing.import_rows_write(job, valid, skipped=invalid_rows)
    job.processed_rows = job.total_rows
    AuditLog.objects.create(
        brand_id=job.brand_id, actor=job.created_by, actor_label=job.options.get("actor_label", ""),
        action="customers.imported",
        detail={"import_id": job.pk, "file": job.original_name, "created": job.created_count,
                "updated": job.updated_count, "skipped": job.skipped_count})
    writing.import_job_finish(job, ImportStatus.DONE)



# --- export ----------------------------------------------------------------------------------


def customers_export_csv(*, brand: Brand, actor: Actor, search: str = "", segment_id: int | None = None
                         ) -> Iterator[str]:
    """The brand's customers (what `actor` may see; erased people left out), optionally one segment's, as CSV
    text chunks; audited."""
    customers_bulk_authorize(actor=actor, brand=brand)
    customers = customer_list(brand=brand, actor=actor, search=search)
    if segment_id is not None:
        customers = customers_in_segment(brand=brand, segment_id=segment_id, within=customers)
    customers = customers.filter(erased_at__isnull=True).order_by("id")
    AuditLog.objects.create(brand=brand, actor_id=actor_user_id(actor), actor_label=_audit_label(actor)[:120],
                            action="customers.exported",
                            detail={"search": search, "segment": segment_id, "rows": customers.count()})
    return export_chunks(customers)
