"""Reads of orders; each takes `brand=` first."""

from django.db.models import QuerySet

from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import Order
from .services import order_status_check


def order_list(*, brand: Brand, customer_id: int | None = None, status: str | None = None) -> QuerySet[Order]:
    orders = Order.objects.filter(brand=brand)
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if status:
        order_status_check(status)
        orders = orders.filter(status=status)
    return orders


def order_get(*, brand: Brand, order_id) -> Order:
    return brand_get_object(Order.objects.select_related("brand", "customer"), brand=brand, what="order", pk=order_id)
