"""The group-buy chat card (kind "group_buy"), registered with chats' card registry from CampaignsConfig.ready().

A customer sees the price now, what the next tier needs ("3 more to unlock 159.00 CNY"), the progress, the
deadline in the brand's time zone and a Join button; once joined, a "Joined" badge and their own referral link
to share; after the deadline, the outcome (and their code). Staff see the same without the button.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chats.cards.registry import CardAction, CardKind, CardLink, CardProgress, CardState, card_kind_register
from chats.models import MessageKind
from privtraffic.tenancy.actors import CustomerActor, SystemActor
from privtraffic.tenancy.errors import ApplicationError

from . import selectors
from .models import GroupBuy, GroupBuyParticipant, GroupBuyStatus
from .services import deadline_text, group_buy_join, group_buy_posts_record, share_url
from .tiers import money, tier_reached, tiers_of


def card_state_for(group_buy: GroupBuy, participant: GroupBuyParticipant | None, *, customer: bool) -> CardState:
    tiers = tiers_of(group_buy.tiers)
    count = group_buy.participant_count
    reached = tier_reached(tiers, count)
    product = group_buy.product
    currency = group_buy.currency
    lines = [product.name]
    state = CardState(title=group_buy.title, image_url=product.image_url or None, lines=lines)
    if group_buy.status != GroupBuyStatus.OPEN:
        if group_buy.status == GroupBuyStatus.SUCCEEDED:
            state.badge = _("Deal reached")
            lines.append(ngettext("Final price %(price)s with %(n)d person.", "Final price %(price)s with %(n)d people.",
                                  count) % {"price": money(tiers[reached - 1].price, currency), "n": count})
            if participant is not None and participant.issued_code:
                lines.append(_("Your code:"))
                state.code = participant.issued_code
        else:
            state.badge = _("Not reached")
            lines.append(_("The group-buy ended before its first tier was reached."))
        return state
    now_price = tiers[reached - 1].price if reached else product.price
    lines.append(_("Price now: %(price)s") % {"price": money(now_price, currency)})
    if reached < len(tiers):
        following = tiers[reached]
        more = following.min - count
        lines.append(ngettext("%(n)d more to unlock %(price)s", "%(n)d more to unlock %(price)s", more)
                     % {"n": more, "price": money(following.price, currency)})
        goal = following.min
    else:
        lines.append(_("Best price unlocked"))
        goal = tiers[-1].min
    lines.append(_("Ends %(when)s") % {"when": deadline_text(group_buy, group_buy.brand)})
    state.progress = CardProgress(value=count, max=goal, label=ngettext(
        "%(n)d joined of %(goal)d", "%(n)d joined of %(goal)d", count) % {"n": count, "goal": goal})
    if participant is not None:
        state.badge = _("Joined")
        url = share_url(participant.referral_code)
        lines.append(_("Invite friends with your link: %(url)s") % {"url": url})
        state.links = [CardLink(label=_("Your invite link"),
                                url=reverse("groupbuys:referral", kwargs={"token": participant.referral_code}))]
    elif customer:
        state.actions = [CardAction(verb="join", label=_("Join"))]
    return state


def _group_buy(actor, ref: int) -> GroupBuy:
    group_buy = selectors.group_buy_get(actor.brand_id, group_buy_id=ref)
    if group_buy is None:
        raise ApplicationError.not_found("group-buy")
    return group_buy


def group_buy_card_state(*, actor, ref: int) -> CardState:
    group_buy = _group_buy(actor, ref)
    if isinstance(actor, CustomerActor):
        participant = selectors.participant_of(actor.brand_id, group_buy=group_buy, customer=actor.customer)
        return card_state_for(group_buy, participant, customer=True)
    return card_state_for(group_buy, None, customer=False)


def group_buy_card_join(*, actor, ref: int) -> CardState:
    if not isinstance(actor, CustomerActor):
        raise ApplicationError.forbidden(_("Only customers join group-buys."))
    result = group_buy_join(actor=actor, group_buy_id=ref)
    return card_state_for(_group_buy(actor, ref), result.participant, customer=True)


def _record_posts(brand_id: int, posts: list[tuple[int, int]]) -> None:
    group_buy_posts_record(actor=SystemActor.for_brand(brand_id, "card:group_buy"), brand_id=brand_id, posts=posts)


card_kind_register(CardKind(kind=MessageKind.GROUP_BUY.value, brand_of=selectors.group_buy_brand_id,
                            state=group_buy_card_state, actions={"join": group_buy_card_join},
                            on_post=_record_posts))
