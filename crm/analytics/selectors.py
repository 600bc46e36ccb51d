"""The brand overview's figures that crm owns: members and joins over time, active customers, the join ->
survey -> order funnel and each rep's new customers. Every query is brand-scoped and rides an index that
starts with brand_id (customer_brand_created, customer_brand_active); `store_id` narrows to a store's
customers by the same rule the customer list uses (home store, or the rep's store)."""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from privtraffic.tenancy.models import Brand

from ..models import Customer, CustomerSource, SurveyResponse

# Customers who came in through a shareable link: the "joined" step of the invite funnel.
INVITE_SOURCES = (CustomerSource.INVITE_LINK, CustomerSource.REP)


PERIOD_DAYS = ("7", "30", "90")


def period_start(brand: Brand, days: int) -> datetime.datetime:
    """The start of a period of `days` days ending today, at midnight in the brand's time zone."""
    first_day = timezone.localdate(timezone=brand.tzinfo) - datetime.timedelta(days=days - 1)
    return datetime.datetime.combine(first_day, datetime.time.min, tzinfo=brand.tzinfo)


def _customers(brand: Brand, store_id: int | None) -> QuerySet[Customer]:
    qs = Customer.objects.filter(brand=brand)
    if store_id is not None:
        qs = qs.filter(Q(home_store_id=store_id) | Q(assigned_rep__store_id=store_id))
    return qs


def customer_total(brand: Brand, *, store_id: int | None = None) -> int:
    return _customers(brand, store_id).count()


def customer_exists(brand: Brand) -> bool:
    return Customer.objects.filter(brand=brand).exists()


def customer_growth(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> dict:
    """How many customers the brand had before `start`, and how many joined on each day since (in the
    brand's time zone): {"before": n, "by_day": {date: n}}."""
    customers = _customers(brand, store_id)
    before = customers.filter(created_at__lt=start).count()
    rows = (customers.filter(created_at__gte=start)
            .annotate(day=TruncDate("created_at", tzinfo=brand.tzinfo)).values("day")
            .annotate(n=Count("id")).order_by("day"))
    return {"before": before, "by_day": {row["day"]: row["n"] for row in rows}}


def customer_active_count(brand: Brand, *, since: datetime.datetime, store_id: int | None = None) -> int:
    """Customers who did something (chatted, opened a link, joined) since `since`."""
    return _customers(brand, store_id).filter(last_active_at__gte=since).count()


def customer_funnel(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> dict:
    """Of the customers who joined through a link since `start`: how many, how many completed a survey,
    how many have ordered. One query: {"joined", "surveyed", "ordered"}."""
    answered = SurveyResponse.objects.filter(brand=brand, customer_id=OuterRef("pk"), completed_at__isnull=False)
    return (_customers(brand, store_id).filter(created_at__gte=start, source__in=INVITE_SOURCES)
            .annotate(answered=Exists(answered))
            .aggregate(joined=Count("id"), surveyed=Count("id", filter=Q(answered=True)),
                       ordered=Count("id", filter=Q(order_count__gt=0))))


def rep_new_customer_counts(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> dict[int, int]:
    """{rep membership id: customers who joined since `start` and are looked after by that rep}."""
    rows = (_customers(brand, store_id).filter(created_at__gte=start, assigned_rep__isnull=False)
            .values("assigned_rep_id").annotate(n=Count("id")))
    return {row["assigned_rep_id"]: row["n"] for row in rows}
