"""The brand overview's figures that chats owns: messages by customers and by staff over time, and how fast
reps answer (definitions in chats.analytics.rollup). Finished days come from the daily rollups
(MessageDayStat, ResponseWait: a few rows per day, on indexes that start with brand_id), written by
services.analytics_days_fill; today is computed live from today's messages only."""

import datetime
import statistics

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from privtraffic.tenancy.models import Brand

from ..models import MessageDayStat, ResponseWait
from . import rollup


def _today_start(brand: Brand) -> tuple[datetime.date, datetime.datetime]:
    today = timezone.localdate(timezone=brand.tzinfo)
    return today, datetime.datetime.combine(today, datetime.time.min, tzinfo=brand.tzinfo)


def message_counts_by_day(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> dict:
    """{date: {"customer": n, "staff": n}} for the days since `start` (brand's time zone), deleted messages
    and bots left out."""
    today, today_start = _today_start(brand)
    first_day = start.astimezone(brand.tzinfo).date()
    stats = MessageDayStat.objects.filter(brand=brand, day__gte=first_day, day__lt=today)
    if store_id is not None:
        stats = stats.filter(store_key=store_id)
    result: dict = {}
    for row in stats.values("day").annotate(customer=Sum("customer_count"), staff=Sum("staff_count")).order_by():
        result[row["day"]] = {"customer": row["customer"], "staff": row["staff"]}
    live = [r for r in rollup.message_counts(brand, start=max(start, today_start))
            if store_id is None or r["store_key"] == store_id]
    for row in live:
        day = result.setdefault(row["day"], {"customer": 0, "staff": 0})
        day["customer"] += row["customer"]
        day["staff"] += row["staff"]
    return result


_STORE_SQL = " AND store_key = %(store)s"
_MEDIANS_SQL = """
SELECT responder_id, GROUPING(responder_id), percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), COUNT(*)
FROM (SELECT responder_id, seconds FROM chats_responsewait
      WHERE brand_id = %(brand)s AND day >= %(first_day)s AND day < %(today)s{store}
      UNION ALL SELECT * FROM unnest(%(responders)s::bigint[], %(seconds)s::float8[])) waits
GROUP BY ROLLUP (responder_id)
"""  # noqa: S608  (only the constant fragment above is formatted in)


def first_response_stats(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> dict:
    """Median first-response time in seconds over the period's answered waits, overall and per responding
    staff user: {"median": s | None, "count": n, "by_user": {user_id: {"median": s, "count": n}}}.
    PostgreSQL takes the medians (percentile_cont per user, ROLLUP for the brand) over the rollup rows and
    today's waits; SQLite, the embedded default, gets the rows and takes them here."""
    today, today_start = _today_start(brand)
    first_day = start.astimezone(brand.tzinfo).date()
    live = [w for w in rollup.waits(brand, start=max(start, today_start), end=timezone.now() + datetime.timedelta(seconds=1))
            if store_id is None or w["store_key"] == store_id]
    stats = {"median": None, "count": 0, "by_user": {}}
    if connection.vendor == "postgresql":
        params = {"brand": brand.pk, "first_day": first_day, "today": today, "store": store_id,
                  "responders": [w["responder_id"] for w in live], "seconds": [w["seconds"] for w in live]}
        with connection.cursor() as cursor:
            cursor.execute(_MEDIANS_SQL.format(store=_STORE_SQL if store_id is not None else ""), params)
            for user_id, total_row, median, count in cursor.fetchall():
                if total_row:
                    stats["median"], stats["count"] = (float(median) if median is not None else None), count
                elif user_id is not None:
                    stats["by_user"][user_id] = {"median": float(median), "count": count}
        return stats
    stored = ResponseWait.objects.filter(brand=brand, day__gte=first_day, day__lt=today)
    if store_id is not None:
        stored = stored.filter(store_key=store_id)
    rows = [*stored.values_list("responder_id", "seconds"), *((w["responder_id"], w["seconds"]) for w in live)]
    by_user: dict[int, list[float]] = {}
    for user_id, waited in rows:
        if user_id is not None:
            by_user.setdefault(user_id, []).append(waited)
    if rows:
        stats["median"], stats["count"] = statistics.median(w for _u, w in rows), len(rows)
    stats["by_user"] = {u: {"median": statistics.median(ws), "count": len(ws)} for u, ws in by_user.items()}
    return stats
