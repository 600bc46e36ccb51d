"""The one write path for messages, used by pages, the API, sockets, tasks and bots alike.

A message is committed with its per-conversation seq before anyone hears of it;
a `message.created` outbox event is written in the same transaction, and the
live broadcast (added with the socket) goes out on commit.
"""

import re
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import GroupMember, VipGroup
from crm.consent.services import is_stop_command, opt_out_url, promotion_contact_claim, promotions_opt_out
from crm.customers.lifecycle import customer_mark_active
from crm.models import ContactLane, Customer, Product, Survey, SurveyStatus
from privtraffic.accounts.models import User
from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, CustomerActor, SystemActor, actor_has, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Membership
from privtraffic.tenancy.roles import Perm, Role

from . import selectors
from .cards.registry import card_posts_record, card_ref_belongs
from .models import (
    MAX_BODY_LENGTH,
    BrandPersona,
    Conversation,
    ConversationKind,
    ConversationStatus,
    GroupRule,
    Message,
    MessageKind,
    ReadState,
    SenderType,
)
from .moderation.services import rule_broken, rule_enforce
from .realtime import broadcast_many_on_commit, conversation_broadcast_on_commit
from .serialization import message_frame_event


@dataclass(frozen=True)
class Sender:
    """Who is posting: a customer, a staff member, or the platform itself (bot/system).

    A Sender is an identity, not a claim: a customer sender carries the crm.Customer and a staff sender the
    Membership, and message_send authorizes that identity (as a CustomerActor or the membership) on the
    conversation. Only the brand's own code (subscribers, the API as the brand, campaigns) posts as a bot or
    the system.
    """

    type: str
    name: str
    key: str
    customer: Customer | None = None
    membership: Membership | None = None
    persona: BrandPersona | None = None

    @classmethod
    def of_customer(cls, customer: Customer) -> "Sender":
        return cls(SenderType.CUSTOMER, customer.name, f"customer:{customer.pk}", customer=customer)

    @classmethod
    def of_staff(cls, membership: Membership) -> "Sender":
        kind = SenderType.REP if membership.role == Role.REP else SenderType.STAFF
        return cls(kind, membership.user.display_name, f"user:{membership.user_id}", membership=membership)

    @classmethod
    def system(cls) -> "Sender":
        return cls(SenderType.SYSTEM, "System", "system")

    @classmethod
    def bot(cls, name: str, key: str) -> "Sender":
        """A bot speaks under a display name, but its client_msg_ids are scoped by a stable key."""
        return cls(SenderType.BOT, name, f"bot:{key}")

    @classmethod
    def of_persona(cls, persona: BrandPersona, membership: Membership | None = None) -> "Sender":
        """The brand persona speaking: for a staff member replying as it (who stays on record as the sender,
        and keeps their own client_msg_id scope and read state), or for the brand itself (campaigns)."""
        if membership is not None:
            return replace(cls.of_staff(membership), name=persona.name, persona=persona)
        return cls(SenderType.BOT, persona.name, f"persona:{persona.pk}", persona=persona)

    @property
    def user(self) -> User | None:
        return self.membership.user if self.membership else None

    def actor_in(self, brand_id: int) -> Actor:
        """The actor this sender posts as in a brand: the customer, the staff member, or the brand's system."""
        if self.customer is not None:
            return CustomerActor(self.customer)
        if self.membership is not None:
            return self.membership
        return SystemActor.for_brand(brand_id, f"chats.message_send: {self.key}")


def conversation_for_group(*, group: VipGroup) -> Conversation:
    conversation, _created = Conversation.objects.get_or_create(
        group=group, defaults={"brand_id": group.brand_id, "kind": ConversationKind.GROUP}
    )
    return conversation


def conversation_for_customer(*, customer: Customer) -> Conversation:
    conversation, _created = Conversation.objects.get_or_create(
        customer=customer, defaults={"brand_id": customer.brand_id, "kind": ConversationKind.DIRECT}
    )
    return conversation


def _check_may_post(conversation: Conversation, sender: Sender) -> None:
    if conversation.kind == ConversationKind.GROUP and conversation.group.archived:
        raise ApplicationError("conversation_closed", _("This group is archived."), status=409)
    if sender.type in (SenderType.SYSTEM, SenderType.BOT):
        return
    if sender.customer is None and sender.membership is None:
        raise ApplicationError.not_found("conversation")  # a person with no identity posts nowhere
    if sender.membership is not None and not sender.membership.is_active:
        raise ApplicationError.not_found("conversation")  # a former team member sees nothing
    actor = authorize(sender.actor_in(conversation.brand_id), None, conversation, what="conversation")
    if isinstance(actor, CustomerActor):
        _check_customer_may_post(conversation, actor.customer)
        return
    if not actor_has(actor, Perm.CHAT):
        raise ApplicationError.forbidden(_("Your role does not allow chatting."))
    if not selectors.conversation_visible_to(actor=actor, conversation_id=conversation.pk):
        raise ApplicationError.not_found("conversation")


def check_may_post(conversation: Conversation, sender: Sender) -> None:
    """Refuse (404, 403, 409) a sender who may not post in this conversation now; for writers that store
    something (an upload) before they send."""
    _check_may_post(conversation, sender)


def _check_customer_may_post(conversation: Conversation, customer: Customer) -> None:
    if conversation.kind == ConversationKind.DIRECT:
        if conversation.customer_id != customer.pk:
            raise ApplicationError.not_found("conversation")
        return
    member = GroupMember.objects.filter(group_id=conversation.group_id, customer=customer).first()
    if member is None or member.left_at is not None:
        raise ApplicationError.not_found("conversation")
    if member.is_muted():
        raise ApplicationError("muted", _("You are muted in this group for now."), status=403)
    if conversation.group.announce_only:
        raise ApplicationError("announce_only", _("Only the brand's staff post in this group."), status=403)


_HTTP_URL = re.compile(r"^https?://[^\s<>\"']+$")
# An uploaded attachment, served by chats.attachments to those who see the conversation.
_OWN_FILE = re.compile(r"^/chat/files/\d+/$")
_OWN_THUMB = re.compile(r"^/chat/files/\d+/\?thumb=1$")


def _image_url(value: str) -> bool:
    return bool(_HTTP_URL.match(value) or _OWN_FILE.match(value))
_MONEY = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
# What each card kind must carry: field -> (required, check, message).
PAYLOAD_SHAPES: dict[str, dict[str, tuple[bool, Any, str]]] = {
    MessageKind.IMAGE: {"url": (True, _image_url, "an http(s) URL"),
                        "thumb_url": (False, _OWN_THUMB.match, "an attachment's thumbnail")},
    MessageKind.FILE: {"url": (True, _OWN_FILE.match, "an uploaded file"),
                       "name": (True, lambda v: 0 < len(v) <= 100, "1-100 characters")},
    # A product card may also carry "product_id" (a positive int, a product of the brand's catalogue): checked in
    # _validate_payload and _check_product. The other fields are a copy of the product when it was sent.
    MessageKind.PRODUCT: {
        "name": (True, lambda v: 0 < len(v) <= 120, "1-120 characters"),
        "price": (True, _MONEY.match, "a price like 199.00"),
        "currency": (True, re.compile(r"^[A-Z]{3}$").match, "a 3-letter currency code"),
        "url": (False, _HTTP_URL.match, "an http(s) URL"),
        "image_url": (False, _HTTP_URL.match, "an http(s) URL"),
    },
    MessageKind.COUPON: {
        "code": (True, re.compile(r"^[A-Za-z0-9_-]{3,40}$").match, "3-40 letters, digits, - or _"),
        "title": (True, lambda v: 0 < len(v) <= 120, "1-120 characters"),
    },
    MessageKind.ORDER: {
        "external_id": (True, lambda v: 0 < len(v) <= 64, "1-64 characters"),
        "status": (True, lambda v: v in {"placed", "paid", "shipped", "delivered", "cancelled", "refunded"},
                   "an order status"),
        "total": (True, lambda v: bool(_ORDER_MONEY.match(v)), "an amount like 398.00"),
        "currency": (True, re.compile(r"^[A-Z]{3}$").match, "a 3-letter currency code"),
        "tracking_number": (False, lambda v: len(v) <= 64, "at most 64 characters"),
        "carrier": (False, lambda v: len(v) <= 64, "at most 64 characters"),
    },
}
MAX_ORDER_ITEMS = 200
_ORDER_MONEY = re.compile(r"^\d{1,10}(\.\d{1,2})?$")  # an order's amounts: up to 9,999,999,999.99


def _order_items_errors(items: Any) -> dict[str, list[str]]:
    """An order card's items: [{sku, name, quantity, price}], as crm's orders hold them."""
    if items is None:
        return {}
    if not isinstance(items, list) or len(items) > MAX_ORDER_ITEMS:
        return {"payload.items": [_("Must be a list of at most %(max)s items.") % {"max": MAX_ORDER_ITEMS}]}
    errors = {}
    for number, item in enumerate(items):
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if not (isinstance(item, dict) and isinstance(item.get("sku"), str) and 0 < len(item["sku"]) <= 64
                and isinstance(item.get("name"), str) and 0 < len(item["name"]) <= 200
                and isinstance(quantity, int) and not isinstance(quantity, bool) and 1 <= quantity <= 10000
                and isinstance(item.get("price"), str) and _ORDER_MONEY.match(item["price"])):
            errors[f"payload.items.{number}"] = [_("Must be {sku, name, quantity (1-10000), price like 199.00}.")]
    return errors


_SURVEY_PATH = re.compile(r"^/s/(\d+)/$")
# survey_id is a number, so it is checked apart from the text fields (see _validate_payload).
PAYLOAD_SHAPES[MessageKind.SURVEY] = {
    "title": (True, lambda v: 0 < len(v) <= 120, "1-120 characters"),
    "url": (True, _SURVEY_PATH.match, "the survey's page, /s/<id>/"),
}


# Interactive cards (chats/cards/): the payload names the object by `ref`; what each viewer sees on it comes
# from the app that owns it, so only a title is carried besides.
INTERACTIVE_KINDS = {MessageKind.COUPON, MessageKind.GROUP_BUY, MessageKind.EVENT}
_TITLE = (True, lambda v: 0 < len(v) <= 120, "1-120 characters")


def _is_db_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2 ** 63


def _validate_payload(kind: str, payload: dict[str, Any]) -> None:
    errors = {}
    shapes = PAYLOAD_SHAPES.get(kind, {})
    if kind in INTERACTIVE_KINDS and ("ref" in payload or kind != MessageKind.COUPON):
        shapes = {"title": _TITLE}
        if not _is_db_id(payload.get("ref")):
            errors["payload.ref"] = [_("Must be the id of the card's object.")]
    if kind == MessageKind.PRODUCT and "product_id" in payload and not _is_db_id(payload["product_id"]):
        errors["payload.product_id"] = [_("Must be the id of a product of the catalogue.")]
    if kind == MessageKind.SURVEY:
        survey_id = payload.get("survey_id")
        if not isinstance(survey_id, int) or isinstance(survey_id, bool) or survey_id < 1:
            errors["payload.survey_id"] = [_("Must be a survey id.")]
        elif (match := _SURVEY_PATH.match(str(payload.get("url", "")))) and int(match.group(1)) != survey_id:
            errors["payload.url"] = [_("Must be the page of this survey.")]
    if kind == MessageKind.ORDER:
        errors.update(_order_items_errors(payload.get("items")))
    for name, (required, check, expected) in shapes.items():
        value = payload.get(name)
        if value is None or value == "":
            if required:
                errors[f"payload.{name}"] = [_("This field is required.")]
            continue
        if not isinstance(value, str) or not check(value):
            errors[f"payload.{name}"] = [_("Must be %(expected)s.") % {"expected": expected}]
    if errors:
        raise ApplicationError("invalid", _("The card is missing details."), fields=errors)


def _validate(kind: str, body: str, payload: dict[str, Any]) -> str:
    if kind not in MessageKind.values:
        raise ApplicationError("invalid", _("Unknown message kind."), fields={"kind": [_("Unknown kind.")]})
    body = (body or "").strip()
    if kind == MessageKind.TEXT and not body:
        raise ApplicationError("invalid", _("Type a message first."), fields={"body": [_("The message is empty.")]})
    if len(body) > MAX_BODY_LENGTH:
        raise ApplicationError("invalid", _("Messages are at most 4,000 characters."),
                               fields={"body": [_("At most 4,000 characters.")]})
    if not isinstance(payload, dict):
        raise ApplicationError("invalid", _("The payload must be an object."), fields={"payload": [_("Not an object.")]})
    _validate_payload(kind, payload)
    return body


def message_content_check(*, brand_id: int, kind: str, body: str, payload: dict[str, Any]) -> str:
    """Check a message's text and card before it is sent later (a campaign being saved): the same rules as
    `message_send`, plus a survey card's survey being an active one of the brand. Returns the clean body."""
    body = _validate(kind, body, payload)
    if kind == MessageKind.SURVEY:
        _check_survey(brand_id, payload)
    _check_card_ref(brand_id, kind, payload)
    _check_product(brand_id, kind, payload)
    return body


def _check_card_ref(brand_id: int, kind: str, payload: dict[str, Any]) -> None:
    """An interactive card names an object of the conversation's brand (another brand's or a missing one: 404)."""
    if kind in INTERACTIVE_KINDS and "ref" in payload and not card_ref_belongs(
            kind=kind, ref=payload["ref"], brand_id=brand_id):
        raise ApplicationError.not_found(str(MessageKind(kind).label).lower())


def _check_product(brand_id: int, kind: str, payload: dict[str, Any]) -> None:
    """A product card's optional `product_id` names a product of the brand's catalogue (else 404)."""
    if kind == MessageKind.PRODUCT and "product_id" in payload and not Product.objects.filter(
            brand_id=brand_id, pk=payload["product_id"]).exists():
        raise ApplicationError.not_found("product")


def _check_survey_card(conversation: Conversation, payload: dict[str, Any]) -> None:
    _check_survey(conversation.brand_id, payload)


def _check_survey(brand_id: int, payload: dict[str, Any]) -> None:
    """A survey card points at an active survey of the brand (another brand's id: 404)."""
    survey = Survey.objects.filter(brand_id=brand_id, pk=payload["survey_id"]).first()
    if survey is None:
        raise ApplicationError.not_found("survey")
    if survey.status != SurveyStatus.ACTIVE:
        raise ApplicationError("survey_closed", _("Only an active survey can be sent."), status=409,
                               fields={"payload.survey_id": [_("This survey is not active.")]})


def survey_card_payload(*, survey: Survey) -> dict[str, Any]:
    """What a survey card carries: the id, the title and the customer's page of the survey."""
    from django.urls import reverse

    return {"survey_id": survey.pk, "title": survey.title[:120],
            "url": reverse("crm_surveys:take", kwargs={"survey_id": survey.pk})}


def message_find_retry(*, conversation: Conversation, sender: Sender, client_msg_id: str) -> Message | None:
    """The message this sender already stored under client_msg_id, if any (only ever their own)."""
    return Message.objects.filter(conversation=conversation, sender_key=sender.key,
                                  client_msg_id=client_msg_id).first()


def message_send(
    *, conversation: Conversation, sender: Sender, body: str, kind: str = MessageKind.TEXT,
    payload: dict[str, Any] | None = None, client_msg_id: str = "", promotion_lane: str = "",
) -> Message:
    """Persist a message with the next seq. A repeated client_msg_id returns the first message.

    A product or coupon card that the brand (staff, bots, integrators) sends into a 1:1 conversation is a
    promotion, whichever path sends it: it takes a slot of the customer's weekly budget (or is refused with
    the reason: consent, quiet hours, budget) and carries their opt-out link. `promotion_lane` names the lane
    (campaigns pass theirs); by default it follows the sender.
    """
    payload = dict(payload or {})
    payload.pop("opt_out_url", None)  # only _promotion_claim sets it: a caller's value could be any link
    payload.pop("click_url", None)  # only a campaign's fan-out sets it (a signed /c/<token>/ of this site)
    client_msg_id = (client_msg_id or "").strip()
    if len(client_msg_id) > 64:
        raise ApplicationError("invalid", _("client_msg_id is at most 64 characters."),
                               fields={"client_msg_id": [_("Too long.")]})
    try:
        message, broken = _message_store(conversation=conversation, sender=sender, body=body, kind=kind,
                                         payload=payload, client_msg_id=client_msg_id, promotion_lane=promotion_lane)
    except (ApplicationError, IntegrityError):
        # A retry (the same client_msg_id from the same sender) returns the stored message, even if the sender
        # was muted or the group closed since, or the first send raced in (the unique index refused this one).
        # Looked up only when a send fails: a first send pays no extra query.
        first = client_msg_id and message_find_retry(conversation=conversation, sender=sender,
                                                     client_msg_id=client_msg_id)
        if first:
            return first
        raise
    conversation.last_seq = message.seq
    conversation.last_message_at = message.created_at
    if sender.customer is not None:
        customer_mark_active(customer=sender.customer, at=message.created_at)
        if conversation.kind == ConversationKind.DIRECT and not broken:
            _consent_command(conversation, sender.customer, body)
    return message


def message_send_many(*, conversation: Conversation, sender: Sender,
                      texts: list[tuple[str, str]]) -> list[Message | ApplicationError]:
    """Text messages of one sender into one conversation, in order: (body, client_msg_id) each; for each, the
    message (a retried client_msg_id: the stored one) or the refusal, as `message_send` one after another
    would give, but in a constant number of statements (one seq update for all, one INSERT of the messages,
    one of their outbox events, one read-state upsert, one publish after commit). A socket's burst of sends.

    Where that shortcut does not apply (the sender may not post now, a group with moderation rules, a STOP in a
    1:1 chat, a client_msg_id taken meanwhile), each text goes through `message_send` instead.
    """
    results: list[Message | ApplicationError | None] = [None] * len(texts)
    fresh: list[tuple[int, str, str]] = []  # (position, clean body, clean client_msg_id)
    for position, (body, client_msg_id) in enumerate(texts):
        client_msg_id = (client_msg_id or "").strip()
        try:
            if len(client_msg_id) > 64:
                raise ApplicationError("invalid", _("client_msg_id is at most 64 characters."),
                                       fields={"client_msg_id": [_("Too long.")]})
            fresh.append((position, _validate(MessageKind.TEXT, body, {}), client_msg_id))
        except ApplicationError as exc:
            results[position] = exc
    one_by_one = False
    try:
        _check_may_post(conversation, sender)
    except ApplicationError:
        one_by_one = True  # a retry still gets its stored message: message_send decides per text
    customer = sender.customer
    if customer is not None and not one_by_one:
        if conversation.kind == ConversationKind.GROUP:
            one_by_one = GroupRule.objects.filter(group_id=conversation.group_id).exists()
        else:
            one_by_one = any(is_stop_command(body) for _p, body, _c in fresh)
    stored = {}
    ids = [c for _p, _b, c in fresh if c]
    if ids and not one_by_one:
        stored = {m.client_msg_id: m for m in Message.objects.filter(
            conversation=conversation, sender_key=sender.key, client_msg_id__in=ids)}
    new: list[tuple[int, str, str]] = []
    firsts: dict[str, int] = {}  # client_msg_id -> position of its first text in this call
    for position, body, client_msg_id in fresh:
        if client_msg_id in stored:
            results[position] = stored[client_msg_id]
        elif client_msg_id and client_msg_id in firsts:
            continue  # the same id twice in one call: the second gets the first's message (below)
        else:
            if client_msg_id:
                firsts[client_msg_id] = position
            new.append((position, body, client_msg_id))
    if new and not one_by_one:
        try:
            for position, message in zip([p for p, _b, _c in new], _messages_store_texts(conversation, sender, new),
                                         strict=True):
                results[position] = message
        except IntegrityError:
            one_by_one = True  # a client_msg_id stored meanwhile by another socket of the sender
    if one_by_one:
        for position, body, client_msg_id in fresh:
            try:
                results[position] = message_send(conversation=conversation, sender=sender, body=body,
                                                 client_msg_id=client_msg_id)
            except ApplicationError as exc:
                results[position] = exc
        return results
    for position, _body, client_msg_id in fresh:
        if results[position] is None:
            results[position] = results[firsts[client_msg_id]]
    if new and customer is not None:
        customer_mark_active(customer=customer, at=conversation.last_message_at)
    return results


def _messages_store_texts(conversation: Conversation, sender: Sender,
                          texts: list[tuple[int, str, str]]) -> list[Message]:
    """Write checked texts of one sender with consecutive seqs: one seq update (its row lock orders concurrent
    senders until commit), one INSERT of the messages, one of their events, one read-state upsert."""
    from privtraffic.events.services import event_record_many

    with transaction.atomic():
        now = timezone.now()
        last = _next_seq(conversation, now, reopen=sender.customer is not None, count=len(texts))
        first = last - len(texts) + 1
        messages = Message.objects.bulk_create([Message(
            brand_id=conversation.brand_id, conversation=conversation, seq=first + offset, sender_type=sender.type,
            sender_user=sender.user, sender_customer=sender.customer, sender_name=sender.name[:150],
            sender_key=sender.key, kind=MessageKind.TEXT, body=body, payload={}, client_msg_id=client_msg_id,
            persona=sender.persona) for offset, (_position, body, client_msg_id) in enumerate(texts)])
        event_record_many(brand=conversation.brand, events=[("message.created", {
            "message_id": m.pk, "conversation_id": conversation.pk, "seq": m.seq, "sender_type": m.sender_type,
            "kind": m.kind}) for m in messages])
        if sender.type not in (SenderType.BOT, SenderType.SYSTEM):
            _read_to_newest(conversation, sender.key, last)
        broadcast_many_on_commit([(conversation.pk, message_frame_event(m, conversation.brand_id)) for m in messages],
                                 brand_id=conversation.brand_id)
    conversation.last_seq = last
    conversation.last_message_at = messages[-1].created_at
    return messages


def _message_store(*, conversation: Conversation, sender: Sender, body: str, kind: str, payload: dict[str, Any],
                   client_msg_id: str, promotion_lane: str) -> tuple[Message, str | None]:
    """Check and write one message: the seq, the row, its outbox event and the sender's read state.

    The round trips in the transaction: one UPDATE ... RETURNING takes the next seq (its row lock orders
    concurrent senders until commit), one INSERT of the message, one of the event, one upsert of the read state.
    """
    _check_may_post(conversation, sender)
    body = _validate(kind, body, payload)
    promotion_lane = promotion_lane or _default_promotion_lane(conversation, sender, kind)
    if kind == MessageKind.SURVEY:
        _check_survey_card(conversation, payload)
    _check_card_ref(conversation.brand_id, kind, payload)
    _check_product(conversation.brand_id, kind, payload)
    broken = None
    if sender.customer is not None:
        broken = rule_broken(conversation=conversation, customer=sender.customer, kind=kind, body=body)
    with transaction.atomic():
        now = timezone.now()
        seq = _next_seq(conversation, now, reopen=sender.customer is not None)
        if promotion_lane:
            _promotion_claim(conversation, promotion_lane, client_msg_id, payload)
        message = Message.objects.create(
            brand_id=conversation.brand_id, conversation=conversation, seq=seq, sender_type=sender.type,
            sender_user=sender.user, sender_customer=sender.customer, sender_name=sender.name[:150],
            sender_key=sender.key, kind=kind, body=body, payload=payload, client_msg_id=client_msg_id,
            deleted_at=now if broken else None, hidden_reason=broken or "", persona=sender.persona,
        )
        if broken:
            rule_enforce(message=message, rule_name=broken)
        elif kind in INTERACTIVE_KINDS:
            card_posts_record(brand_id=conversation.brand_id, kind=kind, posts=[(payload.get("ref"), conversation.pk)])
        event_record(brand_id=conversation.brand_id, type="message.created", payload={
            "message_id": message.pk, "conversation_id": conversation.pk, "seq": message.seq,
            "sender_type": message.sender_type, "kind": message.kind,
        })
        # A person has read up to their own message; bots and the system read nothing.
        if sender.type not in (SenderType.BOT, SenderType.SYSTEM):
            _read_to_newest(conversation, sender.key, message.seq)
        conversation_broadcast_on_commit(brand_id=conversation.brand_id, conversation_id=conversation.pk,
                                         event=message_frame_event(message, conversation.brand_id))
    return message, broken


# One statement takes the next seq (and with it the row lock that orders concurrent senders until commit).
# Identifiers are quoted as PostgreSQL and SQLite both read them; SET expressions see the row before the update.
_NEXT_SEQ_SQL = ('UPDATE "chats_conversation" SET "last_seq" = "last_seq" + %s, "last_message_at" = %s '
                 'WHERE "id" = %s RETURNING "last_seq"')
# A customer wrote: a resolved or snoozed conversation is back in the team's open list.
_NEXT_SEQ_REOPEN_SQL = ('UPDATE "chats_conversation" SET "last_seq" = "last_seq" + %s, "last_message_at" = %s, '
                        '"snoozed_until" = CASE WHEN "status" = %s THEN "snoozed_until" ELSE NULL END, '
                        '"status" = %s WHERE "id" = %s RETURNING "last_seq"')


def _next_seq(conversation: Conversation, now, *, reopen: bool, count: int = 1) -> int:
    """Take the conversation's next `count` seqs in one statement (returns the last); its row stays locked
    until the transaction ends."""
    from django.db import connection

    assert Conversation._meta.db_table == "chats_conversation"  # noqa: S101  (the statements above name it)
    with connection.cursor() as cursor:
        if reopen:
            open_ = ConversationStatus.OPEN.value
            cursor.execute(_NEXT_SEQ_REOPEN_SQL, [count, now, open_, open_, conversation.pk])
        else:
            cursor.execute(_NEXT_SEQ_SQL, [count, now, conversation.pk])
        row = cursor.fetchone()
    if row is None:
        raise ApplicationError.not_found("conversation")  # deleted since it was read
    return row[0]


def _read_to_newest(conversation: Conversation, participant_key: str, seq: int) -> None:
    """The sender has read up to the message they just sent: one upsert. Under the seq's row lock that message
    is the newest of the conversation, so no read marker can be ahead of it."""
    ReadState.objects.bulk_create(
        [ReadState(brand_id=conversation.brand_id, conversation=conversation, participant_key=participant_key,
                   last_read_seq=seq)],
        update_conflicts=True, unique_fields=["conversation", "participant_key"],
        update_fields=["last_read_seq", "updated_at"],
    )


PROMOTIONAL_KINDS = frozenset({MessageKind.PRODUCT, MessageKind.COUPON})


def _default_promotion_lane(conversation: Conversation, sender: Sender, kind: str) -> str:
    if kind not in PROMOTIONAL_KINDS or conversation.kind != ConversationKind.DIRECT or sender.customer is not None:
        return ""
    return ContactLane.REP if sender.membership is not None else ContactLane.BROADCAST


def _promotion_claim(conversation: Conversation, lane: str, client_msg_id: str, payload: dict[str, Any]) -> None:
    if conversation.kind != ConversationKind.DIRECT:
        raise ApplicationError("invalid", _("Promotions to one customer are sent in their 1:1 chat."))
    customer = conversation.customer
    promotion_contact_claim(customer=customer, lane=lane, ref=f"conversation:{conversation.pk}:{client_msg_id}")
    payload["opt_out_url"] = opt_out_url(customer)


def _consent_command(conversation: Conversation, customer: Customer, body: str) -> None:
    """STOP (and its Chinese forms) withdraws promotions consent; the brand confirms in the chat."""
    if not is_stop_command(body):
        return
    was_subscribed = customer.consent_promotions
    promotions_opt_out(customer=customer, actor=CustomerActor(customer), source="stop_command")
    reply = (_("You will no longer receive promotions from %(brand)s. Your chats with us are not affected.")
             if was_subscribed else _("You are not subscribed to promotions from %(brand)s."))
    message_send(conversation=conversation, sender=Sender.system(), kind=MessageKind.SYSTEM,
                 body=reply % {"brand": conversation.brand.name})


def _advance_read(conversation: Conversation, participant_key: str, seq: int) -> bool:
    """Move a read marker forward only; returns whether it moved."""
    state, created = ReadState.objects.get_or_create(
        conversation=conversation, participant_key=participant_key,
        defaults={"brand_id": conversation.brand_id, "last_read_seq": seq},
    )
    if created:
        return True
    return ReadState.objects.filter(pk=state.pk, last_read_seq__lt=seq).update(last_read_seq=seq) == 1


def conversation_mark_read(*, conversation: Conversation, participant_key: str, reader_name: str, seq: int) -> int:
    """Record that a participant read up to seq (clamped to the last message) and tell the others."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ApplicationError("invalid", _("seq must be a whole number."), fields={"seq": [_("Not a number.")]})
    seq = min(seq, conversation.last_seq)
    with transaction.atomic():
        moved = _advance_read(conversation, participant_key, seq)
        if moved:
            conversation_broadcast_on_commit(brand_id=conversation.brand_id, conversation_id=conversation.pk, event={
                "type": "chat.read", "conversation": conversation.pk, "seq": seq,
                "reader": {"key": participant_key, "name": reader_name},
            })
    return seq


def message_delete(*, message: Message, actor: Actor) -> Message:
    """Hide a message for everyone (moderation): staff who may chat and see the conversation, or the system."""
    authorize(actor, None, message, what="conversation")
    if isinstance(actor, CustomerActor):
        raise ApplicationError.forbidden(_("Only the brand's staff delete messages."))
    if isinstance(actor, Membership):
        _check_may_post(message.conversation, Sender.of_staff(actor))  # a staff member deletes where they may post
    if message.deleted_at is None:
        with transaction.atomic():
            message.deleted_at = timezone.now()
            message.deleted_by = actor.user if isinstance(actor, Membership) else None
            message.save(update_fields=["deleted_at", "deleted_by"])
            event_record(brand=message.conversation.brand, type="message.deleted",
                         payload={"message_id": message.pk, "conversation_id": message.conversation_id})
            conversation_broadcast_on_commit(brand_id=message.brand_id, conversation_id=message.conversation_id,
                                             event=message_frame_event(message, message.brand_id))
    return message
