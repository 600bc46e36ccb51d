"""Reads of campaigns: the list, one campaign, the schedule (month calendar)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chats.models import BrandPersona
from communities.groups.selectors import group_list
from communities.models import VipGroup
from crm.customers.selectors import customer_get, customer_list
from crm.models import Customer, Segment
from crm.segments.selectors import segment_list
from crm.surveys.selectors import survey_active_list
from privtraffic.tenancy.actors import Actor
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..coupons.selectors import coupon_choices
from ..groupbuys.models import GroupBuyStatus
from ..groupbuys.selectors import group_buy_list
from ..models import Campaign, CampaignRun, CampaignStatus, Delivery, DeliveryStatus
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


# --- the dashboard pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    status: str
    total: int
    done: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def campaign_progress_for(*, brand: Brand, campaign_ids: list[int]) -> dict[int, RunProgress]:
    """The latest run of each campaign and how much of it is done (sent, skipped or failed): two queries."""
    latest: dict[int, tuple] = {}
    for campaign_id, run_id, status, total in (CampaignRun.objects.filter(brand=brand, campaign_id__in=campaign_ids)
                                               .order_by("campaign_id", "-due_at", "-id")
                                               .values_list("campaign_id", "id", "status", "total")):
        latest.setdefault(campaign_id, (run_id, status, total))
    done = dict(Delivery.objects.filter(brand=brand, run_id__in=[r[0] for r in latest.values()])
                .exclude(status=DeliveryStatus.PENDING).order_by().values("run_id")
                .annotate(n=Count("id")).values_list("run_id", "n"))
    return {cid: RunProgress(run_id, status, total, done.get(run_id, 0))
            for cid, (run_id, status, total) in latest.items()}


def campaign_runs(*, campaign: Campaign, limit: int = 20) -> list[CampaignRun]:
    return list(CampaignRun.objects.filter(brand=campaign.brand, campaign=campaign).order_by("-due_at", "-id")[:limit])


def campaign_latest_run(*, campaign: Campaign) -> CampaignRun | None:
    return CampaignRun.objects.filter(brand=campaign.brand, campaign=campaign).order_by("-due_at", "-id").first()


def campaign_schedule_list(*, brand: Brand, limit: int = 50) -> list[Campaign]:
    """What goes out next: scheduled campaigns by their next run."""
    return list(Campaign.objects.filter(brand=brand, status=CampaignStatus.SCHEDULED, next_run_at__isnull=False)
                .order_by("next_run_at", "id")[:limit])


@dataclass(frozen=True)
class BuilderReferences:
    groups: list
    segments: list
    surveys: list
    has_persona: bool
    coupons: list = field(default_factory=list)  # (id, title) of the brand's live coupons
    group_buys: list = field(default_factory=list)


def builder_references(*, brand: Brand, actor: Actor) -> BuilderReferences:
    """What the builder offers to pick from: the brand's open groups, segments, active surveys."""
    return BuilderReferences(
        groups=list(group_list(brand=brand, actor=actor).order_by("name")[:500]),
        segments=list(segment_list(brand=brand).order_by("name")[:500]),
        surveys=list(survey_active_list(brand=brand)[:200]),
        has_persona=BrandPersona.objects.filter(brand=brand).exists(),
        coupons=coupon_choices(brand_id=brand.pk),
        group_buys=builder_group_buys(brand=brand),
    )


def builder_group_buys(*, brand: Brand) -> list:
    """The open group-buys a campaign's group_buy card may carry."""
    return list(group_buy_list(brand, status=GroupBuyStatus.OPEN)[:200])


def audience_labels(*, brand: Brand, campaigns: list[Campaign]) -> dict[int, str]:
    """How each campaign's audience reads in a list ("All reachable customers", "3 groups", "Segment: VIP")."""
    segment_ids = {c.audience.get("segment") for c in campaigns if isinstance(c.audience, dict)} - {None}
    names = dict(Segment.objects.filter(brand=brand, pk__in=segment_ids).values_list("id", "name"))
    labels = {}
    for c in campaigns:
        audience = c.audience if isinstance(c.audience, dict) else {}
        if "groups" in audience:
            n = len(audience["groups"])
            label = ngettext("%(n)d group", "%(n)d groups", n) % {"n": n}
        elif "segment" in audience:
            label = _("Segment: %(name)s") % {"name": names.get(audience["segment"], "?")}
        else:
            label = _("All reachable customers")
        if c.exclude_segment_id:
            label += " " + _("(minus %(name)s)") % {"name": c.exclude_segment.name}
        labels[c.pk] = label
    return labels


def audience_detail(*, brand: Brand, campaign: Campaign) -> dict:
    """The campaign page's audience: group names or the segment's name."""
    audience = campaign.audience if isinstance(campaign.audience, dict) else {}
    return {
        "groups": list(VipGroup.objects.filter(brand=brand, pk__in=audience.get("groups", [])).order_by("name")),
        "segment": Segment.objects.filter(brand=brand, pk=audience["segment"]).first() if "segment" in audience
        else None,
        "all": "all" in audience,
    }


def preview_customers(*, brand: Brand, actor: Actor, search: str, limit: int = 10) -> list[Customer]:
    """Customers to preview the message for, by name (or email, phone)."""
    return list(customer_list(brand=brand, actor=actor, search=search).filter(erased_at__isnull=True)
                .order_by("name", "id")[:limit])


def preview_customer_get(*, brand: Brand, actor: Actor, customer_id) -> Customer:
    return customer_get(brand=brand, customer_id=customer_id, actor=actor)
