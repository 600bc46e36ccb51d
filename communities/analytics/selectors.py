"""The brand overview's figures that communities owns: joins to groups, the top groups of a period, and how
often invite links were opened (the funnel's first step). Brand-scoped; each rides an index that starts
with brand_id (member_brand_joined, invite_open_brand_day)."""

import datetime

from django.db.models import Count, Sum

from privtraffic.tenancy.models import Brand

from ..models import GroupMember, InviteLink, InviteOpen, VipGroup


def group_joins_count(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> int:
    joins = GroupMember.objects.filter(brand=brand, joined_at__gte=start)
    if store_id is not None:
        joins = joins.filter(group__store_id=store_id)
    return joins.count()


def group_top_by_joins(brand: Brand, *, start: datetime.datetime, store_id: int | None = None,
                       limit: int = 5) -> list[VipGroup]:
    """The groups most joined since `start`, each with `joins` (in the period) beside its member_count.
    Counts the period's joins (member_brand_joined), then fetches those few groups."""
    joins = GroupMember.objects.filter(brand=brand, joined_at__gte=start, group__archived=False)
    if store_id is not None:
        joins = joins.filter(group__store_id=store_id)
    top = list(joins.values("group_id").annotate(joins=Count("id")).order_by("-joins", "group_id")[:limit])
    groups = VipGroup.objects.filter(brand=brand, pk__in=[row["group_id"] for row in top]).in_bulk()
    result = []
    for row in top:
        group = groups[row["group_id"]]
        group.joins = row["joins"]
        result.append(group)
    return result


def invite_open_count(brand: Brand, *, start: datetime.datetime, store_id: int | None = None) -> int:
    """How often invite links' join pages were opened on the days since `start` (UTC days)."""
    opens = InviteOpen.objects.filter(brand=brand, day__gte=start.astimezone(datetime.UTC).date())
    if store_id is not None:
        opens = opens.filter(invite__store_id=store_id)
    return opens.aggregate(n=Sum("count"))["n"] or 0


def group_exists(brand: Brand) -> bool:
    return VipGroup.objects.filter(brand=brand).exists()


def invite_exists(brand: Brand) -> bool:
    return InviteLink.objects.filter(brand=brand).exists()
