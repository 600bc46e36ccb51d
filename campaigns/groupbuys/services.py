"""Writes of group-buys: saving one, joining it (from the chat card or a referral link), posting its card,
and settling it at the deadline (groupbuys_dispatch, called by the campaigns dispatcher).

Joins are exact under concurrency: the participant row is unique per (group-buy, customer), and the counter
moves by one conditional UPDATE that also checks the group-buy is still open and before its deadline. The
row lock that UPDATE takes orders the joins, so each join reads its own count back: the join whose count
equals a tier's threshold unlocks that tier, exactly once, and announces it in the groups the card was posted
to. Settling takes the group-buy with SELECT ... FOR UPDATE SKIP LOCKED and does all of it (status, coupon,
codes, messages, outbox event) in one transaction: a dispatcher run twice finds nothing left to do, and one
killed midway rolls back and settles on its next run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chats.bulk import BulkMessage, conversations_for_customers, messages_send_bulk
from chats.cards.services import card_refresh_on_commit
from chats.models import ConversationKind, Message, MessageKind
from chats.persona.selectors import persona_get
from chats.services import Sender, conversation_for_group, message_send
from communities.join.services import device_session_start
from communities.models import DeviceSession, VipGroup
from crm.customers.services import customer_create, customer_join_as_user
from crm.models import Customer, CustomerSource, Product
from privtraffic.accounts.models import User
from privtraffic.accounts.services import device_user_create
from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, CustomerActor, SystemActor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Perm

from ..coupons.issuing import coupon_claims_issue
from ..models import Coupon, CouponClaim, CouponKind
from .models import GroupBuy, GroupBuyParticipant, GroupBuyPost, GroupBuyStatus
from .tiers import Tier, money, tier_reached, tiers_clean, tiers_of

CHUNK = 1000
CODE_VALID_DAYS = 30  # how long the coupon a successful group-buy hands out stays valid


def referral_code_generate() -> str:
    return secrets.token_urlsafe(12)  # 96 bits, URL-safe (a slug)


def share_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/g/{code}/"


def deadline_text(group_buy: GroupBuy, brand: Brand) -> str:
    local = timezone.localtime(group_buy.deadline, brand.tzinfo)
    return f"{date_format(local, 'Y-m-d H:i')} ({brand.time_zone})"


# --- saving ---------------------------------------------------------------------------------------------


def group_buy_save(*, brand: Brand, actor: Actor, product_id: int, title: str, tiers: object,
                   deadline: datetime, group_buy: GroupBuy | None = None) -> GroupBuy:
    """Create a group-buy, or change one that is still open. Once someone has joined, its product and tiers
    are fixed (their price is what people joined for); the title and a later deadline may still change."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, group_buy or brand, what="group-buy")
    product = Product.objects.filter(brand=brand, pk=product_id).first()
    if product is None:
        raise ApplicationError("invalid", _("Choose a product of the catalogue."),
                               fields={"product": [_("Choose a product of the catalogue.")]})
    title = (title or "").strip()
    if not 0 < len(title) <= 120:
        raise ApplicationError("invalid", _("Give the group-buy a title (up to 120 characters)."),
                               fields={"title": [_("Give the group-buy a title (up to 120 characters).")]})
    clean = tiers_clean(tiers, list_price=product.price)
    if deadline is None or timezone.is_naive(deadline) or deadline <= timezone.now():
        raise ApplicationError("invalid", _("The deadline must be in the future."),
                               fields={"deadline": [_("The deadline must be in the future.")]})
    tiers_json = [t.as_json() for t in clean]
    with transaction.atomic():
        if group_buy is None:
            if not product.active:
                raise ApplicationError("invalid", _("This product is not active."),
                                       fields={"product": [_("This product is not active.")]})
            group_buy = GroupBuy.objects.create(
                brand=brand, product=product, title=title, tiers=tiers_json, currency=product.currency,
                deadline=deadline, created_by_id=getattr(actor, "user_id", None))
            return group_buy
        locked = GroupBuy.objects.select_for_update().get(brand=brand, pk=group_buy.pk)
        if locked.status != GroupBuyStatus.OPEN:
            raise ApplicationError("group_buy_closed", _("This group-buy has ended and can no longer change."),
                                   status=409)
        if locked.participant_count and (product.pk != locked.product_id or tiers_json != locked.tiers):
            raise ApplicationError("invalid", _("People have joined: the product and the tiers are fixed now."),
                                   fields={"tiers": [_("People have joined: the product and the tiers are fixed now.")]},
                                   status=409)
        locked.product, locked.title, locked.tiers, locked.deadline = product, title, tiers_json, deadline
        locked.currency = product.currency
        locked.save(update_fields=["product", "title", "tiers", "deadline", "currency", "updated_at"])
        card_refresh_on_commit(brand_id=brand.pk, conversation_ids=_posted_conversations(locked),
                               kind=MessageKind.GROUP_BUY, ref=locked.pk)
    return locked


# --- posting the card -----------------------------------------------------------------------------------


def _posted_conversations(group_buy: GroupBuy, *, kind: str | None = None) -> list[int]:
    posts = GroupBuyPost.objects.filter(brand_id=group_buy.brand_id, group_buy=group_buy)
    if kind is not None:
        posts = posts.filter(conversation__kind=kind)
    return list(posts.order_by("conversation_id").values_list("conversation_id", flat=True))


def group_buy_posts_record(*, actor: SystemActor, brand_id: int, posts: list[tuple[int, int]]) -> None:
    """Remember where group-buy cards went ([(group-buy id, conversation id), ...]), so joins refresh the card
    there and tier unlocks are announced. chats calls it (the card kind's `on_post` hook, see cards.py) in the
    transaction that writes the cards: a rep's post, a campaign's chunk. One read of the brand's group-buys,
    one INSERT ... ON CONFLICT DO NOTHING; safe to repeat."""
    authorize(actor, None, brand_id, what="brand")
    ours = set(GroupBuy.objects.filter(brand_id=brand_id, pk__in={ref for ref, _cid in posts})
               .values_list("pk", flat=True))
    GroupBuyPost.objects.bulk_create([GroupBuyPost(brand_id=brand_id, group_buy_id=ref, conversation_id=cid)
                                      for ref, cid in set(posts) if ref in ours], ignore_conflicts=True)


def group_buy_post_to_group(*, actor: Membership, group_buy: GroupBuy, group: VipGroup) -> Message:
    """Post the group-buy's card in a VIP group, as the staff member."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, group_buy, what="group-buy")
    authorize(actor, Perm.MANAGE_CAMPAIGNS, group, what="group")
    if group_buy.status != GroupBuyStatus.OPEN:
        raise ApplicationError("group_buy_closed", _("This group-buy has ended."), status=409)
    conversation = conversation_for_group(group=group)
    # message_send records the post through the card kind's on_post hook (group_buy_posts_record).
    return message_send(conversation=conversation, sender=Sender.of_staff(actor), body="",
                        kind=MessageKind.GROUP_BUY, payload={"title": group_buy.title, "ref": group_buy.pk})


# --- joining --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinResult:
    participant: GroupBuyParticipant
    created: bool


def _closed() -> ApplicationError:
    return ApplicationError("group_buy_closed", _("This group-buy has ended."), status=409)


def _notice_sender(brand: Brand) -> Sender:
    persona = persona_get(brand=brand)
    return Sender.of_persona(persona) if persona is not None else Sender.system()


def group_buy_join(*, actor: CustomerActor, group_buy_id: int, referral_code: str = "",
                   new_customer: bool = False) -> JoinResult:
    """The customer joins (once: joining again answers their place). A referral code of another participant
    of the same group-buy makes them that participant's referral."""
    if not isinstance(actor, CustomerActor):
        authorize(actor, Perm.CHAT, None)
        raise ApplicationError.forbidden(_("Only customers join group-buys."))
    group_buy = GroupBuy.objects.select_related("brand", "product").filter(
        brand_id=actor.brand_id, pk=group_buy_id).first()
    if group_buy is None:
        raise ApplicationError.not_found("group-buy")
    authorize(actor, Perm.CHAT, group_buy, what="group-buy")
    customer = actor.customer
    existing = GroupBuyParticipant.objects.filter(group_buy=group_buy, customer=customer).first()
    if existing is not None:
        return JoinResult(existing, False)
    now = timezone.now()
    if group_buy.status != GroupBuyStatus.OPEN or group_buy.deadline <= now:
        raise _closed()
    referrer = None
    if referral_code:
        referrer = (GroupBuyParticipant.objects.filter(group_buy=group_buy, referral_code=referral_code)
                    .exclude(customer=customer).first())
    with transaction.atomic():
        try:
            with transaction.atomic():
                participant = GroupBuyParticipant.objects.create(
                    brand_id=group_buy.brand_id, group_buy=group_buy, customer=customer,
                    referral_code=referral_code_generate(), referred_by=referrer, new_customer=new_customer)
        except IntegrityError:  # the same customer, joining from two screens at once: the first one stands
            return JoinResult(GroupBuyParticipant.objects.get(group_buy=group_buy, customer=customer), False)
        taken = GroupBuy.objects.filter(pk=group_buy.pk, status=GroupBuyStatus.OPEN, deadline__gt=now).update(
            participant_count=F("participant_count") + 1)
        if not taken:
            raise _closed()
        # Our UPDATE holds the row until commit, so this is our own count: no other join has the same.
        count = GroupBuy.objects.filter(pk=group_buy.pk).values_list("participant_count", flat=True).get()
        group_buy.participant_count = count
        event_record(brand=group_buy.brand, type="group_buy.joined", payload={
            "group_buy_id": group_buy.pk, "customer_id": customer.pk, "participant_id": participant.pk,
            "participant_count": count, "referred_by": referrer.customer_id if referrer else None,
            "new_customer": new_customer})
        tiers = tiers_of(group_buy.tiers)
        for index, tier in enumerate(tiers):
            if tier.min == count:
                _announce_tier(group_buy, index, tier)
        card_refresh_on_commit(brand_id=group_buy.brand_id, conversation_ids=_posted_conversations(group_buy),
                               kind=MessageKind.GROUP_BUY, ref=group_buy.pk)
    return JoinResult(participant, True)


def _announce_tier(group_buy: GroupBuy, index: int, tier: Tier) -> None:
    """Tell the groups the card is in that a tier unlocked (called once per tier: by the join that reached it)."""
    brand = group_buy.brand
    price = money(tier.price, group_buy.currency)
    body = ngettext("Tier unlocked for \"%(title)s\": %(price)s with %(n)d person.",
                    "Tier unlocked for \"%(title)s\": %(price)s with %(n)d people.",
                    tier.min) % {"title": group_buy.title, "price": price, "n": tier.min}
    event_record(brand=brand, type="group_buy.tier_unlocked", payload={
        "group_buy_id": group_buy.pk, "tier": index + 1, "min": tier.min, "price": str(tier.price),
        "currency": group_buy.currency})
    groups = _posted_conversations(group_buy, kind=ConversationKind.GROUP)
    if not groups:
        return
    sender = _notice_sender(brand)
    messages_send_bulk(brand=brand, actor=SystemActor.for_brand(brand, "groupbuys:tier"), messages=[
        BulkMessage(conversation_id=cid, sender=sender, body=body,
                    client_msg_id=f"groupbuy:{group_buy.pk}:tier:{index + 1}") for cid in groups],
        event_payload={"source": "group_buy", "group_buy_id": group_buy.pk})


# --- arriving by a referral link -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewcomerJoin:
    customer: Customer
    participant: GroupBuyParticipant
    device: DeviceSession | None  # a new login for this browser (someone who was not signed in)
    secret: str


def group_buy_join_by_referral(*, referrer: GroupBuyParticipant, name: str, consent_chat: bool,
                               consent_promotions: bool, user: User | None = None,
                               user_agent: str = "") -> NewcomerJoin:
    """Someone who is not yet a customer of the brand arrives by a participant's link, gives their name and
    consent, and joins: their customer record (for a signed-in login, found or created; otherwise a new login
    and a device session for this browser) in the referrer's store and with the referrer's rep, and their
    place in the group-buy, referred by the link's owner. All or nothing: a deal that ended meanwhile leaves
    no customer behind."""
    brand = referrer.brand
    rep = referrer.customer.assigned_rep if referrer.customer.assigned_rep_id else None
    common = {"brand": brand, "name": name, "source": CustomerSource.REFERRAL, "source_ref": referrer.referral_code,
              "home_store": referrer.customer.home_store, "consent_chat": consent_chat,
              "consent_promotions": consent_promotions}
    device, secret = None, ""
    with transaction.atomic():
        if user is not None:
            customer = customer_join_as_user(user=user, **common)
        else:
            customer = customer_create(actor=SystemActor.for_brand(brand, "groupbuys:referral"),
                                       user=device_user_create(name=name), consent_source="join_form",
                                       assigned_rep=rep if rep is not None and rep.is_active else None, **common)
            device, secret = device_session_start(customer=customer, user=customer.user,
                                                  actor=CustomerActor(customer=customer), user_agent=user_agent)
        is_new = customer.source == CustomerSource.REFERRAL and customer.source_ref == referrer.referral_code
        result = group_buy_join(actor=CustomerActor(customer), group_buy_id=referrer.group_buy_id,
                                referral_code=referrer.referral_code, new_customer=is_new)
    return NewcomerJoin(customer=customer, participant=result.participant, device=device, secret=secret)


# --- the deadline ---------------------------------------------------------------------------------------


def groupbuys_dispatch(*, now: datetime | None = None, limit: int = 100) -> int:
    """Settle the open group-buys whose deadline has passed; answers how many were settled. Each is claimed
    with FOR UPDATE SKIP LOCKED (a concurrent dispatcher takes others) and settled in its own transaction."""
    now = now or timezone.now()
    settled = 0
    for _round in range(limit):
        with transaction.atomic():
            group_buy = (GroupBuy.objects.select_for_update(skip_locked=True, of=("self",))
                         .select_related("brand", "product")
                         .filter(status=GroupBuyStatus.OPEN, deadline__lte=now).order_by("deadline", "id").first())
            if group_buy is None:
                break
            group_buy_settle(group_buy=group_buy, actor=SystemActor.for_brand(group_buy.brand, "dispatch:groupbuys"),
                             now=now)
        settled += 1
    return settled


def group_buy_settle(*, group_buy: GroupBuy, actor: SystemActor, now: datetime) -> bool:
    """Settle one group-buy (its row locked by the caller): succeeded with the tier its count reached, every
    participant issued that tier's coupon code and told in their 1:1 chat, or failed and told so. Answers
    False when it was already settled."""
    authorize(actor, None, group_buy, what="group-buy")
    if not isinstance(actor, SystemActor):
        raise ApplicationError.forbidden(_("Only the dispatcher settles group-buys."))
    brand = group_buy.brand
    tiers = tiers_of(group_buy.tiers)
    reached = tier_reached(tiers, group_buy.participant_count)
    status = GroupBuyStatus.SUCCEEDED if reached else GroupBuyStatus.FAILED
    with transaction.atomic():
        if not GroupBuy.objects.filter(pk=group_buy.pk, status=GroupBuyStatus.OPEN).update(
                status=status, settled_at=now, settled_tier=reached):
            return False
        group_buy.status, group_buy.settled_at, group_buy.settled_tier = status, now, reached
        customer_ids = list(GroupBuyParticipant.objects.filter(group_buy=group_buy).order_by("id")
                            .values_list("customer_id", flat=True))
        codes: dict[int, str] = {}
        tier = tiers[reached - 1] if reached else None
        if tier is not None:
            coupon = Coupon.objects.create(
                brand=brand, title=(_("Group-buy: %(title)s at %(price)s") % {
                    "title": group_buy.title, "price": money(tier.price, group_buy.currency)})[:120],
                personal_codes=True, code="", kind=CouponKind.AMOUNT,
                value=max(group_buy.product.price - tier.price, Decimal("0")), currency=group_buy.currency,
                valid_from=now, valid_until=now + timedelta(days=CODE_VALID_DAYS), per_customer_limit=1,
                product=group_buy.product)
            GroupBuy.objects.filter(pk=group_buy.pk).update(coupon=coupon)
            group_buy.coupon = coupon
            codes = coupon_claims_issue(actor=actor, coupon=coupon, customer_ids=customer_ids)
            code_of = CouponClaim.objects.filter(coupon=coupon, customer_id=OuterRef("customer_id")).values("code")[:1]
            GroupBuyParticipant.objects.filter(group_buy=group_buy).update(issued_code=Subquery(code_of))
        _tell_participants(group_buy, tier, customer_ids, codes, now)
        event_record(brand=brand, type="group_buy.settled", payload={
            "group_buy_id": group_buy.pk, "status": status, "participant_count": group_buy.participant_count,
            "tier": reached, "price": str(tier.price) if tier else None, "currency": group_buy.currency,
            "coupon_id": group_buy.coupon_id})
        card_refresh_on_commit(brand_id=brand.pk, conversation_ids=_posted_conversations(group_buy),
                               kind=MessageKind.GROUP_BUY, ref=group_buy.pk)
    return True


def _tell_participants(group_buy: GroupBuy, tier: Tier | None, customer_ids: list[int],
                       codes: dict[int, str], now: datetime) -> None:
    """One 1:1 message per participant, by the chunk (one messages_send_bulk per 1,000)."""
    brand = group_buy.brand
    sender = _notice_sender(brand)
    actor = SystemActor.for_brand(brand, "groupbuys:settle")
    valid_until = date_format(timezone.localtime(now + timedelta(days=CODE_VALID_DAYS), brand.tzinfo),
                              "Y-m-d")
    if tier is not None:
        template = _("\"%(title)s\" reached %(price)s with %(n)s people. Your code: %(code)s (valid until %(until)s).")
    else:
        template = _("\"%(title)s\" did not reach its first tier by the deadline, so it did not go ahead. "
                     "Thank you for joining.")
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start:start + CHUNK]
        conversations = conversations_for_customers(brand=brand, customer_ids=chunk)
        messages = []
        for cid in chunk:
            body = template % {"title": group_buy.title, "n": group_buy.participant_count, "until": valid_until,
                               "price": money(tier.price, group_buy.currency) if tier else "",
                               "code": codes.get(cid, "")}
            messages.append(BulkMessage(conversation_id=conversations[cid], sender=sender, body=body,
                                        client_msg_id=f"groupbuy:{group_buy.pk}:settled"))
        messages_send_bulk(brand=brand, actor=actor, messages=messages,
                           event_payload={"source": "group_buy", "group_buy_id": group_buy.pk})
