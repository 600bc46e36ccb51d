"""The coupon chat card (kind "coupon", payload {"title", "ref"}), registered from CampaignsConfig.ready().

A customer sees the title, the discount, the minimum order and the validity in the brand's time zone, and a
Claim button; once claimed, their code (large) and a "Claimed" badge. Staff in the inbox see how many
claimed and redeemed it, and a link to the coupon's page.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from chats.cards.pickers import card_choices_register
from chats.cards.registry import CardAction, CardKind, CardLink, CardState, card_kind_register
from privtraffic.tenancy.actors import CustomerActor, actor_has
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from ..models import Coupon, CouponClaim
from . import display, selectors
from .services import coupon_claim


def _brand_of(ref: int) -> int | None:
    return Coupon.objects.filter(pk=ref).values_list("brand_id", flat=True).first()


def _coupon(actor, ref: int) -> Coupon:
    coupon = Coupon.objects.filter(brand_id=actor.brand_id, pk=ref).select_related("brand").first()
    if coupon is None:
        raise ApplicationError.not_found("coupon")
    return coupon


def _lines(coupon: Coupon) -> list[str]:
    lines = [display.coupon_discount(coupon), display.coupon_minimum(coupon),
             display.coupon_validity(coupon, coupon.brand.tzinfo)]
    return [line for line in lines if line]


def coupon_card_state(*, actor, ref: int) -> CardState:
    coupon = _coupon(actor, ref)
    state = CardState(title=coupon.title, lines=_lines(coupon))
    status = display.coupon_state(coupon)
    if isinstance(actor, CustomerActor):
        claim = CouponClaim.objects.filter(coupon=coupon, customer_id=actor.customer.pk).first()
        if claim is not None:
            state.code = claim.code
            state.badge = (_("Used") if claim.redemptions_count >= coupon.per_customer_limit else _("Claimed"))
        elif status in ("active", "scheduled"):
            state.actions = [CardAction(verb="claim", label=_("Claim"))]
        else:
            state.badge = display.coupon_state_label(status)
        return state
    state.badge = display.coupon_state_label(status)
    state.lines.append(_("%(claims)d claimed · %(redemptions)d redeemed")
                       % {"claims": coupon.claims_count, "redemptions": coupon.redemptions_count})
    if actor_has(actor, Perm.MANAGE_CAMPAIGNS):  # the page is the marketers'; a rep sees the counts only
        state.links = [CardLink(label=_("Coupon page"), url=reverse(
            "coupons:detail", kwargs={"slug": coupon.brand.slug, "coupon_id": coupon.pk}))]
    return state


def coupon_card_claim(*, actor, ref: int) -> CardState:
    if not isinstance(actor, CustomerActor):
        raise ApplicationError.forbidden(_("Only the customer can claim their coupon."))
    coupon_claim(actor=actor, coupon=_coupon(actor, ref))
    return coupon_card_state(actor=actor, ref=ref)


card_kind_register(CardKind(kind="coupon", brand_of=_brand_of, state=coupon_card_state,
                            actions={"claim": coupon_card_claim}))
card_choices_register("coupon", lambda brand_id, ref=None: selectors.coupon_choices(brand_id=brand_id, ref=ref))
