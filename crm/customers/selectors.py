import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from privtraffic.accounts.models import User
from privtraffic.tenancy.actors import Actor, CustomerActor, actor_rep_id, actor_store_id, check_actor
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import AuditLog, Customer, CustomerSource, CustomerTag, SurveyResponse, Tag

HISTORY_LIMIT = 10


def customer_visibility(actor: Actor, *, prefix: str = "") -> Q:
    """The one rule for which customers an actor sees, for crm's lists and chats' 1:1 conversations alike
    (`prefix` applies it through a relation, e.g. "customer__"): a rep their assigned customers, a store
    manager their store's (home store or rep's store), a customer themselves, everyone else the brand."""
    check_actor(actor)
    q = Q(**{f"{prefix}brand_id": actor.brand_id})
    rep_id, store_id = actor_rep_id(actor), actor_store_id(actor)
    if isinstance(actor, CustomerActor):
        return q & Q(**{f"{prefix}pk": actor.customer.pk})
    if rep_id is not None:
        return q & Q(**{f"{prefix}assigned_rep_id": rep_id})
    if store_id is not None:
        return q & (Q(**{f"{prefix}home_store_id": store_id}) | Q(**{f"{prefix}assigned_rep__store_id": store_id}))
    return q


def customer_is_visible(actor: Actor, customer: Customer) -> bool:
    """Whether `customer_visibility(actor)` holds for this one customer (a query only for store-bound staff)."""
    check_actor(actor)
    if customer.brand_id != actor.brand_id:
        return False
    if isinstance(actor, CustomerActor):
        return actor.customer.pk == customer.pk
    if actor_rep_id(actor) is None and actor_store_id(actor) is None:
        return True
    return Customer.objects.filter(customer_visibility(actor), pk=customer.pk).exists()


def customer_list(*, brand: Brand, actor: Actor, search: str = "") -> QuerySet[Customer]:
    """Customers of a brand that the actor may see (customer_visibility)."""
    qs = (Customer.objects.filter(brand=brand).filter(customer_visibility(actor))
          .select_related("assigned_rep__user", "home_store")
          .prefetch_related(Prefetch("tags", queryset=Tag.objects.filter(brand=brand))))
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(email__icontains=search) | Q(phone__icontains=search))
    return qs


def customer_get(*, brand: Brand, customer_id, actor: Actor) -> Customer:
    return brand_get_object(customer_list(brand=brand, actor=actor), brand=brand, what="customer", pk=customer_id)


def customer_for_user(*, brand: Brand, user: User) -> Customer | None:
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(brand=brand, user=user).first()


def customer_list_by_tag(*, brand: Brand, actor: Actor, search: str = "",
                         tag: str = "") -> QuerySet[Customer]:
    """customer_list, narrowed to customers carrying the tag named `tag` (when given)."""
    qs = customer_list(brand=brand, actor=actor, search=search)
    tag = tag.strip()
    if tag:
        qs = qs.filter(pk__in=CustomerTag.objects.filter(brand=brand, tag__brand=brand, tag__name=tag)
                       .values("customer_id"))
    return qs


def customer_group_memberships(*, brand: Brand, customer: Customer):
    """The groups the customer is in now, oldest first. Read through the reverse relation of crm's own
    model: crm does not import communities."""
    return (customer.group_memberships.filter(brand=brand, left_at__isnull=True).select_related("group")
            .order_by("joined_at"))


def customer_audit_history(*, brand: Brand, customer: Customer, limit: int = HISTORY_LIMIT) -> QuerySet[AuditLog]:
    return AuditLog.objects.filter(brand=brand, customer=customer).select_related("actor")[:limit]


def customer_list_narrow(qs: QuerySet[Customer], *, brand: Brand, joined_since: datetime.datetime | None = None,
                         active_since: datetime.datetime | None = None, via_invite: bool = False,
                         surveyed: bool = False, ordered: bool = False, rep_id: int | None = None,
                         store_id: int | None = None) -> QuerySet[Customer]:
    """A customer list narrowed to the people behind one of the overview's figures (crm.analytics counts
    them by the same rules): joined or active since a time, came in through a link, completed a survey,
    have ordered, looked after by a rep, of a store (home store or the rep's store)."""
    if joined_since is not None:
        qs = qs.filter(created_at__gte=joined_since)
    if active_since is not None:
        qs = qs.filter(last_active_at__gte=active_since)
    if via_invite:
        qs = qs.filter(source__in=(CustomerSource.INVITE_LINK, CustomerSource.REP))
    if surveyed:
        qs = qs.filter(Exists(SurveyResponse.objects.filter(brand=brand, customer_id=OuterRef("pk"),
                                                             completed_at__isnull=False)))
    if ordered:
        qs = qs.filter(order_count__gt=0)
    if rep_id is not None:
        qs = qs.filter(assigned_rep_id=rep_id)
    if store_id is not None:
        qs = qs.filter(Q(home_store_id=store_id) | Q(assigned_rep__store_id=store_id))
    return qs
