"""The brand overview's campaign panel: which campaigns reached customers in a period, and what came of it.

A constant number of queries whatever the number of campaigns: one grouped read of the period's sent
deliveries, one of the orders they touched (last touch, as on each campaign's results page), one for names.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery

from crm.models import Order
from privtraffic.tenancy.models import Brand

from ..models import Campaign, Delivery, DeliveryStatus
from .selectors import _NOT_REVENUE, Attributed, _metrics, _touch, attribution_days


@dataclass
class CampaignSummary:
    campaign_id: int
    name: str
    delivered: int
    read: int
    clicked: int
    attributed: Attributed = field(default_factory=Attributed)

    @property
    def read_rate(self) -> int | None:
        return round(100 * self.read / self.delivered) if self.delivered else None


def campaign_period_summaries(brand: Brand, *, start: datetime.datetime, store_id: int | None = None,
                              limit: int = 5) -> list[CampaignSummary]:
    """Campaigns whose messages reached customers since `start` (of one store's customers and groups when
    `store_id`), most delivered first, with the orders placed since `start` attributed to them."""
    sent = Delivery.objects.filter(brand=brand, status=DeliveryStatus.SENT, sent_at__gte=start).order_by()
    if store_id is not None:
        sent = sent.filter(Q(customer__home_store_id=store_id) | Q(group__store_id=store_id))
    rows = list(sent.values("campaign_id").annotate(**_metrics()).order_by("-delivered", "campaign_id")[:limit])
    if not rows:
        return []
    names = dict(Campaign.objects.filter(brand=brand, pk__in=[r["campaign_id"] for r in rows])
                 .values_list("pk", "name"))
    summaries = {r["campaign_id"]: CampaignSummary(campaign_id=r["campaign_id"], name=names.get(r["campaign_id"], ""),
                                                   delivered=r["delivered"], read=r["read"], clicked=r["clicked"])
                 for r in rows}
    window = datetime.timedelta(days=attribution_days(brand))
    orders = (Order.objects.filter(brand=brand, placed_at__gte=start).exclude(status__in=_NOT_REVENUE).order_by()
              .annotate(touch=_touch(brand, window)).filter(touch__isnull=False)
              .annotate(touch_campaign=Subquery(Delivery.objects.filter(pk=OuterRef("touch")).values("campaign_id")[:1])))
    if store_id is not None:
        orders = orders.filter(customer__home_store_id=store_id)
    for order in orders.filter(touch_campaign__in=list(summaries)).values("total", "currency", "touch_campaign"):
        summaries[order["touch_campaign"]].attributed.add(order["total"], order["currency"])
    return list(summaries.values())
