"""The brand overview's figures that chats owns: messages by customers and by staff over time, and how fast
reps answer (definitions in chats.analytics.rollup). Finished days come from the daily rollups
(MessageDayStat, ResponseDayStat: a few rows per day, on indexes that start with brand_id), written by
services.analytics_days_fill; today is computed live from today's messages only."""

import datetime

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from privtraffic.tenancy.models import Brand

from ..models import MessageDayStat
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


# The finished days' histograms summed per responder and bucket (PostgreSQL's jsonb, SQLite's JSON1 text),
# for the whole brand or one store.
_HISTOGRAMS_SQL = {
    (vendor, by_store): "SELECT s.responder_id, h.key, SUM(CAST(h.value AS integer)) "
                        "FROM chats_responsedaystat s, " + each + "(s.histogram) h "
                        "WHERE s.brand_id = %(brand)s AND s.day >= %(first_day)s AND s.day < %(before)s "
                        + ("AND s.store_key = %(store)s " if by_store else "")
                        + "GROUP BY s.responder_id, h.key"
    for vendor, each in (("postgresql", "jsonb_each_text"), ("sqlite", "json_each")) for by_store in (False, True)
}


def _stored_histograms(brand: Brand, *, first_day: datetime.date, before: datetime.date,
                       store_id: int | None) -> list[dict]:
    """The finished days' histograms, already summed per responder by the database: [{"responder_id",
    "histogram"}]. One row per responder and bucket comes back, however many days and stores the period has
    (not every day-row's JSON merged in Python)."""
    sql = _HISTOGRAMS_SQL[("postgresql" if connection.vendor == "postgresql" else "sqlite", store_id is not None)]
    params = {"brand": brand.pk, "first_day": first_day, "before": before, "store": store_id}
    merged: dict[int | None, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for responder_id, key, count in cursor.fetchall():
            merged.setdefault(responder_id, {})[str(key)] = int(count)
    return [{"responder_id": responder_id, "histogram": histogram} for responder_id, histogram in merged.items()]


def first_response_stats(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> dict:
    """Median first-response time in seconds over the period's answered waits, overall and per responding
    staff user: {"median": s | None, "count": n, "by_user": {user_id: {"median": s, "count": n}}}. Finished
    days' histograms (a few rows per day) merged with today's waits; medians within half a histogram step."""
    today, today_start = _today_start(brand)
    first_day = start.astimezone(brand.tzinfo).date()
    rows = _stored_histograms(brand, first_day=first_day, before=today, store_id=store_id)
    live = [w for w in rollup.waits(brand, start=max(start, today_start), end=timezone.now() + datetime.timedelta(seconds=1))
            if store_id is None or w["store_key"] == store_id]
    rows += [{"responder_id": key[2], **entry} for key, entry in rollup.wait_histograms(live).items()]
    total: dict = {}
    by_user: dict[int, dict] = {}
    for row in rows:
        rollup.histogram_add(total, row["histogram"])
        if row["responder_id"] is not None:
            mine = by_user.setdefault(row["responder_id"], {})
            rollup.histogram_add(mine, row["histogram"])
    return {
        "median": rollup.histogram_median(total),
        "count": sum(total.values()),
        "by_user": {u: {"median": rollup.histogram_median(h), "count": sum(h.values())} for u, h in by_user.items()},
    }
