"""Checking rows: every cell cleaned like a customer's field, stores by id or name, yes/no consents,
the same email or phone twice in a file, NUL and undecodable bytes (the row's error), and matching existing customers (by email, else phone) so a row
updates instead of duplicating. Rows are numbered as in a spreadsheet: the header is row 1."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Store

from ..customers.services import customer_fields_clean
from ..models import Customer
from ..profile.services import tag_names_clean
from .mapping import FIELD_LABELS
from .reading import BAD_TEXT, ParsedFile, encoding_label

MAX_ERRORS = 1000  # errors kept on a job and listed in an answer; the count says how many more there were

_TRUE = {"1", "true", "yes", "y", "t", "x", "on", "是", "同意", "✓", "✔"}
_FALSE = {"0", "false", "no", "n", "f", "off", "否", "不同意"}
# A cell an export escaped against spreadsheet formulas ("'=..."): the quote goes on import.
_ESCAPED_FORMULA = re.compile(r"^'[=+\-@]")


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
    if raw.get("tags"):
        # Several tags in one cell, separated by commas, semicolons or |; unknown ones are created on import.
        try:
            data["tags"] = tag_names_clean(re.split(r"[,;|]", raw["tags"]))
        except ApplicationError as exc:
            errors.append(RowError(number, "tags", str(exc.fields["tags"][0])))
    # Blank cells never erase anything: only values that were given are kept.
    data = {key: value for key, value in data.items() if value not in ("", None)}
    return (None if errors else CheckedRow(row=number, data=data)), errors


def _bad_text_error(parsed: ParsedFile, number: int, cells: list[str]) -> RowError | None:
    """A NUL or an undecodable byte anywhere in the row (mapped column or not) makes the row invalid: it would
    fail the write, and a cell read wrong is no cell to trust."""
    for index, cell in enumerate(cells):
        if BAD_TEXT.search(cell):
            column = parsed.header[index] if index < len(parsed.header) and parsed.header[index] else index + 1
            return RowError(number, "", _("Column “%(column)s” has a NUL byte or a character that cannot be read "
                                          "as %(encoding)s text.")
                            % {"column": column, "encoding": encoding_label(parsed.encoding)})
    return None


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _match_existing(brand: Brand, rows: list[CheckedRow]) -> list[RowError]:
    """Point each row at the customer it updates (by email, else phone); errors for ambiguous rows."""
    emails = sorted({r.data["email"] for r in rows if r.data.get("email")})
    phones = sorted({r.data["phone"] for r in rows if r.data.get("phone")})
    live = Customer.objects.filter(brand=brand, erased_at__isnull=True)
    by_email: dict[str, Customer] = {}
    for chunk in chunks(emails, 1000):
        by_email.update({c.email: c for c in live.filter(email__in=chunk)})
    by_phone: dict[str, Customer] = {}
    for chunk in chunks(phones, 1000):
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


def rows_check(brand: Brand, parsed: ParsedFile, columns: dict[int, str], *, progress_every: int,
               progress: Callable[[int], None] | None = None) -> tuple[list[CheckedRow], list[RowError], int]:
    """Every row checked; returns (valid rows, errors, number of invalid rows)."""
    stores = _stores_by_key(brand) if "home_store" in columns.values() else {}
    valid: list[CheckedRow] = []
    errors: list[RowError] = []
    seen_email: dict[str, int] = {}
    seen_phone: dict[str, int] = {}
    for done, (number, cells) in enumerate(parsed.rows, start=1):
        bad_text = _bad_text_error(parsed, number, cells)
        if bad_text is not None:
            checked, row_errors = None, [bad_text]
        else:
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
        if progress is not None and done % progress_every == 0:
            progress(done)
    match_errors = _match_existing(brand, valid)
    if match_errors:
        bad = {e.row for e in match_errors}
        valid = [r for r in valid if r.row not in bad]
        errors = sorted(errors + match_errors, key=lambda e: e.row)
    return valid, errors, len({e.row for e in errors})


def rows_error(errors: list[RowError], invalid_rows: int) -> ApplicationError:
    texts = [e.text for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        texts.append(_("... and %(count)d more errors.") % {"count": len(errors) - MAX_ERRORS})
    message = ngettext("%(count)d row is not valid, so nothing was imported.",
                       "%(count)d rows are not valid, so nothing was imported.", invalid_rows) % {"count": invalid_rows}
    message += " " + _("Fix them, or skip invalid rows. Rows are numbered as in a spreadsheet: the header is row 1.")
    return ApplicationError("invalid_rows", message, fields={"rows": texts})

