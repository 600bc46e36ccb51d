"""Outbox subscribers of campaigns.orders: order cards in chat, and order attribution.

Each runs in the relay's transaction with its receipt, once per event; the cards are also once per
(order, status) whatever the number of events (see services.order_card_send).
"""

from crm.models import Order
from privtraffic.events.registry import subscribe
from privtraffic.tenancy.actors import SystemActor

from ..models import Coupon
from .services import order_attribution_coupon_set, order_attribution_record, order_card_send


def _order_of(brand_id: int, order_id) -> Order | None:
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        return None
    return Order.objects.filter(brand_id=brand_id, pk=order_id).select_related("brand").first()


@subscribe("order.created", "order.updated", name="campaigns.order_cards")
def post_order_card(event) -> None:
    """A new order, or a new status of one: its card in the customer's 1:1 chat (a tracking-only change
    records `order.updated` without a new status, and posts nothing)."""
    order = _order_of(event.brand_id, event.payload.get("order_id"))
    if order is None:
        return
    status = event.payload.get("status")
    if event.type == "order.updated" and status == event.payload.get("previous_status"):
        return
    order_card_send(brand=order.brand, actor=SystemActor.for_brand(order.brand, "subscriber:order_cards"),
                    order=order, status=status, snapshot=event.payload)


@subscribe("order.created", name="campaigns.order_attribution")
def attribute_order(event) -> None:
    order = _order_of(event.brand_id, event.payload.get("order_id"))
    if order is not None:
        order_attribution_record(brand=order.brand, order=order,
                                 actor=SystemActor.for_brand(order.brand, "subscriber:order_attribution"))


@subscribe("coupon.redeemed", name="campaigns.order_coupon")
def attribute_order_coupon(event) -> None:
    """A coupon redeemed against an order (payload {"coupon", "code", "customer", "order"}) is credited to it."""
    order = _order_of(event.brand_id, event.payload.get("order"))
    coupon_id = event.payload.get("coupon")
    coupon = (Coupon.objects.filter(brand_id=event.brand_id, pk=coupon_id).first()
              if isinstance(coupon_id, int) and not isinstance(coupon_id, bool) else None)
    if order is None or coupon is None:
        return
    order_attribution_coupon_set(brand=order.brand, order=order, coupon=coupon, code=str(event.payload.get("code") or ""),
                                 actor=SystemActor.for_brand(order.brand, "subscriber:order_coupon"))
