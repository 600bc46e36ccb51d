"""Reads for invite links. Each takes the brand first, except the public token lookup."""

from django.db.models import Q, QuerySet

from privtraffic.tenancy.actors import Actor, actor_rep_id, actor_store_id
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.selectors import brand_get_object, rep_list

from ..groups.selectors import group_visibility
from ..models import InviteKind, InviteLink


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


def invite_by_brand_token(*, brand: Brand, token: str) -> InviteLink | None:
    """The brand's invite link with this token (for naming a customer's source), or None."""
    return (InviteLink.objects.filter(brand=brand, token=token).select_related("group", "rep__user").first()
            if token else None)


def invite_active_count(*, brand: Brand, actor: Actor) -> int:
    """How many of the links the actor sees are not revoked (the groups page's stat card)."""
    return InviteLink.objects.filter(brand=brand, revoked_at__isnull=True).filter(invite_visibility(actor)).count()
