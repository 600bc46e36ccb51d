"""Writes of the overview's daily rollups (chats.analytics.rollup): each finished day once."""

import datetime

from django.db import transaction
from django.utils import timezone

from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.models import Brand

from ..models import MessageDayStat, ResponseDayStat, StatDay
from . import rollup


def analytics_days_fill(*, brand: Brand, actor: Actor, since: datetime.date) -> int:
    """Write the rollups of every finished day from `since` to yesterday (brand's zone) not written yet;
    returns how many days were written. One scan of the missing span, bulk inserts, one transaction; a
    concurrent filler of the same days waits on the StatDay rows, then writes the same figures again.
    Safe to run twice."""
    authorize(actor, None, brand, what="brand")
    tz = brand.tzinfo
    today = timezone.localdate(timezone=tz)
    done = set(StatDay.objects.filter(brand=brand, day__gte=since, day__lt=today).values_list("day", flat=True))
    missing = [since + datetime.timedelta(days=n) for n in range((today - since).days)
               if since + datetime.timedelta(days=n) not in done]
    if not missing:
        return 0
    start = datetime.datetime.combine(missing[0], datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz)
    wanted = set(missing)
    counts = [row for row in rollup.message_counts(brand, start=start, end=end) if row["day"] in wanted]
    answered = rollup.wait_histograms([row for row in rollup.waits(brand, start=start, end=end) if row["day"] in wanted])
    with transaction.atomic():
        created = StatDay.objects.bulk_create([StatDay(brand=brand, day=day) for day in missing],
                                              ignore_conflicts=True)
        MessageDayStat.objects.filter(brand=brand, day__in=missing).delete()
        ResponseDayStat.objects.filter(brand=brand, day__in=missing).delete()
        MessageDayStat.objects.bulk_create(
            [MessageDayStat(brand=brand, day=r["day"], store_key=r["store_key"], customer_count=r["customer"],
                            staff_count=r["staff"]) for r in counts], batch_size=1000)
        ResponseDayStat.objects.bulk_create(
            [ResponseDayStat(brand=brand, day=day, store_key=store_key, responder_id=responder, count=h["count"],
                             histogram=h["histogram"]) for (day, store_key, responder), h in answered.items()],
            batch_size=1000)
    return len(missing) if created is not None else 0
