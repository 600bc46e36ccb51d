"""Order cards in the customer's 1:1 chat, and what an order is attributed to.

Both run from outbox subscribers (campaigns.orders.subscribers) as the brand's system:

- `order_card_send`: one order card per (order, status), from the customer's assigned rep or else the brand
  persona. The OrderNotice row (unique per order and status) is written in the same transaction as the
  message, so duplicate events, a relay run twice or two relays at once post one card. Transactional: an
  order card is not a promotion (chats' PROMOTIONAL_KINDS), so consent to promotions, quiet hours and the
  weekly contact budget do not apply to it.
- `order_attribution_record` / `order_attribution_coupon_set`: the campaign delivery that last reached the
  customer within the attribution window before the order (the results' last-touch rule), and the coupon
  redeemed against it; whichever event arrives first creates the row.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chats.models import Message, MessageKind
from chats.persona.selectors import persona_get
from chats.selectors import conversation_visible_to
from chats.services import Sender, conversation_for_customer, message_send
from crm.models import Customer, Order, OrderStatus
from crm.orders.services import ORDER_PERM
from privtraffic.tenancy.actors import Actor, actor_has, authorize
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.roles import Perm

from ..models import Coupon
from ..results.selectors import order_last_touch
from .models import OrderAttribution, OrderNotice

# The card's text per status, in the customer's language (translated when sent).
CARD_TEXT = {
    OrderStatus.PLACED: gettext_noop("Thank you! We received your order #%(number)s."),
    OrderStatus.PAID: gettext_noop("We received the payment for your order #%(number)s."),
    OrderStatus.SHIPPED: gettext_noop("Your order #%(number)s has shipped."),
    OrderStatus.DELIVERED: gettext_noop("Your order #%(number)s was delivered."),
    OrderStatus.CANCELLED: gettext_noop("Your order #%(number)s was cancelled."),
    OrderStatus.REFUNDED: gettext_noop("Your order #%(number)s was refunded."),
}
_CARD_FIELDS = ("external_id", "status", "total", "currency", "items", "tracking_number", "carrier")


def customer_language(customer: Customer) -> str:
    """The customer's language when known (their `language` attribute, e.g. "zh-Hans" or "zh-CN"), else the
    default language of the site (brands have no language of their own yet)."""
    wanted = (customer.attributes or {}).get("language") if isinstance(customer.attributes, dict) else None
    if isinstance(wanted, str) and wanted.strip():
        try:
            return translation.get_supported_language_variant(wanted.strip().lower().replace("_", "-"))
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def order_card_payload(*, order: Order, snapshot: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the card carries (chats' PAYLOAD_SHAPES for kind "order"): the order as the event saw it (so a late
    relay shows the status it is about), completed from the order row for what the event lacks."""
    snapshot = snapshot or {}
    current = {"external_id": order.external_id, "status": order.status, "total": f"{order.total:.2f}",
               "currency": order.currency, "items": list(order.items or []),
               "tracking_number": order.tracking_number, "carrier": order.carrier}
    payload = {name: snapshot.get(name, current[name]) for name in _CARD_FIELDS}
    payload["order_id"] = order.pk
    return payload


def _card_sender(brand: Brand, customer: Customer, conversation_id: int) -> Sender:
    """The customer's assigned rep when they may still chat with them, else the brand persona (or the brand)."""
    rep = customer.assigned_rep
    if (rep is not None and rep.is_active and actor_has(rep, Perm.CHAT)
            and conversation_visible_to(actor=rep, conversation_id=conversation_id)):
        return Sender.of_staff(rep)
    persona = persona_get(brand=brand)
    return Sender.of_persona(persona) if persona else Sender.bot(brand.name, "brand")  # as campaigns speak


def order_card_send(*, brand: Brand, actor: Actor, order: Order, status: str,
                    snapshot: dict[str, Any] | None = None) -> Message | None:
    """Put the order card for `status` into the customer's 1:1 chat, once. Returns the new message, or None
    when this status already had its card (or the customer was erased: nobody to tell)."""
    authorize(actor, ORDER_PERM, order, what="order")
    customer = Customer.objects.select_related("assigned_rep__user").get(pk=order.customer_id, brand=brand)
    if customer.erased_at is not None or status not in CARD_TEXT:
        return None
    payload = order_card_payload(order=order, snapshot={**(snapshot or {}), "status": status})
    with transaction.atomic():
        # The notice and the message commit together: a concurrent relay of a duplicate event waits on the
        # unique (order, status) and then finds this notice.
        notice, created = OrderNotice.objects.get_or_create(brand=brand, order=order, status=status)
        if not created:
            return None
        conversation = conversation_for_customer(customer=customer)
        with translation.override(customer_language(customer)):
            body = _(CARD_TEXT[status]) % {"number": payload["external_id"]}
        message = message_send(conversation=conversation, sender=_card_sender(brand, customer, conversation.pk),
                               body=body, kind=MessageKind.ORDER, payload=payload,
                               client_msg_id=f"order:{order.pk}:{status}")
        notice.message = message
        notice.save(update_fields=["message"])
    return message


def order_attribution_record(*, brand: Brand, actor: Actor, order: Order) -> OrderAttribution:
    """Credit the order to the campaign delivery that last reached its customer within the attribution window
    before it was placed (none: no campaign). Safe to run twice; keeps a coupon already recorded."""
    authorize(actor, ORDER_PERM, order, what="order")
    touch = order_last_touch(brand, order_id=order.pk)
    found = {"delivery": touch, "campaign": touch.campaign if touch else None}
    with transaction.atomic():
        attribution, created = OrderAttribution.objects.get_or_create(brand=brand, order=order, defaults=found)
        if not created:
            attribution = OrderAttribution.objects.select_for_update().get(pk=attribution.pk)
            attribution.delivery, attribution.campaign = found["delivery"], found["campaign"]
            attribution.save(update_fields=["delivery", "campaign", "updated_at"])
    return attribution


def order_attribution_coupon_set(*, brand: Brand, actor: Actor, order: Order, coupon: Coupon,
                                 code: str) -> OrderAttribution:
    """Record the coupon redeemed against the order (the last one wins if the shop redeems several)."""
    authorize(actor, ORDER_PERM, order, what="order")
    authorize(actor, ORDER_PERM, coupon, what="coupon")
    found = {"coupon": coupon, "coupon_code": (code or "")[:40]}
    with transaction.atomic():
        attribution, created = OrderAttribution.objects.get_or_create(brand=brand, order=order, defaults=found)
        if not created:
            attribution = OrderAttribution.objects.select_for_update().get(pk=attribution.pk)
            attribution.coupon, attribution.coupon_code = coupon, found["coupon_code"]
            attribution.save(update_fields=["coupon", "coupon_code", "updated_at"])
    return attribution
