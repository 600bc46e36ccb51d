"""CSV export of customers (all of them, or a `search`; segments do not exist yet).

The columns are the ones the import understands, so an export can be edited and
imported back. Cells that a spreadsheet would run as a formula are escaped with a
leading quote (the import removes it again from names). The file starts with a
UTF-8 BOM so Excel shows Chinese names correctly.
"""

import csv
import io
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils import timezone

from privtraffic.accounts.models import User
from privtraffic.tenancy.models import Brand, Membership

from .customers.selectors import customer_list
from .importing import customer_bulk_access_check
from .models import AuditLog, Customer

HEADER = ["id", "name", "email", "phone", "home_store", "assigned_rep", "consent_chat", "consent_promotions",
          "source", "created_at"]
ROWS_PER_CHUNK = 500
_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _cell(value: str) -> str:
    # E.164 phones ("+8613800138000") are digits only and stay as they are.
    if _FORMULA.match(value) and not re.fullmatch(r"\+\d+", value):
        return "'" + value
    return value


def _line(customer: Customer) -> list[str]:
    rep = customer.assigned_rep
    return [
        str(customer.pk), _cell(customer.name), _cell(customer.email), _cell(customer.phone),
        _cell(customer.home_store.name if customer.home_store else ""),
        _cell(rep.user.email if rep is not None else ""),
        "yes" if customer.consent_chat else "no", "yes" if customer.consent_promotions else "no",
        customer.source, customer.created_at.astimezone(UTC).isoformat(timespec="seconds"),
    ]


def _chunks(customers) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield "\ufeff" + buffer.getvalue()
    count = 0
    for customer in customers.iterator(chunk_size=2000):
        if count % ROWS_PER_CHUNK == 0:
            buffer.seek(0)
            buffer.truncate()
        writer.writerow(_line(customer))
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
    if count % ROWS_PER_CHUNK:
        yield buffer.getvalue()


def customers_export_csv(*, brand: Brand, actor: Membership | None = None, actor_user: User | None = None,
                         actor_label: str = "", search: str = "", segment_id: int | None = None) -> Iterator[str]:
    """The brand's customers (what `actor` may see; erased people left out), optionally one segment's, as CSV
    text chunks; audited."""
    from .segments import customers_in_segment

    customer_bulk_access_check(actor=actor)
    customers = customer_list(brand=brand, actor=actor, search=search)
    if segment_id is not None:
        customers = customers_in_segment(brand=brand, segment_id=segment_id, within=customers)
    customers = customers.filter(erased_at__isnull=True).order_by("id")
    AuditLog.objects.create(brand=brand, actor=actor_user, actor_label=actor_label[:120], action="customers.exported",
                            detail={"search": search, "segment": segment_id, "rows": customers.count()})
    return _chunks(customers)


async def as_async(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Stream a sync generator under ASGI without buffering it: each chunk is read in the sync thread."""
    sentinel = object()
    while True:
        chunk = await sync_to_async(next, thread_sensitive=True)(chunks, sentinel)
        if chunk is sentinel:
            return
        yield chunk


def export_response(request, brand: Brand, chunks: Iterator[str]) -> StreamingHttpResponse:
    """A streamed CSV download (async iteration under ASGI, plain iteration under WSGI and tests)."""
    django_request = getattr(request, "_request", request)
    content = as_async(chunks) if isinstance(django_request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = f"customers-{brand.slug}-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
