"""CSV import of customers: read the file, map its columns, check every row, then write.

The flow, shared by the dashboard and the API:

1. `import_file_read` decodes the upload (UTF-8 with or without BOM, else GB18030),
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

import csv
import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from privtraffic.events.models import Event
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership, Store
from privtraffic.tenancy.roles import is_store_scoped
from privtraffic.tenancy.selectors import brand_get_object

from .customers.services import (
    consent_changes_build,
    customer_consents_stamp,
    customer_event_payload,
    customer_fields_clean,
)
from .models import AuditLog, ConsentChange, Customer, CustomerSource, ImportJob, ImportStatus

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
MAX_BYTES = 50 * 1024 * 1024
BATCH_SIZE = 500
MAX_ERRORS = 1000  # errors kept on a job and listed in an answer; the count says how many more there were
SAMPLE_ROWS = 3

IGNORE = "ignore"
FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "email": gettext_lazy("email"),
    "phone": gettext_lazy("phone"),
    "home_store": gettext_lazy("home store"),
    "consent_chat": gettext_lazy("chat consent"),
    "consent_promotions": gettext_lazy("promotions consent"),
}
FIELDS = tuple(FIELD_LABELS)
MAPPING_CHOICES = [*FIELD_LABELS.items(), (IGNORE, gettext_lazy("ignore this column"))]

# Header names recognised without a mapping (compared lower-case without spaces, "_" or "-").
_ALIASES = {
    "name": ["name", "full name", "customer", "customer name", "姓名", "名字", "客户", "客户姓名", "名称"],
    "email": ["email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址"],
    "phone": ["phone", "mobile", "phone number", "mobile phone", "mobile number", "cell", "tel", "telephone",
              "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话"],
    "home_store": ["home store", "store", "shop", "门店", "所属门店", "店铺"],
    "consent_chat": ["consent chat", "chat consent", "聊天同意", "同意聊天"],
    "consent_promotions": ["consent promotions", "promotions consent", "promotions", "营销同意", "同意营销",
                           "接收促销"],
}

_TRUE = {"1", "true", "yes", "y", "t", "x", "on", "是", "同意", "✓", "✔"}
_FALSE = {"0", "false", "no", "n", "f", "off", "否", "不同意"}
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{7,}$")
# A cell an export escaped against spreadsheet formulas ("'=..."): the quote goes on import.
_ESCAPED_FORMULA = re.compile(r"^'[=+\-@]")


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


_ALIAS_KEYS = {_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


# --- reading the file ------------------------------------------------------------------------


@dataclass
class ParsedFile:
    name: str
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (spreadsheet row number, cells)

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES[self.delimiter]


def _file_error(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={"file": [message]})


def _reject_binary(data: bytes) -> None:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_error("file_encoding", _("This file is saved as UTF-16. Save it as “CSV UTF-8” and upload it "
                                             "again."))
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _file_error("file_not_csv", _("This is an Excel workbook, not a CSV file. In Excel choose Save As › "
                                            "“CSV UTF-8” and upload that file."))
    if head.startswith(b"%PDF") or b"\x00" in head:
        raise _file_error("file_not_csv", _("This is not a CSV file. Upload a text file with one customer per "
                                            "line and columns separated by commas, semicolons or tabs."))


def _decode(data: bytes) -> tuple[str, str]:
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        line = data.count(b"\n", 0, utf8_error.start) + 1
        raise _file_error("file_encoding", _("Line %(line)d cannot be read as UTF-8 or GB18030 text. Save the file "
                                             "as “CSV UTF-8” and upload it again.") % {"line": line})


def _detect_delimiter(text: str) -> str:
    """The candidate that splits the header into the most columns (ties: comma, semicolon, tab)."""
    sample = text[:65536]
    best, best_count = ",", 0
    for delimiter in _DELIMITERS:
        try:
            first = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(first) > best_count:
            best, best_count = delimiter, len(first)
    return best


def _looks_like_data(header: list[str]) -> bool:
    return any("@" in cell or _PHONE_LIKE.match(cell) for cell in header if cell)


def import_file_read(*, data: bytes, name: str = "", max_rows: int = MAX_ROWS) -> ParsedFile:
    """Decode and split an uploaded CSV; every problem with the file itself is an ApplicationError (400)."""
    if not data.strip():
        raise _file_error("file_empty", _("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _file_error("file_too_large", _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // 2**20})
    _reject_binary(data)
    text, encoding = _decode(data)
    if not text.strip():
        raise _file_error("file_empty", _("The file is empty."))
    delimiter = _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    parsed = ParsedFile(name=name, encoding=encoding, delimiter=delimiter, header=[])
    try:
        first = next(reader, [])
        parsed.header = [cell.strip() for cell in first]
        if not any(parsed.header):
            raise _file_error("file_no_header", _("Row 1 is empty. Put the column names (name, email, phone, ...) "
                                                  "in row 1."))
        if _looks_like_data(parsed.header):
            raise _file_error("file_no_header", _("Row 1 looks like a customer, not column names. Add a header row "
                                                  "such as name,email,phone."))
        seen: set[str] = set()
        for column in parsed.header:
            if column and column in seen:
                raise _file_error("file_no_header", _("The column “%(column)s” appears twice in the header. Rename "
                                                      "one of them.") % {"column": column})
            seen.add(column)
        for row_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(parsed.rows) >= max_rows:
                raise _file_error("file_too_many_rows", _("The file has more than %(max)s rows of customers. Split "
                                                          "it into smaller files.") % {"max": f"{max_rows:,}"})
            parsed.rows.append((row_number, cells))
    except csv.Error as exc:
        raise _file_error("file_not_csv", _("Line %(line)d cannot be read as CSV (%(detail)s).")
                          % {"line": reader.line_num, "detail": exc})
    if not parsed.rows:
        raise _file_error("file_no_rows", _("The file has a header but no customers in it."))
    return parsed


def import_file_preview(parsed: ParsedFile) -> list[list[str]]:
    return [cells for _number, cells in parsed.rows[:SAMPLE_ROWS]]


# --- column mapping --------------------------------------------------------------------------


def import_mapping_guess(header: list[str]) -> dict[str, str]:
    """{column: field or "ignore"} from the header names; each field goes to its first matching column."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        if not column:
            continue
        guess = _ALIAS_KEYS.get(_key(column), IGNORE)
        if guess != IGNORE and guess in taken:
            guess = IGNORE
        taken.add(guess)
        mapping[column] = guess
    return mapping


def _mapping_error(message: str, *, explicit: bool) -> ApplicationError:
    if explicit:
        return ApplicationError("invalid_mapping", message, fields={"mapping": [message]})
    return ApplicationError("file_missing_columns", message, fields={"file": [message]})


def _resolve_mapping(header: list[str], mapping: dict[str, str] | None) -> dict[int, str]:
    """Column index -> field. An explicit mapping is complete: columns it does not name are ignored."""
    explicit = mapping is not None
    if mapping is None:
        mapping = import_mapping_guess(header)
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise _mapping_error(_("The mapping must be an object of column name to field."), explicit=True)
    problems = []
    columns: dict[int, str] = {}
    for column, target in mapping.items():
        if column not in header or not column:
            problems.append(_("The file has no column “%(column)s”.") % {"column": column})
        elif target not in FIELDS and target != IGNORE:
            problems.append(_("“%(target)s” is not a field; use one of: %(fields)s.")
                            % {"target": target, "fields": ", ".join([*FIELDS, IGNORE])})
        elif target != IGNORE:
            if target in columns.values():
                problems.append(_("Only one column can go to %(field)s.") % {"field": FIELD_LABELS[target]})
            else:
                columns[header.index(column)] = target
    if problems:
        raise ApplicationError("invalid_mapping", problems[0], fields={"mapping": problems})
    targets = set(columns.values())
    if "name" not in targets or not targets & {"email", "phone"}:
        found = ", ".join(c for c in header if c) or "-"
        if explicit:
            message = _("Map a column to name, and at least one column to email or phone.")
        else:
            message = _("The file needs a name column and an email or phone column (its columns: %(found)s). "
                        "Rename the columns or give a mapping.") % {"found": found}
        raise _mapping_error(message, explicit=explicit)
    return columns


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": str(self.message)}

    @property
    def text(self) -> str:
        return row_error_text(self.as_dict())


def row_error_text(error: dict[str, Any]) -> str:
    label = FIELD_LABELS.get(error.get("field") or "", error.get("field") or "")
    if not error.get("row"):
        return str(error["message"])
    if not label:
        return _("Row %(row)d: %(message)s") % error
    return _("Row %(row)d: %(field)s: %(message)s") % {**error, "field": label}


@dataclass
class CheckedRow:
    row: int
    data: dict[str, Any]  # the mapped fields that had a value, cleaned; consents as True/False
    target: Customer | None = None


def _parse_bool(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(value)


def _stores_by_key(brand: Brand) -> dict[str, Store]:
    """A store by its id or, winning over an id, its name (case-insensitive)."""
    stores = list(Store.objects.filter(brand=brand).order_by("-id"))
    by_key = {str(store.pk): store for store in stores}
    by_key.update({store.name.strip().lower(): store for store in stores})  # the oldest store wins a shared name
    return by_key


def _check_row(brand: Brand, number: int, cells: list[str], columns: dict[int, str],
               stores: dict[str, Store]) -> tuple[CheckedRow | None, list[RowError]]:
    raw = {target: (cells[index].strip() if index < len(cells) else "") for index, target in columns.items()}
    if _ESCAPED_FORMULA.match(raw.get("name", "")):
        raw["name"] = raw["name"][1:]
    errors: list[RowError] = []
    to_clean = {key: raw[key] for key in ("name", "email", "phone") if key in raw}
    data: dict[str, Any] = {}
    try:
        data.update(customer_fields_clean(brand, to_clean))
    except ApplicationError as exc:
        for target, messages in exc.fields.items():
            errors.append(RowError(number, target, str(messages[0] if isinstance(messages, list) else messages)))
    if not errors and not data.get("email") and not data.get("phone"):
        errors.append(RowError(number, "email" if "email" in raw else "phone", _("Give an email or a phone number.")))
    store_key = raw.get("home_store", "")
    if store_key:
        store = stores.get(store_key.lower())
        if store is None:
            errors.append(RowError(number, "home_store", _("There is no store called “%(store)s”.")
                                   % {"store": store_key}))
        else:
            data["home_store"] = store
    for consent in ("consent_chat", "consent_promotions"):
        if raw.get(consent):
            try:
                data[consent] = _parse_bool(raw[consent])
            except ValueError:
                errors.append(RowError(number, consent, _("Write yes or no (or leave it empty).")))
    # Blank cells never erase anything: only values that were given are kept.
    data = {key: value for key, value in data.items() if value not in ("", None)}
    return (None if errors else CheckedRow(row=number, data=data)), errors


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _match_existing(brand: Brand, rows: list[CheckedRow]) -> list[RowError]:
    """Point each row at the customer it updates (by email, else phone); errors for ambiguous rows."""
    emails = sorted({r.data["email"] for r in rows if r.data.get("email")})
    phones = sorted({r.data["phone"] for r in rows if r.data.get("phone")})
    live = Customer.objects.filter(brand=brand, erased_at__isnull=True)
    by_email: dict[str, Customer] = {}
    for chunk in _chunks(emails, 1000):
        by_email.update({c.email: c for c in live.filter(email__in=chunk)})
    by_phone: dict[str, Customer] = {}
    for chunk in _chunks(phones, 1000):
        for customer in live.filter(phone__in=chunk).order_by("id"):
            by_phone.setdefault(customer.phone, customer)  # several share a phone: the oldest one
    errors: list[RowError] = []
    claimed: dict[int, int] = {}  # customer id -> row that updates it
    for row in rows:
        match_email = by_email.get(row.data.get("email", ""))
        match_phone = by_phone.get(row.data.get("phone", ""))
        if match_email and match_phone and match_email.pk != match_phone.pk:
            errors.append(RowError(row.row, "phone", _("The email and the phone belong to two different customers.")))
            continue
        target = match_email or match_phone
        if target is not None:
            if target.pk in claimed:
                errors.append(RowError(row.row, "email" if match_email else "phone",
                                       _("This is the same customer as row %(row)d.") % {"row": claimed[target.pk]}))
                continue
            claimed[target.pk] = row.row
        row.target = target
    return errors


def _check_rows(brand: Brand, parsed: ParsedFile, columns: dict[int, str],
                progress: Callable[[int], None] | None = None) -> tuple[list[CheckedRow], list[RowError], int]:
    """Every row checked; returns (valid rows, errors, number of invalid rows)."""
    stores = _stores_by_key(brand) if "home_store" in columns.values() else {}
    valid: list[CheckedRow] = []
    errors: list[RowError] = []
    seen_email: dict[str, int] = {}
    seen_phone: dict[str, int] = {}
    for done, (number, cells) in enumerate(parsed.rows, start=1):
        checked, row_errors = _check_row(brand, number, cells, columns, stores)
        if checked is not None:
            email, phone = checked.data.get("email"), checked.data.get("phone")
            if email and email in seen_email:
                row_errors.append(RowError(number, "email", _("The same email is already in row %(row)d.")
                                           % {"row": seen_email[email]}))
            if phone and phone in seen_phone:
                row_errors.append(RowError(number, "phone", _("The same phone is already in row %(row)d.")
                                           % {"row": seen_phone[phone]}))
            if not row_errors:
                if email:
                    seen_email[email] = number
                if phone:
                    seen_phone[phone] = number
                valid.append(checked)
        errors.extend(row_errors)
        if progress is not None and done % BATCH_SIZE == 0:
            progress(done)
    match_errors = _match_existing(brand, valid)
    if match_errors:
        bad = {e.row for e in match_errors}
        valid = [r for r in valid if r.row not in bad]
        errors = sorted(errors + match_errors, key=lambda e: e.row)
    return valid, errors, len({e.row for e in errors})


def _rows_error(errors: list[RowError], invalid_rows: int) -> ApplicationError:
    texts = [e.text for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        texts.append(_("... and %(count)d more errors.") % {"count": len(errors) - MAX_ERRORS})
    message = ngettext("%(count)d row is not valid, so nothing was imported.",
                       "%(count)d rows are not valid, so nothing was imported.", invalid_rows) % {"count": invalid_rows}
    message += " " + _("Fix them, or skip invalid rows. Rows are numbered as in a spreadsheet: the header is row 1.")
    return ApplicationError("invalid_rows", message, fields={"rows": texts})


# --- who may import --------------------------------------------------------------------------


def customer_bulk_access_check(*, actor: Membership | None) -> None:
    """Import and export move many people's data at once: brand-wide roles (and API keys) only."""
    if actor is not None and is_store_scoped(actor.role):
        raise ApplicationError.forbidden(_("Only owners, admins and marketers can import or export customers."))


# --- starting an import ----------------------------------------------------------------------


def _read_upload(upload) -> tuple[bytes, str]:
    if upload is None:
        message = _("Attach a CSV file.")
        raise ApplicationError("invalid", message, fields={"file": [message]})
    name = (getattr(upload, "name", "") or "customers.csv").rsplit("/", 1)[-1][:200]
    if (getattr(upload, "size", 0) or 0) > MAX_BYTES:
        raise _file_error("file_too_large", _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // 2**20})
    return b"".join(upload.chunks()) if hasattr(upload, "chunks") else upload.read(), name


def _new_job(*, brand: Brand, actor: Membership | None, data: bytes, parsed: ParsedFile,
             options: dict[str, Any]) -> ImportJob:
    job = ImportJob(brand=brand, created_by=actor.user if actor is not None else None, original_name=parsed.name,
                    total_rows=len(parsed.rows),
                    options={"encoding": parsed.encoding, "delimiter": parsed.delimiter, "header": parsed.header,
                             **options})
    job.file.save(f"{brand.pk}-{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
    job.save()
    return job


def _queue(job: ImportJob) -> None:
    from .tasks import import_customers

    brand_id, job_id = job.brand_id, job.pk
    transaction.on_commit(lambda: import_customers.delay(brand_id, job_id))


def _precheck(brand: Brand, parsed: ParsedFile, columns: dict[int, str]) -> None:
    _valid, errors, invalid_rows = _check_rows(brand, parsed, columns)
    if errors:
        raise _rows_error(errors, invalid_rows)


def customer_import_create(*, brand: Brand, file, mapping: dict[str, str] | None = None, skip_invalid: bool = False,
                           actor: Membership | None = None, actor_label: str = "") -> ImportJob:
    """The API's one step: check the file (and every row unless skipping), then queue the job.

    Any problem is an ApplicationError and leaves nothing behind, not even a job.
    """
    customer_bulk_access_check(actor=actor)
    data, name = _read_upload(file)
    parsed = import_file_read(data=data, name=name)
    columns = _resolve_mapping(parsed.header, mapping)
    if not skip_invalid:
        _precheck(brand, parsed, columns)
    with transaction.atomic():
        job = _new_job(brand=brand, actor=actor, data=data, parsed=parsed, options={
            "mapping": {parsed.header[i]: f for i, f in columns.items()}, "skip_invalid": bool(skip_invalid),
            "actor_label": actor_label[:120]})
        _queue(job)
    return job


def customer_import_draft(*, brand: Brand, file, actor: Membership | None = None,
                          actor_label: str = "dashboard") -> ImportJob:
    """The dashboard's first step: keep a readable file and wait for the column mapping."""
    customer_bulk_access_check(actor=actor)
    data, name = _read_upload(file)
    parsed = import_file_read(data=data, name=name)
    with transaction.atomic():
        return _new_job(brand=brand, actor=actor, data=data, parsed=parsed, options={
            "draft": True, "mapping": import_mapping_guess(parsed.header), "skip_invalid": False,
            "sample": import_file_preview(parsed), "actor_label": actor_label[:120]})


def _job_file(job: ImportJob) -> ParsedFile:
    if not job.file:
        raise _file_error("file_missing", _("The uploaded file is no longer available. Upload it again."))
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        raise _file_error("file_missing", _("The uploaded file is no longer available. Upload it again."))
    return import_file_read(data=data, name=job.original_name)


def customer_import_submit(*, job: ImportJob, mapping: dict[str, str], skip_invalid: bool = False,
                           actor: Membership | None = None) -> ImportJob:
    """The dashboard's second step: the mapping is chosen; check the rows unless skipping, then queue."""
    customer_bulk_access_check(actor=actor)
    if not job.options.get("draft"):
        raise ApplicationError("already_started", _("This import has already started."), status=409)
    parsed = _job_file(job)
    columns = _resolve_mapping(parsed.header, mapping)
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


def _progress_key(job_id: int) -> str:
    return f"crm:import:{job_id}:progress"


def _progress_publish(job_id: int, **values: Any) -> None:
    try:
        cache.set(_progress_key(job_id), values, timeout=6 * 3600)
    except Exception:  # progress is a nicety: a cache outage must not fail the import
        logger.warning("Could not publish the progress of import %s", job_id, exc_info=True)


def _progress_clear(job_id: int) -> None:
    try:
        cache.delete(_progress_key(job_id))
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


def _write(job: ImportJob, rows: list[CheckedRow], skipped: int) -> list[str]:
    """All the customer writes of a job, in batches; returns the ids of the events recorded."""
    brand, now = job.brand, timezone.now()
    event_ids: list[str] = []
    created = updated = 0
    for batch in _chunks(rows, BATCH_SIZE):
        consents: list = []
        new = [_new_customer(brand, row, job.original_name, consents) for row in batch if row.target is None]
        changed = [row.target for row in batch
                   if row.target is not None and _apply_changes(row.target, row.data, now, consents)]
        Customer.objects.bulk_create(new)
        ConsentChange.objects.bulk_create(
            [change for customer, changes in consents for change in consent_changes_build(customer, changes, "import")])
        for customer in changed:
            # One UPDATE per changed row: bulk_update's CASE expressions cost far more in Python for wide rows.
            Customer.objects.filter(pk=customer.pk, brand_id=brand.pk).update(
                **{name: getattr(customer, name) for name in _UPDATABLE})
        events = [Event(brand=brand, type="customer.created", payload=customer_event_payload(c)) for c in new]
        events += [Event(brand=brand, type="customer.updated", payload=customer_event_payload(c)) for c in changed]
        Event.objects.bulk_create(events)
        event_ids += [str(e.id) for e in events]
        created += len(new)
        updated += len(batch) - len(new)
        _progress_publish(job.pk, phase="writing", processed=skipped + created + updated, created=created,
                          updated=updated, skipped=skipped)
    job.created_count, job.updated_count = created, updated
    return event_ids


def import_events_relay(*, brand_id: int, event_ids: list[str]) -> int:
    """Relay one batch of an import's outbox events; returns how many are now relayed.

    Events of a type nobody subscribes to are marked relayed together, which is exactly
    what `event_relay` would do one by one (100,000 events: seconds instead of minutes);
    the others go through `event_relay`.
    """
    from privtraffic.events.registry import subscribers_for
    from privtraffic.events.services import event_relay

    pending = Event.objects.filter(brand_id=brand_id, pk__in=event_ids, relayed_at__isnull=True,
                                   failed_at__isnull=True)
    types = {kind: bool(subscribers_for(kind)) for kind in pending.values_list("type", flat=True).distinct()}
    quiet = [kind for kind, subscribed in types.items() if not subscribed]
    relayed = pending.filter(type__in=quiet).update(relayed_at=timezone.now()) if quiet else 0
    for event in pending.exclude(type__in=quiet).order_by("created_at"):
        relayed += bool(event_relay(event=event))
    return relayed


def _queue_relays(brand_id: int, event_ids: list[str]) -> None:
    from .tasks import relay_import_events

    for chunk in _chunks(event_ids, BATCH_SIZE):
        # robust: the import has committed; the outbox sweep relays anything a lost broker drops.
        transaction.on_commit(lambda chunk=chunk: relay_import_events.delay(brand_id, chunk), robust=True)


def _finish(job: ImportJob, status: str, errors: list[dict[str, Any]] | None = None) -> None:
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


def _fail_outside(job: ImportJob, message: str) -> ImportJob:
    """Mark a job failed after its transaction rolled back."""
    job.refresh_from_db()
    job.created_count = job.updated_count = job.skipped_count = job.processed_rows = 0
    _finish(job, ImportStatus.FAILED, [{"row": None, "field": "", "message": message}])
    return job


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
        return _fail_outside(job, exc.message)
    except IntegrityError:
        logger.warning("Import %s hit a conflicting write", job.pk, exc_info=True)
        return _fail_outside(job, _("Customers changed while importing, so nothing was imported. Upload the "
                                    "file again."))
    except Exception:
        logger.exception("Import %s failed", job.pk)
        return _fail_outside(job, _("The import failed unexpectedly, so nothing was imported. Try again later."))
    finally:
        _progress_clear(job.pk)


def _run_locked(job: ImportJob) -> None:
    parsed = _job_file(job)
    skip_invalid = bool(job.options.get("skip_invalid"))
    columns = _resolve_mapping(parsed.header, job.options.get("mapping"))
    job.total_rows = len(parsed.rows)
    _progress_publish(job.pk, phase="checking", checked=0, processed=0, created=0, updated=0, skipped=0)
    valid, errors, invalid_rows = _check_rows(
        job.brand, parsed, columns,
        progress=lambda done: _progress_publish(job.pk, phase="checking", checked=done, processed=0, created=0,
                                                updated=0, skipped=0))
    job.errors = [e.as_dict() for e in errors[:MAX_ERRORS]]
    if errors and not skip_invalid:
        job.created_count = job.updated_count = job.processed_rows = 0
        job.skipped_count = 0
        _finish(job, ImportStatus.FAILED)
        return
    job.skipped_count = invalid_rows
    event_ids = _write(job, valid, skipped=invalid_rows)
    job.processed_rows = job.total_rows
    AuditLog.objects.create(
        brand_id=job.brand_id, actor=job.created_by, actor_label=job.options.get("actor_label", ""), action="customers.imported",
        detail={"import_id": job.pk, "file": job.original_name, "created": job.created_count,
                "updated": job.updated_count, "skipped": job.skipped_count})
    _finish(job, ImportStatus.DONE)
    _queue_relays(job.brand_id, event_ids)


# --- reads -----------------------------------------------------------------------------------


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
            live = cache.get(_progress_key(job.pk)) or {}
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


def parse_mapping_json(raw: Any) -> dict[str, str] | None:
    """The API's `mapping`: a JSON object (or its text) of column name -> field."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            message = _("The mapping must be JSON, e.g. {\"Full name\": \"name\", \"Mobile\": \"phone\"}.")
            raise ApplicationError("invalid_mapping", message, fields={"mapping": [message]})
    if not isinstance(raw, dict):
        message = _("The mapping must be an object of column name to field.")
        raise ApplicationError("invalid_mapping", message, fields={"mapping": [message]})
    return raw
