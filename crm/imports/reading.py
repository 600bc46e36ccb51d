"""Reading an uploaded CSV: size limits, binary refusal, decoding (a BOM's encoding: UTF-8, UTF-16 or UTF-32;
else UTF-8; else GB18030/GBK or cp1252/Latin-1 as charset-normalizer detects), the delimiter (comma, semicolon
or tab), the header and the rows, and the preview the mapping page shows. Nothing here writes; a bad file is an
ApplicationError naming `file`. A NUL or an undecodable byte in a data row is left in the row, marked (BAD_TEXT),
for checking.py to report as that row's error: the rest of the file still imports with skip-invalid."""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from charset_normalizer import from_bytes
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


# What the encoding detector may choose between once a file is neither UTF-8 nor marked by a BOM: the legacy
# encodings our customers' spreadsheets save in (GB18030 covers GBK and GB2312; cp1252 covers Latin-1's letters).
# A wider list lets short files be read as Big5, EUC-KR or cp1250 by chance.
_LEGACY_ENCODINGS = ["gb18030", "cp1252"]
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_MARK_ERRORS = "crm_import_mark"
# A byte that is not text: a NUL, or a byte the encoding cannot read (decoded as U+DC00 + the byte, which no
# correct decoding produces: a lone surrogate).
BAD_TEXT = re.compile("[\x00\udc00-\udcff]")
_UNDECODABLE = re.compile("[\udc00-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _mark_undecodable(exc: UnicodeDecodeError) -> tuple[str, int]:
    return "".join(chr(0xDC00 + byte) for byte in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(_MARK_ERRORS, _mark_undecodable)


def _file_error(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={"file": [message]})


def _bom_encoding(data: bytes) -> str | None:
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def _reject_binary(data: bytes) -> None:
    """Workbooks, PDFs and other binary files are refused as a whole; a stray NUL in a data row is that
    row's error (checking.py), not the file's."""
    if (_bom_encoding(data) or "").startswith(("utf-16", "utf-32")):
        return  # NUL bytes are how UTF-16 and UTF-32 write ASCII
    head = data[:8192]
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _file_error("file_not_csv", _("This is an Excel workbook, not a CSV file. In Excel choose Save As › "
                                            "“CSV UTF-8” and upload that file."))
    first_line = head.split(b"\n", 1)[0]
    if (head.startswith(b"%PDF") or b"\x00" in first_line
            or len(_CONTROL_BYTES.findall(head)) * 10 > len(head)):
        raise _file_error("file_not_csv", _("This is not a CSV file. Upload a text file with one customer per "
                                            "line and columns separated by commas, semicolons or tabs."))


def _undecodable_count(data: bytes, encoding: str) -> int:
    return len(_UNDECODABLE.findall(data.decode(encoding, errors=_MARK_ERRORS)))


def _detect_encoding(data: bytes) -> str:
    """The file's encoding: its BOM's; else UTF-8 when it reads as UTF-8 (a few bad bytes among UTF-8 letters
    stay UTF-8, and those rows are errors); else what charset-normalizer finds among the legacy encodings;
    else whichever of those reads the most of it."""
    bom = _bom_encoding(data)
    if bom:
        return bom
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8", errors=_MARK_ERRORS)
    undecodable = len(_UNDECODABLE.findall(as_utf8))
    if len(_NON_ASCII.findall(as_utf8)) - undecodable >= undecodable:
        return "utf-8"  # as many letters read right as bytes that did not: UTF-8 with a few damaged bytes
    best = from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is not None:
        return codecs.lookup(best.encoding).name
    return min(["utf-8", *_LEGACY_ENCODINGS], key=lambda encoding: _undecodable_count(data, encoding))


def _decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text (undecodable bytes marked, see BAD_TEXT) and the encoding it was read with. `encoding`, when
    given, is the one detected at upload (the task reads the stored file the same way)."""
    encoding = encoding or _detect_encoding(data)
    try:
        text = data.decode(encoding, errors=_MARK_ERRORS)
    except LookupError:
        return _decode(data)
    return text.removeprefix("\ufeff"), encoding


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


def import_file_read(*, data: bytes, name: str = "", max_rows: int = MAX_ROWS, encoding: str | None = None
                     ) -> ParsedFile:
    """Decode and split an uploaded CSV; every problem with the file itself is an ApplicationError (400)."""
    if not data.strip():
        raise _file_error("file_empty", _("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _file_error("file_too_large", _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // 2**20})
    _reject_binary(data)
    text, encoding = _decode(data, encoding)
    if not text.strip():
        raise _file_error("file_empty", _("The file is empty."))
    delimiter = _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    parsed = ParsedFile(name=name, encoding=encoding, delimiter=delimiter, header=[])
    try:
        first = next(reader, [])
        parsed.header = [cell.strip() for cell in first]
        if any(BAD_TEXT.search(cell) for cell in parsed.header):
            raise _file_error("file_encoding", _("Row 1 (the column names) has a NUL byte or a character that "
                                                 "cannot be read as %(encoding)s text. Save the file as “CSV "
                                                 "UTF-8” and upload it again.") % {"encoding": encoding_label(encoding)})
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


def row_has_bad_text(cells: list[str]) -> bool:
    return any(BAD_TEXT.search(cell) for cell in cells)


def encoding_label(encoding: str) -> str:
    """How a person knows an encoding: "UTF-8", "UTF-16", "GB18030", "Windows-1252"."""
    name = codecs.lookup(encoding).name if encoding else ""
    return {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252 (Latin-1)"}.get(name, name.upper())


def import_file_preview(parsed: ParsedFile) -> list[list[str]]:
    """The first rows the mapping page shows (rows with bytes that are not text left out)."""
    return [cells for _number, cells in parsed.rows if not row_has_bad_text(cells)][:SAMPLE_ROWS]



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
    return import_file_read(data=data, name=job.original_name, encoding=job.options.get("encoding") or None)

