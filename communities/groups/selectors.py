"""Reads for VIP groups and their members. Each takes the brand (or a group of it) first."""

from django.db.models import Q, QuerySet

from privtraffic.tenancy.actors import Actor, actor_store_id
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import GroupMember, VipGroup

RECENT_ACTIVITY = 10


def group_visibility(actor: Actor, *, prefix: str = "") -> Q:
    """The one rule for which groups staff see, for the groups pages and chats' group conversations alike
    (`prefix` applies it through a relation, e.g. "group__"): a store-scoped actor sees their store's
    groups and the brand-wide ones; everyone else the brand's."""
    q = Q(**{f"{prefix}brand_id": actor.brand_id})
    store_id = actor_store_id(actor)
    if store_id is not None:
        q &= Q(**{f"{prefix}store_id": store_id}) | Q(**{f"{prefix}store__isnull": True})
    return q


def group_in_view(actor: Actor, group: VipGroup) -> bool:
    """group_visibility for one group already in hand (what services check before acting on it)."""
    store_id = actor_store_id(actor)
    return actor.brand_id == group.brand_id and (store_id is None or group.store_id in (None, store_id))


def group_list(*, brand: Brand, actor: Actor, store_id=None, include_archived: bool = False,
               search: str = "") -> QuerySet[VipGroup]:
    qs = (VipGroup.objects.filter(brand=brand).filter(group_visibility(actor))
          .select_related("store", "overflow_group", "series_root"))
    if store_id:
        qs = qs.filter(store_id=store_id)
    if not include_archived:
        qs = qs.filter(archived=False)
    if search.strip():
        qs = qs.filter(name__icontains=search.strip())
    return qs


def group_get(*, brand: Brand, group_id, actor: Actor) -> VipGroup:
    return brand_get_object(group_list(brand=brand, actor=actor, include_archived=True), brand=brand,
                            what="group", pk=group_id)


def group_series(*, group: VipGroup) -> QuerySet[VipGroup]:
    root_id = group.series_root_id or group.pk
    return VipGroup.objects.filter(brand_id=group.brand_id).filter(Q(pk=root_id) | Q(series_root_id=root_id)).order_by(
        "series_number", "id")


def member_list(*, group: VipGroup, search: str = "", include_left: bool = False) -> QuerySet[GroupMember]:
    qs = GroupMember.objects.filter(brand_id=group.brand_id, group=group).select_related("customer")
    if not include_left:
        qs = qs.filter(left_at__isnull=True)
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(customer__name__icontains=term) | Q(customer__email__icontains=term)
                       | Q(customer__phone__icontains=term))
    return qs


def member_get(*, group: VipGroup, customer_id) -> GroupMember:
    return brand_get_object(member_list(group=group, include_left=True), brand=group.brand, what="member",
                            customer_id=customer_id)


def member_is_active(*, group: VipGroup, customer) -> bool:
    return member_list(group=group).filter(customer=customer).exists()


def member_activity(*, brand: Brand, actor: Actor, limit: int = RECENT_ACTIVITY) -> list[dict]:
    """The latest joins and leaves across the groups the actor can see (two queries, whatever the size)."""
    visible = group_list(brand=brand, actor=actor, include_archived=True).values("pk")
    rows = GroupMember.objects.filter(brand=brand, group_id__in=visible).select_related("customer", "group")
    joins = [{"when": m.joined_at, "kind": "joined", "member": m} for m in rows.order_by("-joined_at", "-id")[:limit]]
    leaves = [{"when": m.left_at, "kind": m.leave_reason or "left", "member": m}
              for m in rows.filter(left_at__isnull=False).order_by("-left_at", "-id")[:limit]]
    return sorted(joins + leaves, key=lambda entry: entry["when"], reverse=True)[:limit]


def customer_groups(*, customer) -> QuerySet[GroupMember]:
    return GroupMember.objects.filter(brand_id=customer.brand_id, customer=customer, left_at__isnull=True).select_related(
        "group")
