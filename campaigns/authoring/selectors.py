"""Reads of campaigns: the list, one campaign, the schedule (month calendar)."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import Campaign, CampaignStatus
from ..scheduling.recurrence import occurrences_between


def campaign_list(*, brand: Brand, status: str | None = None, search: str = "") -> QuerySet[Campaign]:
    campaigns = Campaign.objects.filter(brand=brand).select_related("created_by", "exclude_segment")
    if status:
        campaigns = campaigns.filter(status=status)
    if search:
        campaigns = campaigns.filter(name__icontains=search)
    return campaigns


def campaign_get(*, brand: Brand, campaign_id) -> Campaign:
    return brand_get_object(campaign_list(brand=brand), brand=brand, what="campaign", pk=campaign_id)


@dataclass(frozen=True)
class CalendarEntry:
    campaign: Campaign
    at: datetime.datetime
    recurring: bool


def campaign_calendar(*, brand: Brand, start: datetime.datetime, end: datetime.datetime) -> list[CalendarEntry]:
    """What is scheduled (or went out) between start and end: one-off campaigns at their time, recurring
    ones at each occurrence."""
    entries: list[CalendarEntry] = []
    one_off = Q(recurrence__isnull=True) & (Q(next_run_at__gte=start, next_run_at__lt=end)
                                            | Q(send_at__gte=start, send_at__lt=end))
    recurring = Q(recurrence__isnull=False, status=CampaignStatus.SCHEDULED)
    for campaign in Campaign.objects.filter(brand=brand).exclude(status=CampaignStatus.CANCELLED).filter(
            one_off | recurring).order_by("id"):
        if campaign.recurrence:
            for at in occurrences_between(campaign.recurrence, start=max(start, campaign.next_run_at or start),
                                          end=end, tz=brand.tzinfo):
                entries.append(CalendarEntry(campaign, at, True))
        else:
            entries.append(CalendarEntry(campaign, campaign.next_run_at or campaign.send_at, False))
    return sorted(entries, key=lambda e: (e.at, e.campaign.pk))
