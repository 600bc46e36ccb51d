"""Reading the period's messages straight from chats_message costs a scan of every message in it (400,000
messages at 100,000 customers: seconds, not milliseconds). So the overview reads two small daily rollups
(MessageDayStat, ResponseDayStat) for finished days, and only today live. This module computes both for any
span of time; services.analytics_days_fill writes them for finished days, selectors compute today's.

A first response is the first message of a rep (or other staff) after a customer starts talking in a 1:1
chat: a customer message whose previous message was not the customer's opens a wait, and the next staff
message ends it. Bots, campaigns and system notices neither open nor end a wait. A conversation's store is
its group's, or its customer's home store, or their rep's (0 when none).
"""

import bisect
import datetime
import math

from django.db import connection
from django.db.models import Count, IntegerField, Q, Value
from django.db.models.functions import Coalesce, TruncDate

from privtraffic.tenancy.models import Brand

from ..models import Message, SenderType

STAFF_SENDERS = (SenderType.REP, SenderType.STAFF)

# Lower edges (seconds) of the first-response histogram: 5 s steps to 2 min, 15 s to 10 min, 1 min to an hour,
# 15 min to a day, 6 h to a week, then one last open bucket. A median read from it is within half a step.
BUCKETS: list[float] = [
    *range(0, 120, 5), *range(120, 600, 15), *range(600, 3600, 60), *range(3600, 86400, 900),
    *range(86400, 7 * 86400 + 1, 6 * 3600),
]


def bucket_of(seconds: float) -> int:
    return max(bisect.bisect_right(BUCKETS, max(seconds, 0.0)) - 1, 0)


def histogram_add(histogram: dict, other: dict) -> dict:
    for key, count in other.items():
        histogram[str(key)] = histogram.get(str(key), 0) + count
    return histogram


def histogram_median(histogram: dict) -> float | None:
    """The median of the waits counted in `histogram`, each placed evenly within its bucket (as
    statistics.median does, the mean of the two middle ones when the count is even)."""
    counts = sorted((int(k), c) for k, c in histogram.items() if c)
    total = sum(c for _k, c in counts)
    if not total:
        return None

    def value_at(rank: int) -> float:  # 1-based
        seen = 0
        for index, count in counts:
            if seen + count >= rank:
                low = BUCKETS[index]
                high = BUCKETS[index + 1] if index + 1 < len(BUCKETS) else low * 2
                return low + (high - low) * (rank - seen - 0.5) / count
            seen += count
        return math.nan

    return (value_at((total + 1) // 2) + value_at(total // 2 + 1)) / 2


def message_counts(brand: Brand, *, start: datetime.datetime, end: datetime.datetime | None = None) -> list[dict]:
    """[{"day", "store_key", "customer", "staff"}] for messages in [start, end), days in the brand's zone."""
    qs = Message.objects.filter(brand=brand, created_at__gte=start, deleted_at__isnull=True,
                                sender_type__in=(SenderType.CUSTOMER, *STAFF_SENDERS))
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    store_key = Coalesce("conversation__group__store_id", "conversation__customer__home_store_id",
                         "conversation__customer__assigned_rep__store_id", Value(0), output_field=IntegerField())
    return list(qs.annotate(day=TruncDate("created_at", tzinfo=brand.tzinfo), store_key=store_key)
                .values("day", "store_key")
                .annotate(customer=Count("id", filter=Q(sender_type=SenderType.CUSTOMER)),
                          staff=Count("id", filter=Q(sender_type__in=STAFF_SENDERS)))
                .order_by())


# Kept to the period's wait starts and answers, starts and answers alternate, so an answer's LAG is its start:
# two window passes over one sort. Only constant fragments are formatted in; values travel as parameters.
_WAITS_SQL = """
WITH msgs AS (
    SELECT m.conversation_id, m.seq, m.sender_type, m.sender_user_id, m.created_at,
           LAG(m.sender_type) OVER (PARTITION BY m.conversation_id ORDER BY m.seq) AS prev_sender
    FROM chats_message m JOIN chats_conversation c ON c.id = m.conversation_id
    WHERE m.brand_id = %(brand)s AND m.created_at >= %(start)s AND m.created_at < %(end)s AND c.kind = 'direct'
          AND m.deleted_at IS NULL AND m.sender_type IN ('customer', 'rep', 'staff')
), turns AS (
    SELECT conversation_id, sender_type, sender_user_id, created_at,
           LAG(created_at) OVER (PARTITION BY conversation_id ORDER BY seq) AS asked_at
    FROM msgs
    WHERE (sender_type = 'customer' AND (prev_sender IS NULL OR prev_sender <> 'customer'))
       OR (sender_type <> 'customer' AND prev_sender = 'customer')
)
SELECT t.sender_user_id, t.created_at, {seconds},
       COALESCE(cu.home_store_id, rm.store_id, 0)
FROM turns t JOIN chats_conversation c ON c.id = t.conversation_id
JOIN crm_customer cu ON cu.id = c.customer_id LEFT JOIN tenancy_membership rm ON rm.id = cu.assigned_rep_id
WHERE t.sender_type <> 'customer' AND t.created_at >= %(answered_from)s
"""  # noqa: S608


def wait_histograms(rows: list[dict]) -> dict[tuple, dict]:
    """{(day, store_key, responder_id): {"count": n, "histogram": {...}}} of waits() rows."""
    grouped: dict[tuple, dict] = {}
    for row in rows:
        entry = grouped.setdefault((row["day"], row["store_key"], row["responder_id"]), {"count": 0, "histogram": {}})
        entry["count"] += 1
        key = str(bucket_of(row["seconds"]))
        entry["histogram"][key] = entry["histogram"].get(key, 0) + 1
    return grouped


def waits(brand: Brand, *, start: datetime.datetime, end: datetime.datetime) -> list[dict]:
    """[{"day", "store_key", "responder_id", "seconds"}] for waits answered in [start, end). A wait opened up to
    a day before `start` counts on the day it was answered."""
    if connection.vendor == "postgresql":
        seconds = "EXTRACT(EPOCH FROM (t.created_at - t.asked_at))"
    else:  # SQLite, the embedded default
        seconds = "(julianday(t.created_at) - julianday(t.asked_at)) * 86400.0"
    params = {"brand": brand.pk, "start": start - datetime.timedelta(days=1), "end": end, "answered_from": start}
    with connection.cursor() as cursor:
        cursor.execute(_WAITS_SQL.format(seconds=seconds), params)
        rows = cursor.fetchall()
    tz = brand.tzinfo
    result = []
    for responder, answered_at, waited, store_key in rows:
        if isinstance(answered_at, str):  # SQLite hands back text
            answered_at = datetime.datetime.fromisoformat(answered_at)
        if answered_at.tzinfo is None:
            answered_at = answered_at.replace(tzinfo=datetime.UTC)
        result.append({"day": answered_at.astimezone(tz).date(), "store_key": store_key, "responder_id": responder,
                       "seconds": float(waited)})
    return result
