from django.db.models import Q, QuerySet

from privtraffic.accounts.models import User
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Role
from privtraffic.tenancy.selectors import brand_get_object

from .models import Customer


def customer_list(*, brand: Brand, actor: Membership | None = None, search: str = "") -> QuerySet[Customer]:
    """Customers of a brand. Reps see those assigned to them; store managers their store's."""
    qs = Customer.objects.filter(brand=brand).select_related("assigned_rep__user", "home_store")
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
