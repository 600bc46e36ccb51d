"""The brand overview's figures that chats owns: messages by customers and by staff over time, and how fast
reps answer. Brand-scoped, on the message_brand_created index (brand_id, created_at).

A first response is the first message of a rep (or other staff) after a customer starts talking in a 1:1
chat: a customer message whose previous message was not the customer's opens a wait, and the next staff
message ends it. Bots, campaigns and system notices do not count as an answer.
"""

import datetime
import statistics

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from privtraffic.tenancy.models import Brand

from ..models import Message, SenderType

STAFF_SENDERS = (SenderType.REP, SenderType.STAFF)


def _store_q(store_id: int | None) -> Q:
    """A store's conversations: its groups, and 1:1 chats of its customers (home store or rep's store)."""
    if store_id is None:
        return Q()
    return (Q(conversation__group__store_id=store_id) | Q(conversation__customer__home_store_id=store_id)
            | Q(conversation__customer__assigned_rep__store_id=store_id))


def message_counts_by_day(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> dict:
    """{date: {"customer": n, "staff": n}} for the days since `start` (brand's time zone), deleted
    messages left out."""
    rows = (Message.objects.filter(brand=brand, created_at__gte=start, deleted_at__isnull=True)
            .filter(_store_q(store_id))
            .filter(sender_type__in=(SenderType.CUSTOMER, *STAFF_SENDERS))
            .annotate(day=TruncDate("created_at", tzinfo=brand.tzinfo))
            .values("day")
            .annotate(customer=Count("id", filter=Q(sender_type=SenderType.CUSTOMER)),
                      staff=Count("id", filter=Q(sender_type__in=STAFF_SENDERS)))
            .order_by("day"))
    return {row["day"]: {"customer": row["customer"], "staff": row["staff"]} for row in rows}


_STORE_SQL = """ AND (c.customer_id IN (
    SELECT cu.id FROM crm_customer cu LEFT JOIN tenancy_membership rm ON rm.id = cu.assigned_rep_id
    WHERE cu.brand_id = %(brand)s AND (cu.home_store_id = %(store)s OR rm.store_id = %(store)s)))"""

# The period's 1:1 messages of customers and staff in chat order. A wait starts at a customer message after
# a staff one (or at the first); it is answered by the staff message right after the customer's turn. Kept to
# those rows, starts and answers alternate, so an answer's LAG is its start: two window passes, one sort.
_WAITS_SQL = """
WITH msgs AS (
    SELECT m.conversation_id, m.seq, m.sender_type, m.sender_user_id, m.created_at,
           LAG(m.sender_type) OVER (PARTITION BY m.conversation_id ORDER BY m.seq) AS prev_sender
    FROM chats_message m JOIN chats_conversation c ON c.id = m.conversation_id
    WHERE m.brand_id = %(brand)s AND m.created_at >= %(start)s AND c.kind = 'direct'
          AND m.deleted_at IS NULL AND m.sender_type IN ('customer', 'rep', 'staff'){store}
), turns AS (
    SELECT sender_type, sender_user_id, created_at,
           LAG(created_at) OVER (PARTITION BY conversation_id ORDER BY seq) AS asked_at
    FROM msgs
    WHERE (sender_type = 'customer' AND (prev_sender IS NULL OR prev_sender <> 'customer'))
       OR (sender_type <> 'customer' AND prev_sender = 'customer')
)
SELECT sender_user_id, {seconds} AS waited FROM turns WHERE sender_type <> 'customer'
"""


# Only our own constant fragments are formatted in; every value travels as a parameter.
_MEDIANS_SQL = """SELECT sender_user_id, GROUPING(sender_user_id), percentile_cont(0.5) WITHIN GROUP (ORDER BY waited),
COUNT(*) FROM ({waits}) waits GROUP BY ROLLUP (sender_user_id)"""  # noqa: S608


def _waits_sql(store_id: int | None) -> str:
    if connection.vendor == "postgresql":
        seconds = "EXTRACT(EPOCH FROM (created_at - asked_at))"
    else:  # SQLite, the embedded default
        seconds = "(julianday(created_at) - julianday(asked_at)) * 86400.0"
    return _WAITS_SQL.format(store=_STORE_SQL if store_id is not None else "", seconds=seconds)


def first_response_stats(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> dict:
    """Median first-response time in seconds over the period's waits that were answered, overall and per
    responding staff user: {"median": s | None, "count": n, "by_user": {user_id: {"median": s, "count": n}}}.
    PostgreSQL computes the medians (percentile_cont per user, ROLLUP for the whole brand); SQLite, the
    embedded default, gets the waits and takes the medians here."""
    params = {"brand": brand.pk, "start": start, "store": store_id}
    stats = {"median": None, "count": 0, "by_user": {}}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_MEDIANS_SQL.format(waits=_waits_sql(store_id)), params)
            for user_id, total_row, median, count in cursor.fetchall():
                if total_row:
                    stats["median"], stats["count"] = float(median) if median is not None else None, count
                elif user_id is not None:
                    stats["by_user"][user_id] = {"median": float(median), "count": count}
            return stats
        cursor.execute(_waits_sql(store_id), params)
        waits = cursor.fetchall()
    by_user: dict[int, list[float]] = {}
    for user_id, waited in waits:
        if user_id is not None:
            by_user.setdefault(user_id, []).append(waited)
    if waits:
        stats["median"], stats["count"] = statistics.median(w for _u, w in waits), len(waits)
    stats["by_user"] = {u: {"median": statistics.median(ws), "count": len(ws)} for u, ws in by_user.items()}
    return stats
