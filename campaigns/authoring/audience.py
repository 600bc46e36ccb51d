"""Who a campaign reaches: its audience as a queryset (customers for 1:1 channels, groups for group posts),
and the count before sending, split by what will happen to each recipient."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import GroupMember, VipGroup
from crm.consent.selectors import Purpose, reach_breakdown
from crm.models import Customer, Segment
from crm.segments.selectors import customers_in_segment
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import parse_int

from ..models import Campaign, CampaignChannel, SkipReason

MAX_AUDIENCE_GROUPS = 200


def _invalid(message: str) -> ApplicationError:
    return ApplicationError("invalid", message, fields={"audience": [message]})


def audience_normalize(*, brand: Brand, audience: Any, channel: str) -> dict:
    """{"groups": [ids]} or {"segment": id} or {"all": true}, checked against this brand (another brand's
    group or segment: 404). A group post needs groups."""
    if not isinstance(audience, dict) or len(audience) != 1:
        raise _invalid(_('Choose one audience: {"groups": [ids]}, {"segment": id} or {"all": true}.'))
    (key, value), = audience.items()
    if key == "all":
        if value is not True:
            raise _invalid(_('"all" takes true.'))
        normalized: dict = {"all": True}
    elif key == "segment":
        segment_id = parse_int(value, "audience.segment", minimum=1, strings=False)
        if not Segment.objects.filter(brand=brand, pk=segment_id).exists():
            raise ApplicationError.not_found("segment")
        normalized = {"segment": segment_id}
    elif key == "groups":
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_AUDIENCE_GROUPS:
            raise _invalid(_("Choose between 1 and %(max)d groups.") % {"max": MAX_AUDIENCE_GROUPS})
        ids = sorted({parse_int(v, "audience.groups", minimum=1, strings=False) for v in value})
        found = set(VipGroup.objects.filter(brand=brand, pk__in=ids, archived=False).values_list("id", flat=True))
        if found != set(ids):
            raise ApplicationError.not_found("group")
        normalized = {"groups": ids}
    else:
        raise _invalid(_('Choose one audience: {"groups": [ids]}, {"segment": id} or {"all": true}.'))
    if channel == CampaignChannel.GROUP and "groups" not in normalized:
        raise _invalid(_("A group post goes to groups: choose the groups as the audience."))
    return normalized


def audience_customers(*, campaign: Campaign) -> QuerySet[Customer]:
    """The customers a 1:1 campaign targets (not erased), minus its exclusion segment; no order."""
    brand, audience = campaign.brand, campaign.audience
    customers = Customer.objects.filter(brand=brand, erased_at__isnull=True)
    if "segment" in audience:
        customers = customers_in_segment(brand=brand, segment_id=audience["segment"], within=customers)
    elif "groups" in audience:
        members = GroupMember.objects.filter(brand=brand, group_id__in=audience["groups"], left_at__isnull=True)
        customers = customers.filter(pk__in=members.values("customer_id"))
    if campaign.exclude_segment_id:
        excluded = customers_in_segment(brand=brand, segment_id=campaign.exclude_segment_id)
        customers = customers.exclude(pk__in=excluded.values("pk"))
    return customers.order_by()


def audience_groups(*, campaign: Campaign) -> QuerySet[VipGroup]:
    """The groups a group post goes to (archived ones are left out)."""
    return VipGroup.objects.filter(brand=campaign.brand, pk__in=campaign.audience.get("groups", []),
                                   archived=False).order_by()


# crm's reach answers, in the words of a campaign's recipients (CONTRACT.md: recipient.reason).
REACH_TO_SKIP = {
    "erased": SkipReason.ERASED,
    "no_chat_consent": SkipReason.NO_CONSENT,
    "no_promotions_consent": SkipReason.NO_CONSENT,
    "promotions_withdrawn": SkipReason.OPTED_OUT,
    "weekly_budget_spent": SkipReason.BUDGET,
    "quiet_hours": SkipReason.QUIET_HOURS,
}


@dataclass(frozen=True)
class Breakdown:
    """The audience before sending: how many will receive it, and why the others will not (yet)."""

    total: int
    will_receive: int
    skipped: dict[str, int] = field(default_factory=dict)  # SkipReason -> count (quiet_hours: deferred)

    @property
    def deferred(self) -> int:
        return self.skipped.get(SkipReason.QUIET_HOURS, 0)


def audience_breakdown(*, campaign: Campaign, at: datetime.datetime | None = None) -> Breakdown:
    """The count before sending, split by what will happen ("12,430 will receive; 800 no consent, ...") at
    `at` (the scheduled time, or now). Group posts count the groups. A few queries at 100,000 customers."""
    at = at or campaign.send_at or timezone.now()
    if campaign.channel == CampaignChannel.GROUP:
        total = audience_groups(campaign=campaign).count()
        return Breakdown(total=total, will_receive=total)
    counts = reach_breakdown(brand=campaign.brand, customers=audience_customers(campaign=campaign),
                             purpose=Purpose.PROMOTIONAL, at=at)
    skipped: dict[str, int] = {}
    for reason, count in counts.items():
        if reason != "reachable" and count:
            skip = REACH_TO_SKIP[reason]
            skipped[skip] = skipped.get(skip, 0) + count
    return Breakdown(total=sum(counts.values()), will_receive=counts["reachable"], skipped=skipped)
