"""Results of a campaign (every run of it): delivered, read, clicked, orders and revenue attributed to it, per
group and per rep, and deliveries and reads over time. Reads only; `brand` first; a constant number of
queries whatever the audience size.

- read: a sent message counts as read when a customer's read state in its conversation reached its seq (in a
  1:1 conversation that is the recipient; in a group, any member: a group post's `readers` counts them).
- clicks: the card's link goes through the tracked redirect (/c/<token>/, campaigns.results.clicks) that counts
  each click on the Delivery.
- orders and revenue, last touch: an order (not cancelled or refunded) placed by a customer within the brand's
  attribution window after a campaign message reached them (1:1, or a post in a group they were in) counts for
  the latest such message before it only, so no order is counted twice across campaigns.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from chats.models import ReadState
from communities.models import GroupMember, VipGroup
from crm.models import Order, OrderStatus
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership

from ..coupons.selectors import coupon_redemption_count_for_campaign
from ..models import (
    Campaign,
    CampaignChannel,
    CampaignSettings,
    CardKind,
    Delivery,
    DeliveryStatus,
    SkipReason,
)
from ..sending.tally import delivery_tally
from .clicks import click_token_read, safe_target

DEFAULT_ATTRIBUTION_DAYS = 5
# Orders that did not turn into revenue.
_NOT_REVENUE = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
# Up to this span the chart has hourly buckets, beyond it daily ones.
HOURLY_UP_TO = datetime.timedelta(hours=72)
MAX_BUCKETS = 120


def attribution_days(brand: Brand) -> int:
    days = CampaignSettings.objects.filter(brand=brand).values_list("attribution_days", flat=True).first()
    return DEFAULT_ATTRIBUTION_DAYS if days is None else days


def campaign_settings_get(brand: Brand) -> CampaignSettings:
    """The brand's settings row, unsaved with the defaults when it never changed them."""
    return CampaignSettings.objects.filter(brand=brand).first() or CampaignSettings(brand=brand)


def _read_by_customer() -> Exists:
    """For a Delivery row: a customer read its message (1:1: the recipient; group post: any member)."""
    return Exists(ReadState.objects.filter(conversation_id=OuterRef("message__conversation_id"),
                                           participant_key__startswith="customer:",
                                           last_read_seq__gte=OuterRef("message__seq")))


def _readers() -> Subquery:
    """For a Delivery row: how many customers read its message."""
    return Subquery(ReadState.objects.filter(conversation_id=OuterRef("message__conversation_id"),
                                             participant_key__startswith="customer:",
                                             last_read_seq__gte=OuterRef("message__seq"))
                    .order_by().values("conversation_id").annotate(n=Count("id")).values("n")[:1])


def _sent(brand: Brand, campaign: Campaign) -> QuerySet[Delivery]:
    return Delivery.objects.filter(brand=brand, campaign=campaign, status=DeliveryStatus.SENT).order_by()


def _metrics() -> dict:
    return {"delivered": Count("id"), "read": Count("id", filter=Q(_read_by_customer())),
            "clicks": Coalesce(Sum("clicks"), 0), "clicked": Count("id", filter=Q(clicked_at__isnull=False))}


# --- attribution ---------------------------------------------------------------------------------------


@dataclass
class Attributed:
    orders: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)

    def add(self, total: Decimal, currency: str) -> None:
        self.orders += 1
        self.revenue[currency] = self.revenue.get(currency, Decimal("0")) + total

    @property
    def revenue_text(self) -> dict[str, str]:
        return {currency: f"{amount:.2f}" for currency, amount in sorted(self.revenue.items())}


def _touch(brand: Brand, window: datetime.timedelta) -> Subquery:
    """For an Order row: the id of the latest campaign message that reached its customer in the window before
    it (any campaign of the brand): a 1:1 message to them, or a post in a group they were in then."""
    member_then = GroupMember.objects.filter(
        group_id=OuterRef("group_id"), customer_id=OuterRef(OuterRef("customer_id")),
        joined_at__lte=OuterRef("sent_at")).filter(Q(left_at__isnull=True) | Q(left_at__gt=OuterRef("sent_at")))
    return Subquery(
        Delivery.objects.filter(brand=brand, status=DeliveryStatus.SENT, sent_at__lt=OuterRef("placed_at"),
                                sent_at__gte=OuterRef("placed_at") - window)
        .filter(Q(customer_id=OuterRef("customer_id")) | (Q(group_id__isnull=False) & Exists(member_then)))
        .order_by("-sent_at", "-id").values("id")[:1])


def order_last_touch(brand: Brand, *, order_id: int) -> Delivery | None:
    """The campaign delivery an order counts for (last touch within the attribution window), if any: the same
    rule as the results, for one order (persisted by campaigns.orders when the order is created)."""
    window = datetime.timedelta(days=attribution_days(brand))
    touch = (Order.objects.filter(brand=brand, pk=order_id).order_by().annotate(touch=_touch(brand, window))
             .values_list("touch", flat=True).first())
    return Delivery.objects.filter(brand=brand, pk=touch).select_related("campaign").first() if touch else None


def attributed_orders(brand: Brand, *, campaign: Campaign) -> list[dict]:
    """The orders counted for this campaign (last touch), each with the delivery that touched it: one query."""
    window = datetime.timedelta(days=attribution_days(brand))
    span = _sent(brand, campaign).aggregate(first=Min("sent_at"), last=Max("sent_at"))
    if span["first"] is None:
        return []
    campaign_deliveries = Delivery.objects.filter(brand=brand, campaign=campaign).values("id")
    return list(
        Order.objects.filter(brand=brand, placed_at__gt=span["first"], placed_at__lte=span["last"] + window)
        .exclude(status__in=_NOT_REVENUE).order_by()
        .annotate(touch=_touch(brand, window)).filter(touch__in=campaign_deliveries)
        .values("id", "customer_id", "total", "currency", "touch"))


# --- the figures ---------------------------------------------------------------------------------------


def campaign_stats(brand: Brand, *, campaign: Campaign) -> dict:
    """The campaign's figures over all its runs (CONTRACT.md stats, and more). A handful of queries."""
    tally = delivery_tally(Delivery.objects.filter(brand=brand, campaign=campaign))
    counts = tally.counts
    skipped_by_reason = tally.reasons(DeliveryStatus.SKIPPED)
    deferred = tally.by_status_reason.get((DeliveryStatus.PENDING, SkipReason.QUIET_HOURS), 0)
    metrics = _metrics()
    if campaign.channel == CampaignChannel.GROUP:
        metrics["readers"] = Coalesce(Sum(_readers()), 0)
    sent = _sent(brand, campaign).aggregate(**metrics)
    attributed = Attributed()
    for order in attributed_orders(brand, campaign=campaign):
        attributed.add(order["total"], order["currency"])
    return {
        "status": campaign.status,
        "total": sum(counts.values()),
        "delivered": counts["sent"],
        "skipped": counts["skipped"],
        "failed": counts["failed"],
        "pending": counts["pending"],
        "deferred": deferred,
        "skipped_by_reason": skipped_by_reason,
        "read": sent["read"],
        "readers": sent.get("readers", sent["read"]),
        "clicks": sent["clicks"],
        "clicked": sent["clicked"],
        "redeemed": coupon_redemption_count_for_campaign(
            brand=brand, campaign_id=campaign.pk,
            card_ref=(campaign.card_payload or {}).get("ref") if campaign.card_kind == CardKind.COUPON else None),
        "orders": attributed.orders,
        "revenue": attributed.revenue_text,
        "attribution_days": attribution_days(brand),
    }


@dataclass
class BreakdownRow:
    key: int | None
    label: str
    delivered: int = 0
    read: int = 0
    clicks: int = 0
    orders: int = 0
    revenue: dict[str, str] = field(default_factory=dict)


def _rows(metric_rows, key_name: str, labels: dict, attributed: dict, fallback: str) -> list[BreakdownRow]:
    rows = []
    for row in metric_rows:
        key = row[key_name]
        got = attributed.get(key, Attributed())
        rows.append(BreakdownRow(key=key, label=labels.get(key, fallback), delivered=row["delivered"],
                                 read=row["read"], clicks=row["clicks"], orders=got.orders,
                                 revenue=got.revenue_text))
    return sorted(rows, key=lambda r: (-r.delivered, r.label))


def campaign_breakdowns(brand: Brand, *, campaign: Campaign, no_rep_label: str) -> dict[str, list[BreakdownRow]]:
    """Per group and per rep: delivered, read, clicks, orders and revenue. Per group is the post in each group
    (group posts) or the recipients by their membership in the audience's groups (1:1 to groups). Per rep is
    who sent it (1:1 from reps; `no_rep_label` for the persona or the brand). A constant number of queries."""
    orders = attributed_orders(brand, campaign=campaign)
    touches = {d["id"]: d for d in Delivery.objects.filter(brand=brand, pk__in={o["touch"] for o in orders})
               .values("id", "rep_id", "group_id", "customer_id")}
    metrics = _metrics()
    by_rep_rows = list(_sent(brand, campaign).values("rep_id").annotate(**metrics))
    rep_orders: dict = defaultdict(Attributed)
    for order in orders:
        rep_orders[touches[order["touch"]]["rep_id"]].add(order["total"], order["currency"])
    reps = {m.pk: m.user.display_name for m in Membership.objects.filter(
        brand=brand, pk__in=[r["rep_id"] for r in by_rep_rows if r["rep_id"]]).select_related("user")}
    by_rep = _rows(by_rep_rows, "rep_id", reps, rep_orders, no_rep_label)

    group_orders: dict = defaultdict(Attributed)
    audience_groups = campaign.audience.get("groups") or []
    if campaign.channel == CampaignChannel.GROUP:
        by_group_rows = list(_sent(brand, campaign).values("group_id").annotate(**metrics))
        group_key = "group_id"
        for order in orders:
            group_orders[touches[order["touch"]]["group_id"]].add(order["total"], order["currency"])
    elif audience_groups:
        group_key = "customer__group_memberships__group_id"
        by_group_rows = list(_sent(brand, campaign).filter(**{f"{group_key}__in": audience_groups})
                             .values(group_key).annotate(**metrics))
        memberships = defaultdict(list)
        for member in GroupMember.objects.filter(brand=brand, group_id__in=audience_groups,
                                                 customer_id__in={o["customer_id"] for o in orders}):
            memberships[member.customer_id].append(member.group_id)
        for order in orders:
            for group_id in memberships[order["customer_id"]]:
                group_orders[group_id].add(order["total"], order["currency"])
    else:
        by_group_rows, group_key = [], "group_id"
    groups = dict(VipGroup.objects.filter(brand=brand, pk__in=[r[group_key] for r in by_group_rows])
                  .values_list("id", "name"))
    return {"groups": _rows(by_group_rows, group_key, groups, group_orders, "?"), "reps": by_rep}


# --- over time -----------------------------------------------------------------------------------------


@dataclass
class Series:
    unit: str  # "hour" or "day"
    buckets: list[datetime.datetime]  # aware, in the brand's time zone
    delivered: list[int]
    read: list[int]


def campaign_series(brand: Brand, *, campaign: Campaign, now: datetime.datetime | None = None) -> Series:
    """Deliveries and reads per hour (a span up to 72 hours) or per day, in the brand's time zone. Two
    queries. A read is placed at the reader's latest read of the conversation (read states keep no history),
    so it shows at, or after, the moment it happened."""
    tz = brand.tzinfo
    now = now or timezone.now()
    span = _sent(brand, campaign).aggregate(first=Min("sent_at"))
    if span["first"] is None:
        return Series("hour", [], [], [])
    unit = "hour" if now - span["first"] <= HOURLY_UP_TO else "day"
    step = datetime.timedelta(hours=1) if unit == "hour" else datetime.timedelta(days=1)
    delivered = dict(_sent(brand, campaign).annotate(b=Trunc("sent_at", unit, tzinfo=tz))
                     .values("b").annotate(n=Count("id")).values_list("b", "n"))
    reached = _sent(brand, campaign).filter(message__conversation_id=OuterRef("conversation_id"),
                                            message__seq__lte=OuterRef("last_read_seq"))
    reads = dict(ReadState.objects.filter(brand=brand, participant_key__startswith="customer:")
                 .filter(Exists(reached)).order_by()
                 .annotate(b=Trunc("updated_at", unit, tzinfo=tz)).values("b").annotate(n=Count("id"))
                 .values_list("b", "n"))
    start = _truncate(span["first"], unit, tz)
    end = max([now, *delivered, *reads])
    buckets: list[datetime.datetime] = []
    moment = start
    while moment <= end and len(buckets) < MAX_BUCKETS:
        buckets.append(moment)
        moment = _advance(moment, step, unit, tz)
    keyed = {b: i for i, b in enumerate(buckets)}
    delivered_counts, read_counts = [0] * len(buckets), [0] * len(buckets)
    for source, target in ((delivered, delivered_counts), (reads, read_counts)):
        for bucket, n in source.items():
            index = keyed.get(bucket.astimezone(tz))
            if index is None:  # beyond the chart's last bucket (or before the first send): the nearest edge
                index = 0 if bucket < start else len(buckets) - 1
            target[index] += n
    return Series(unit, buckets, delivered_counts, read_counts)


def _truncate(moment: datetime.datetime, unit: str, tz) -> datetime.datetime:
    local = moment.astimezone(tz)
    if unit == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _advance(moment: datetime.datetime, step: datetime.timedelta, unit: str, tz) -> datetime.datetime:
    """The next bucket: an hour later in real time, or the next local midnight (days of 23 or 25 hours)."""
    if unit == "hour":
        return (moment.astimezone(datetime.UTC) + step).astimezone(tz)
    following = (moment.replace(tzinfo=None) + step).replace(tzinfo=tz)
    return following


def campaign_recipients(brand: Brand, *, campaign: Campaign, status: str | None = None,
                        reason: str | None = None) -> QuerySet[Delivery]:
    """Every recipient of every run, newest first (the API's cursor orders by -id)."""
    deliveries = Delivery.objects.filter(brand=brand, campaign=campaign)
    if status:
        deliveries = deliveries.filter(status=status)
    if reason:
        deliveries = deliveries.filter(reason=reason)
    return deliveries



def delivery_for_click(*, token: str) -> tuple[Delivery, str]:
    """The delivery a tracked link names and where its card points; not found for a forged or stale link."""
    brand_id, delivery_id = click_token_read(token)
    delivery = (Delivery.objects.select_related("campaign", "brand")
                .filter(brand_id=brand_id, pk=delivery_id).first())
    target = safe_target((delivery.campaign.card_payload or {}).get("url")) if delivery else None
    if target is None:
        raise ApplicationError.not_found("link")
    return delivery, target
