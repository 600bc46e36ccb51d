from django.db.models import Q, QuerySet

from privtraffic.tenancy.actors import Actor, actor_store_id
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import is_store_scoped
from privtraffic.tenancy.selectors import brand_get_object

from .models import GroupMember, InviteLink, VipGroup


def group_visibility(actor: Actor, *, prefix: str = "") -> Q:
    """The one rule for which groups staff see, for the groups pages and chats' group conversations alike
    (`prefix` applies it through a relation, e.g. "group__"): a store-scoped actor sees their store's
    groups and the brand-wide ones; everyone else the brand's."""
    q = Q(**{f"{prefix}brand_id": actor.brand_id})
    store_id = actor_store_id(actor)
    if store_id is not None:
        q &= Q(**{f"{prefix}store_id": store_id}) | Q(**{f"{prefix}store__isnull": True})
    return q


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


def invite_list(*, brand: Brand, group_id=None, rep_id=None, actor: Membership | None = None) -> QuerySet[InviteLink]:
    qs = InviteLink.objects.filter(brand=brand).select_related("group", "rep__user", "store", "created_by")
    if actor is not None and is_store_scoped(actor.role):
        # The same groups group_list shows them (their store's and storeless ones), plus their own rep links.
        qs = qs.filter(Q(store_id=actor.store_id) | Q(rep=actor) | Q(group__store_id=actor.store_id)
                       | Q(kind="group", group__store__isnull=True))
    if group_id:
        qs = qs.filter(group_id=group_id)
    if rep_id:
        qs = qs.filter(rep_id=rep_id)
    return qs


def invite_get(*, brand: Brand, invite_id, actor: Membership | None = None) -> InviteLink:
    return brand_get_object(invite_list(brand=brand, actor=actor), brand=brand, what="invite", pk=invite_id)


def invite_by_token(*, token: str) -> InviteLink | None:
    """The public entry point: the token itself is the secret, so no brand is known yet."""
    return (InviteLink.objects.select_related("brand", "group", "rep__user", "rep__store", "store")
            .filter(token=token).first())


def customer_groups(*, customer) -> QuerySet[GroupMember]:
    return GroupMember.objects.filter(brand_id=customer.brand_id, customer=customer, left_at__isnull=True).select_related(
        "group")
