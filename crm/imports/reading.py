"""Reading an uploaded CSV: size limits, binary refusal, decoding (UTF-8 with or without BOM, else GB18030),
the delimiter (comma, semicolon or tab), the header and the rows, and the preview the mapping page shows.
Nothing here writes; a bad file is an ApplicationError naming `file`."""

import csv
import io
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError

from ..models import ImportJob

MAX_ROWS = 100_000
MAX_BYTES = 50 * 1024 * 1024
SAMPLE_ROWS = 3

_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{7,}$")


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



def upload_read(upload) -> tuple[bytes, str]:
    """The bytes and the file name of an upload (a Django UploadedFile or any readable with `name`)."""
    if upload is None:
        message = _("Attach a CSV file.")
        raise ApplicationError("invalid", message, fields={"file": [message]})
    name = (getattr(upload, "name", "") or "customers.csv").rsplit("/", 1)[-1][:200]
    if (getattr(upload, "size", 0) or 0) > MAX_BYTES:
        raise _file_error("file_too_large", _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // 2**20})
    return b"".join(upload.chunks()) if hasattr(upload, "chunks") else upload.read(), name



def job_file_read(job: ImportJob) -> ParsedFile:
    """The job's stored upload, read again (the task re-reads what the person uploaded)."""
    if not job.file:
        raise _file_error("file_missing", _("The uploaded file is no longer available. Upload it again."))
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        raise _file_error("file_missing", _("The uploaded file is no longer available. Upload it again."))
    return import_file_read(data=data, name=job.original_name)

