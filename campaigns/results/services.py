"""Writes of results: a card click counted on its delivery, and the brand's attribution window."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import parse_int
from privtraffic.tenancy.roles import Perm

from ..models import CampaignSettings, Delivery

MAX_ATTRIBUTION_DAYS = 90


def delivery_click(*, delivery: Delivery, actor: Actor) -> None:
    """Count one click of a recipient's card: one atomic UPDATE (concurrent clicks all count); the first
    click's time is kept."""
    authorize(actor, None, delivery, what="link")
    Delivery.objects.filter(pk=delivery.pk, brand_id=delivery.brand_id).update(
        clicks=F("clicks") + 1, clicked_at=Coalesce(F("clicked_at"), timezone.now()))


def campaign_settings_save(*, brand: Brand, actor: Actor, attribution_days) -> CampaignSettings:
    """Set how many days after a campaign message an order still counts for it (1..90)."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, brand, what="brand")
    days = parse_int(attribution_days, "attribution_days", minimum=1, maximum=MAX_ATTRIBUTION_DAYS)
    settings, _created = CampaignSettings.objects.update_or_create(brand=brand,
                                                                    defaults={"attribution_days": days})
    return settings
