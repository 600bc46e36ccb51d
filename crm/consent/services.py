"""Consent writes: the brand's contact policy, a promotion's claim on the weekly budget, and opting out.

A promotion needs both consents: chat from the brand, and promotions. Withdrawing promotions consent is one
tap (`promotions_opt_out`): the chat command STOP, or the signed link in every promotional message.
"""

import datetime
from collections.abc import Iterable

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import Actor, CustomerActor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.roles import Perm

from ..customers.services import customer_changes_apply, customer_require_visible
from ..models import ContactLane, ContactPolicy, Customer, PromotionContact
from .selectors import OPT_OUT_SALT, Purpose, customer_reach

# Chat words that withdraw promotions consent (English and the usual Chinese replies), compared case-folded.
STOP_WORDS = frozenset({"stop", "unsubscribe", "退订", "td", "取消订阅"})


def contact_policy_save(*, brand: Brand, actor: Actor, quiet_hours_start: datetime.time,
                        quiet_hours_end: datetime.time, weekly_promotion_budget: int) -> ContactPolicy:
    authorize(actor, Perm.MANAGE_SETTINGS, brand, what="contact policy")
    if not isinstance(weekly_promotion_budget, int) or not 0 <= weekly_promotion_budget <= 50:
        raise ApplicationError("invalid", _("The weekly budget must be between 0 and 50."),
                               fields={"weekly_promotion_budget": [_("Between 0 and 50.")]})
    # update_or_create locks the row, and two first saves racing on the one-per-brand constraint retry the get.
    policy, _created = ContactPolicy.objects.update_or_create(brand=brand, defaults={
        "quiet_hours_start": quiet_hours_start, "quiet_hours_end": quiet_hours_end,
        "weekly_promotion_budget": weekly_promotion_budget})
    return policy


def promotion_contact_claim(*, customer: Customer, lane: str, ref: str = "",
                            at: datetime.datetime | None = None) -> PromotionContact:
    """Take one slot of the customer's weekly budget for a promotion about to be sent, or refuse with the reason.

    Call it inside the sending transaction: the customer row lock makes two lanes racing for the last slot
    take turns, so the budget is never overspent.
    """
    if lane not in ContactLane.values:
        raise ApplicationError("invalid", _("Unknown lane."), fields={"lane": [_("Unknown lane.")]})
    with transaction.atomic():
        locked = Customer.objects.select_for_update().select_related("brand").get(pk=customer.pk)
        # The time is taken once the lock is held, so it is never earlier than a claim that went before.
        at = at or timezone.now()
        reach = customer_reach(brand=locked.brand, customer=locked, purpose=Purpose.PROMOTIONAL, at=at)
        if not reach.reachable:
            raise ApplicationError(reach.reason, reach.message, status=409)
        return PromotionContact.objects.create(brand_id=locked.brand_id, customer=locked, lane=lane,
                                               ref=ref[:64], created_at=at)


def promotions_opt_out(*, customer: Customer, actor: Actor, source: str) -> Customer:
    """Withdraw promotions consent (idempotent); the change is kept in the consent history with its source.

    The customer acts for themself (CustomerActor: the STOP command, the opt-out link); the system and staff
    who may see the customer may withdraw it for them."""
    if isinstance(actor, CustomerActor):
        authorize(actor, None, customer, what="customer")
    else:
        authorize(actor, Perm.VIEW_CUSTOMERS, customer, what="customer")
    customer_require_visible(actor, customer)  # a customer: only themself
    with transaction.atomic():
        # Decide on the current row, not the caller's copy (a socket may have held it for hours).
        locked = Customer.objects.select_for_update().select_related("brand").get(pk=customer.pk,
                                                                                  brand_id=customer.brand_id)
        if locked.erased_at is not None or not locked.consent_promotions:
            return locked
        return customer_changes_apply(customer=locked, consent_source=source, consent_promotions=False)


def is_stop_command(body: str) -> bool:
    return (body or "").strip().strip(".!。！").casefold() in STOP_WORDS


def opt_out_token(customer: Customer) -> str:
    # No timestamp: the link in an old promotion must keep working, and the same customer gets the same link.
    return signing.Signer(salt=OPT_OUT_SALT).sign_object({"b": customer.brand_id, "c": customer.pk}, compress=True)


def opt_out_urls(customers: Iterable[Customer]) -> dict[int, str]:
    """`opt_out_url` for many customers (a campaign chunk): one signer, the URL pattern reversed once."""
    signer = signing.Signer(salt=OPT_OUT_SALT)
    prefix, marker, suffix = reverse("crm:promotions_opt_out", kwargs={"token": "TOKEN"}).partition("TOKEN")
    return {c.pk: f"{prefix}{signer.sign_object({'b': c.brand_id, 'c': c.pk}, compress=True)}{suffix}"
            for c in customers}


def opt_out_url(customer: Customer) -> str:
    """The one-tap opt-out link carried by every promotional message (no login needed: the link is signed)."""
    return reverse("crm:promotions_opt_out", kwargs={"token": opt_out_token(customer)})
