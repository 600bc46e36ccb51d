"""Orders synced from the brand's shop, and the customer's order figures they keep current.

Writes act for an actor allowed ORDER_PERM (in practice the integrator's API key, or the system) and record `order.created` / `order.updated` in the outbox (the campaigns app
turns those into order cards in chat) and refresh the customer's count, lifetime value, last order and stage.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.roles import Perm

from ..customers.lifecycle import lifecycle_stage_of
from ..models import Customer, Order, OrderStatus

# Orders are the shop's records: synced by the brand's integration (an admin's authority), never by reps.
ORDER_PERM = Perm.MANAGE_SETTINGS
MAX_ITEMS = 200
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Orders in these states are not purchases: they count toward nothing.
NOT_COUNTED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
# Where an order may go next; anything else is refused with the allowed moves.
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


def _money(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2 or amount >= Decimal("1e10"):
        return None
    return amount.quantize(Decimal("0.01"))


def _clean_items(items: Any) -> tuple[list[dict], dict[str, list[str]]]:
    if not isinstance(items, list):
        return [], {"items": [_("Must be a list of {sku, name, quantity, price}.")]}
    if len(items) > MAX_ITEMS:
        return [], {"items": [_("At most %(max)s items.") % {"max": MAX_ITEMS}]}
    clean, errors = [], {}
    for number, item in enumerate(items):
        prefix = f"items.{number}"
        if not isinstance(item, dict):
            errors[prefix] = [_("Must be an object with sku, name, quantity and price.")]
            continue
        sku, name = str(item.get("sku") or "").strip(), str(item.get("name") or "").strip()
        quantity, price = item.get("quantity"), _money(item.get("price"))
        if not sku or len(sku) > 64:
            errors[f"{prefix}.sku"] = [_("1-64 characters.")]
        if not name or len(name) > 200:
            errors[f"{prefix}.name"] = [_("1-200 characters.")]
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 10000:
            errors[f"{prefix}.quantity"] = [_("A whole number from 1 to 10000.")]
        if price is None:
            errors[f"{prefix}.price"] = [_("A non-negative amount with at most 2 decimals, e.g. 199.00.")]
        if not errors:
            clean.append({"sku": sku, "name": name, "quantity": quantity, "price": str(price)})
    return clean, errors


def order_status_check(status: Any) -> None:
    if status not in OrderStatus.values:
        raise ApplicationError("invalid", _("Unknown order status."), fields={
            "status": [_("Use one of: %(choices)s.") % {"choices": ", ".join(OrderStatus.values)}]})


def _event_payload(order: Order, previous_status: str | None = None) -> dict[str, Any]:
    """What `order.created` / `order.updated` carry: the order as it is after the change (the order card and
    webhooks read it from here), and on updates the status it had before."""
    payload = {"order_id": order.pk, "external_id": order.external_id, "customer_id": order.customer_id,
               "status": order.status, "currency": order.currency, "total": str(order.total),
               "items": list(order.items or []), "tracking_number": order.tracking_number,
               "carrier": order.carrier, "rep_id": order.rep_id, "store_id": order.store_id,
               "placed_at": order.placed_at}
    if previous_status is not None:
        payload["previous_status"] = previous_status
    return payload


def _shipping_errors(status: str, tracking_number: str, carrier: str) -> dict[str, list[str]]:
    """A shipped order says how it travels: a tracking number, a carrier, or both (a store's own courier may
    have no tracking number). Checked on the order as it would be after the change."""
    if status == OrderStatus.SHIPPED and not tracking_number and not carrier:
        message = _("A shipped order needs a tracking number or a carrier.")
        return {"tracking_number": [message], "carrier": [message]}
    return {}


def customer_order_figures_refresh(*, customer: Customer) -> Customer:
    """Recount the customer's orders under a row lock, so concurrent order syncs never lose an update."""
    with transaction.atomic():
        locked = Customer.objects.select_for_update().select_related("brand").get(pk=customer.pk)
        counted = Order.objects.filter(brand_id=locked.brand_id, customer=locked).exclude(status__in=NOT_COUNTED)
        figures = counted.aggregate(
            count=Count("id"), last=Max("placed_at"),
            value=Sum("total", filter=Q(currency=locked.brand.default_currency)))
        locked.order_count = figures["count"]
        locked.lifetime_value = figures["value"] or Decimal("0")
        locked.last_order_at = figures["last"]
        locked.lifecycle_stage = lifecycle_stage_of(locked)
        locked.save(update_fields=["order_count", "lifetime_value", "last_order_at", "lifecycle_stage",
                                   "updated_at"])
    return locked


def order_create(
    *, brand: Brand, actor: Actor, customer: Customer, external_id: str, currency: str, total: Any,
    items: Any = None, status: str = OrderStatus.PLACED, tracking_number: str = "", carrier: str = "",
    placed_at: datetime.datetime | None = None,
) -> Order:
    """Record an order; it is attributed to the customer's assigned rep and home store at this moment."""
    authorize(actor, ORDER_PERM, brand, what="order")
    if customer.brand_id != brand.id:
        raise ApplicationError.not_found("customer")
    if customer.erased_at is not None:
        raise ApplicationError("customer_erased", _("This customer's data was erased."), status=409)
    errors: dict[str, list[str]] = {}
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 64:
        errors["external_id"] = [_("1-64 characters.")]
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        errors["currency"] = [_("A three-letter ISO 4217 code such as CNY.")]
    amount = _money(total)
    if amount is None:
        errors["total"] = [_("A non-negative amount with at most 2 decimals, e.g. 199.00.")]
    clean_items, item_errors = _clean_items(items if items is not None else [])
    errors.update(item_errors)
    tracking_number, carrier = (tracking_number or "").strip(), (carrier or "").strip()
    if len(tracking_number) > 64:
        errors["tracking_number"] = [_("At most 64 characters.")]
    if len(carrier) > 64:
        errors["carrier"] = [_("At most 64 characters.")]
    if placed_at is not None and placed_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["placed_at"] = [_("An order cannot be placed in the future.")]
    if errors:
        raise ApplicationError("invalid", _("The order is not valid."), fields=errors)
    order_status_check(status)
    if shipping := _shipping_errors(status, tracking_number, carrier):
        raise ApplicationError("tracking_required", _("A shipped order needs a tracking number or a carrier."),
                               fields=shipping)
    order = Order(brand=brand, customer=customer, external_id=external_id, currency=currency, total=amount,
                  items=clean_items, status=status, tracking_number=tracking_number, carrier=carrier,
                  placed_at=placed_at or timezone.now())
    try:
        with transaction.atomic():
            # Attribution: who the customer's rep and home store are now (the row lock orders it after a
            # concurrent reassignment), not what a stale copy of the customer says.
            order.rep_id, order.store_id = Customer.objects.select_for_update().filter(pk=customer.pk).values_list(
                "assigned_rep_id", "home_store_id").get()
            order.save()
            event_record(brand=brand, type="order.created", payload=_event_payload(order))
            customer_order_figures_refresh(customer=customer)
    except IntegrityError:
        existing = Order.objects.filter(brand=brand, external_id=external_id).values_list("pk", flat=True).first()
        raise ApplicationError("duplicate", _("An order with this external_id already exists (id %(id)s).")
                               % {"id": existing}, fields={"external_id": [_("Already used.")]}, status=409)
    return order


def order_update(*, order: Order, actor: Actor, status: str | None = None,
                 tracking_number: str | None = None, carrier: str | None = None) -> Order:
    """Move an order along its lifecycle (see TRANSITIONS) and/or set its tracking number and carrier.

    Every change records one `order.updated` event (with `previous_status`); a shipped order keeps a tracking
    number or a carrier."""
    authorize(actor, ORDER_PERM, order, what="order")
    with transaction.atomic():
        # Two syncs racing on one order take turns: each checks the transition against the current status.
        order = Order.objects.select_for_update().select_related("brand", "customer").get(
            pk=order.pk, brand_id=order.brand_id)
        return _order_change(order, status, tracking_number, carrier)


def _order_change(order: Order, status: str | None, tracking_number: str | None, carrier: str | None) -> Order:
    changes: list[str] = []
    previous = order.status
    if status is not None and status != order.status:
        order_status_check(status)
        if status not in TRANSITIONS[order.status]:
            allowed = ", ".join(sorted(TRANSITIONS[order.status])) or _("none, it is final")
            raise ApplicationError("invalid_transition", _("An order that is %(from)s cannot become %(to)s "
                                                           "(allowed: %(allowed)s).") % {
                "from": order.status, "to": status, "allowed": allowed}, fields={"status": [_("Not allowed now.")]},
                status=409)
        order.status = status
        changes.append("status")
    if tracking_number is not None and tracking_number.strip() != order.tracking_number:
        if len(tracking_number.strip()) > 64:
            raise ApplicationError("invalid", _("The tracking number is too long."),
                                   fields={"tracking_number": [_("At most 64 characters.")]})
        order.tracking_number = tracking_number.strip()
        changes.append("tracking_number")
    if carrier is not None and carrier.strip() != order.carrier:
        if len(carrier.strip()) > 64:
            raise ApplicationError("invalid", _("The carrier's name is too long."),
                                   fields={"carrier": [_("At most 64 characters.")]})
        order.carrier = carrier.strip()
        changes.append("carrier")
    if not changes:
        return order
    if shipping := _shipping_errors(order.status, order.tracking_number, order.carrier):
        raise ApplicationError("tracking_required", _("A shipped order needs a tracking number or a carrier."),
                               fields=shipping)
    with transaction.atomic():
        order.save(update_fields=[*changes, "updated_at"])
        event_record(brand=order.brand, type="order.updated", payload=_event_payload(order, previous))
        if "status" in changes and (previous in NOT_COUNTED) != (order.status in NOT_COUNTED):
            customer_order_figures_refresh(customer=order.customer)
    return order
