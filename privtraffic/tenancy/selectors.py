"""Reads for the tenancy core. Every function takes the brand first."""

from django.db.models import Model, Q, QuerySet

from privtraffic.accounts.models import User

from .actors import Actor, actor_store_id
from .errors import ApplicationError
from .models import ApiKey, Brand, Membership, Store
from .parsing import is_int
from .roles import Role


def brand_get_object(queryset: QuerySet, *, brand: Brand, what: str = "object", **lookup) -> Model:
    """Fetch one object inside the brand; missing and other-brand both raise not_found. An id from outside
    (a form's or a URL's string) that is not a 64-bit whole number in ASCII digits is not found either."""
    pk = lookup.get("pk")
    if pk is not None and not isinstance(pk, Model) and not is_int(pk):
        raise ApplicationError.not_found(what)
    try:
        return queryset.get(brand=brand, **lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise ApplicationError.not_found(what)


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True).select_related("brand").order_by("brand__name")


def membership_for_user(*, user: User, brand_slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, brand__slug=brand_slug, is_active=True)
        .select_related("brand", "store")
        .first()
    )


def store_list(*, brand: Brand) -> QuerySet[Store]:
    return Store.objects.filter(brand=brand).order_by("name", "id")


def store_choices(*, brand: Brand, actor: Actor) -> QuerySet[Store]:
    """The stores an actor may pick in a form (a team member's, a group's, a link's): their own when
    store-scoped, else all of the brand's."""
    stores = store_list(brand=brand)
    store_id = actor_store_id(actor)
    return stores.filter(pk=store_id) if store_id is not None else stores


def store_get(*, brand: Brand, store_id) -> Store:
    return brand_get_object(Store.objects.all(), brand=brand, what="store", pk=store_id)


def member_visibility(actor: Actor, *, prefix: str = "") -> Q:
    """The one rule for which staff an actor sees: a store-scoped actor only their own store's people.
    `prefix` applies it through a relation (e.g. "assigned_rep__")."""
    store_id = actor_store_id(actor)
    return Q(**{f"{prefix}brand_id": actor.brand_id}) & (Q(**{f"{prefix}store_id": store_id})
                                                         if store_id is not None else Q())


def member_list(
    *, brand: Brand, actor: Actor, role: str | None = None, store_id=None, include_inactive=True
) -> QuerySet[Membership]:
    """Staff of a brand that the actor may see (member_visibility)."""
    qs = Membership.objects.filter(brand=brand).filter(member_visibility(actor)).select_related("user", "store")
    if role:
        qs = qs.filter(role=role)
    if store_id:
        qs = qs.filter(store_id=store_id)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("user__email", "id")


def member_get(*, brand: Brand, membership_id, actor: Actor) -> Membership:
    return brand_get_object(member_list(brand=brand, actor=actor), brand=brand, what="team member", pk=membership_id)


def rep_list(*, brand: Brand, actor: Actor, store_id=None) -> QuerySet[Membership]:
    return member_list(brand=brand, actor=actor, role=Role.REP, store_id=store_id)


def rep_get(*, brand: Brand, rep_id, actor: Actor) -> Membership:
    return brand_get_object(rep_list(brand=brand, actor=actor), brand=brand, what="rep", pk=rep_id)


def api_key_list(*, brand: Brand) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(brand=brand).select_related("created_by").order_by("-created_at", "-id")


def api_key_get(*, brand: Brand, api_key_id) -> ApiKey:
    return brand_get_object(ApiKey.objects.all(), brand=brand, what="API key", pk=api_key_id)
