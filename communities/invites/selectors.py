"""Reads for invite links. Each takes the brand first, except the public token lookup."""

from django.db.models import BigIntegerField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from crm.models import AuditLog
from privtraffic.tenancy.actors import Actor, actor_rep_id, actor_store_id
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Role
from privtraffic.tenancy.selectors import brand_get_object, rep_list

from ..groups.selectors import group_visibility
from ..models import GroupMember, InviteKind, InviteLink, VipGroup

ROUND_ROBIN = "round_robin"  # the audit `rule` of a join assignment by rotation (the host rep's is "group_host")


def invite_visibility(actor: Actor, *, prefix: str = "") -> Q:
    """Which invite links an actor sees: a store-scoped actor the links of their store, the links to the
    groups they see (group_visibility), and their own rep links; everyone else the brand's."""
    q = Q(**{f"{prefix}brand_id": actor.brand_id})
    store_id = actor_store_id(actor)
    if store_id is None:
        return q
    seen = Q(**{f"{prefix}store_id": store_id}) | (
        Q(**{f"{prefix}kind": InviteKind.GROUP}) & group_visibility(actor, prefix=f"{prefix}group__"))
    rep_id = actor_rep_id(actor)
    if rep_id is not None:
        seen |= Q(**{f"{prefix}rep_id": rep_id})
    return q & seen


def invite_list(*, brand: Brand, actor: Actor, group_id=None, rep_id=None, kind: str = "") -> QuerySet[InviteLink]:
    qs = (InviteLink.objects.filter(brand=brand).filter(invite_visibility(actor))
          .select_related("group", "rep__user", "store", "created_by"))
    if group_id:
        qs = qs.filter(group_id=group_id)
    if rep_id:
        qs = qs.filter(rep_id=rep_id)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def invite_get(*, brand: Brand, invite_id, actor: Actor) -> InviteLink:
    return brand_get_object(invite_list(brand=brand, actor=actor), brand=brand, what="invite", pk=invite_id)


def invite_by_token(*, token: str) -> InviteLink | None:
    """The public entry point: the token itself is the secret, so no brand is known yet."""
    return (InviteLink.objects.select_related("brand", "group", "rep__user", "rep__store", "store")
            .filter(token=token).first())


def invite_rep_choices(*, brand: Brand, actor: Actor) -> QuerySet[Membership]:
    """The active reps an actor may make a "shopping assistant" link for: a rep only themselves."""
    reps = rep_list(brand=brand, actor=actor).filter(is_active=True)
    own = actor_rep_id(actor)
    return reps.filter(pk=own) if own is not None else reps


def rep_for_group_join(*, brand: Brand, group: VipGroup, store=None) -> Membership | None:
    """The rep a customer joining `group` through its link gets, by the brand's rule: the group's host rep
    (while an active rep), else round-robin among the active reps of the group's store (or the link's
    `store`, or the brand's when neither has one): the rep whose last join assignment is the oldest, never
    assigned first, ties by id. None when the brand has no active rep there."""
    host = group.host_rep
    if host is not None and host.is_active and host.role == Role.REP and host.brand_id == brand.pk:
        return host
    reps = Membership.objects.filter(brand=brand, role=Role.REP, is_active=True)
    store_id = group.store_id or (store.pk if store is not None else None)
    if store_id is not None:
        reps = reps.filter(store_id=store_id)
    last = (AuditLog.objects.filter(brand=brand, action="customer.reassigned", detail__rule=ROUND_ROBIN)
            .annotate(to_rep=Cast(KT("detail__to_rep"), BigIntegerField())).filter(to_rep=OuterRef("pk"))
            .order_by("-created_at").values("created_at")[:1])
    return (reps.annotate(last_assigned=Subquery(last)).select_related("user")
            .order_by(F("last_assigned").asc(nulls_first=True), "pk").first())


def group_membership_in_series(*, group: VipGroup, customer) -> GroupMember | None:
    """The customer's current membership in this group or any group of its series (overflow), if any."""
    root_id = group.series_root_id or group.pk
    return (GroupMember.objects.filter(customer=customer, left_at__isnull=True)
            .filter(Q(group_id=root_id) | Q(group__series_root_id=root_id) | Q(group_id=group.pk))
            .select_related("group").first())
def invite_by_brand_token(*, brand: Brand, token: str) -> InviteLink | None:
    """The brand's invite link with this token (for naming a customer's source), or None."""
    return (InviteLink.objects.filter(brand=brand, token=token).select_related("group", "rep__user").first()
            if token else None)


def invite_active_count(*, brand: Brand, actor: Actor) -> int:
    """How many of the links the actor sees are not revoked (the groups page's stat card)."""
    return InviteLink.objects.filter(brand=brand, revoked_at__isnull=True).filter(invite_visibility(actor)).count()
