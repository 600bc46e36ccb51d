from django.db.models import Prefetch, Q, QuerySet

from privtraffic.accounts.models import User
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Role
from privtraffic.tenancy.selectors import brand_get_object

from .models import AttributeDefinition, Customer, CustomerNote, CustomerTag, LifecycleStage, Tag


def customer_list(*, brand: Brand, actor: Membership | None = None, search: str = "") -> QuerySet[Customer]:
    """Customers of a brand. Reps see those assigned to them; store managers their store's."""
    qs = (Customer.objects.filter(brand=brand).select_related("assigned_rep__user", "home_store")
          .prefetch_related(Prefetch("tags", queryset=Tag.objects.filter(brand=brand))))
    if actor is not None and actor.role == Role.REP:
        qs = qs.filter(assigned_rep=actor)
    elif actor is not None and actor.role == Role.STORE_MANAGER:
        qs = qs.filter(Q(home_store_id=actor.store_id) | Q(assigned_rep__store_id=actor.store_id))
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(email__icontains=search) | Q(phone__icontains=search))
    return qs


def customer_get(*, brand: Brand, customer_id, actor: Membership | None = None) -> Customer:
    return brand_get_object(customer_list(brand=brand, actor=actor), brand=brand, what="customer", pk=customer_id)


def customer_for_user(*, brand: Brand, user: User) -> Customer | None:
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(brand=brand, user=user).first()


# --- tags, attributes, notes --------------------------------------------------------------------


def customer_list_by_tag(*, brand: Brand, actor: Membership | None = None, search: str = "",
                         tag: str = "") -> QuerySet[Customer]:
    """customer_list, narrowed to customers carrying the tag named `tag` (when given)."""
    qs = customer_list(brand=brand, actor=actor, search=search)
    tag = tag.strip()
    if tag:
        qs = qs.filter(pk__in=CustomerTag.objects.filter(brand=brand, tag__brand=brand, tag__name=tag)
                       .values("customer_id"))
    return qs


def customer_list_filtered(*, brand: Brand, actor: Membership | None = None, search: str = "", tag: str = "",
                           stage: str = "", segment_id: int | None = None) -> QuerySet[Customer]:
    """The dashboard list: customer_list_by_tag, narrowed by lifecycle stage and a saved segment (another
    brand's segment is a 404). An unknown stage is ignored."""
    from .segments import customers_in_segment

    customers = customer_list_by_tag(brand=brand, actor=actor, search=search, tag=tag)
    if stage in LifecycleStage.values:
        customers = customers.filter(lifecycle_stage=stage)
    if segment_id is not None:
        customers = customers_in_segment(brand=brand, segment_id=segment_id, within=customers)
    return customers


def tag_list(*, brand: Brand) -> QuerySet[Tag]:
    return Tag.objects.filter(brand=brand)


def tag_get(*, brand: Brand, tag_id) -> Tag:
    return brand_get_object(tag_list(brand=brand), brand=brand, what="tag", pk=tag_id)


def attribute_list(*, brand: Brand) -> QuerySet[AttributeDefinition]:
    return AttributeDefinition.objects.filter(brand=brand)


def customer_note_list(*, brand: Brand, customer: Customer) -> QuerySet[CustomerNote]:
    return CustomerNote.objects.filter(brand=brand, customer=customer).select_related("author")
