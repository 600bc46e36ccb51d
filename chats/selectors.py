"""Reads for chat. Who may see a conversation is decided here, once, for pages, API and sockets."""

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from communities.groups.selectors import group_visibility
from communities.models import GroupMember
from crm.customers.selectors import customer_visibility as crm_customer_visibility
from crm.models import Customer
from privtraffic.accounts.models import User
from privtraffic.tenancy.actors import Actor, actor_rep_id, actor_store_id, check_actor
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Perm, role_has
from privtraffic.tenancy.selectors import brand_get_object

from .models import ChatToken, Conversation, ConversationKind, Message, ReadState

PAGE_SIZE = 50
# What message_to_dict reads besides the row: the persona (name, avatar) and, for staff, the real sender.
MESSAGE_RELATED = ("persona", "sender_user")
SYNC_PAGE_SIZE = 100


@dataclass
class ChatIdentity:
    """Everyone a socket or page speaks for: staff memberships and customer records of one person."""

    user: User | None = None
    memberships: list[Membership] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.memberships and not self.customers

    def participant_key_for(self, conversation: Conversation) -> str | None:
        for customer in self.customers:
            if customer.brand_id == conversation.brand_id:
                return f"customer:{customer.pk}"
        if self.user is not None and any(m.brand_id == conversation.brand_id for m in self.memberships):
            return f"user:{self.user.pk}"
        return None

    def customer_in(self, brand_id: int) -> Customer | None:
        return next((c for c in self.customers if c.brand_id == brand_id), None)

    def membership_in(self, brand_id: int) -> Membership | None:
        return next((m for m in self.memberships if m.brand_id == brand_id), None)

    @property
    def brand_wide_ids(self) -> set[int]:
        """Brands where this person sees every conversation (owners, admins, marketers: no store, no rep bound):
        their sockets take the brand's fan-out instead of joining each conversation."""
        return {m.brand_id for m in self.memberships if actor_rep_id(m) is None and actor_store_id(m) is None}


def chat_identity_for_user(*, user: User) -> ChatIdentity:
    if not user.is_authenticated:
        return ChatIdentity()
    memberships = [m for m in Membership.objects.filter(user=user, is_active=True).select_related("brand", "user")
                   if role_has(m.role, Perm.CHAT)]
    customers = list(Customer.objects.filter(user=user).select_related("brand"))
    return ChatIdentity(user=user, memberships=memberships, customers=customers)


def chat_identity_for_customer(*, customer: Customer) -> ChatIdentity:
    return ChatIdentity(customers=[customer])


def staff_visibility(actor: Actor) -> Q:
    """Which conversations staff (or an API key, or the system) see: the 1:1 chats of the customers they see
    (crm's customer_visibility) and the groups they see (communities' group_visibility). One rule per entity:
    admins, owners and marketers see the whole brand; a store manager their store; a rep their customers and
    their store's groups."""
    check_actor(actor)
    direct = Q(kind=ConversationKind.DIRECT) & crm_customer_visibility(actor, prefix="customer__")
    groups = Q(kind=ConversationKind.GROUP) & group_visibility(actor, prefix="group__")
    return Q(brand_id=actor.brand_id) & (direct | groups)


def customer_conversation_visibility(customer: Customer) -> Q:
    """A customer sees their own 1:1 chat and the groups they are in now."""
    groups = GroupMember.objects.filter(customer=customer, left_at__isnull=True).values("group_id")
    return Q(brand_id=customer.brand_id) & (Q(kind=ConversationKind.DIRECT, customer=customer)
                                            | Q(kind=ConversationKind.GROUP, group_id__in=groups))


def _visibility(identity: ChatIdentity) -> Q:
    q = Q(pk__in=[])
    for membership in identity.memberships:
        q |= staff_visibility(membership)
    for customer in identity.customers:
        q |= customer_conversation_visibility(customer)
    return q


def conversation_visible_to(*, actor: Actor, conversation_id: int) -> bool:
    """Whether a staff member (or API key, or the system) may see this conversation."""
    return Conversation.objects.filter(staff_visibility(actor), pk=conversation_id).exists()


def brand_conversation_list(*, brand: Brand, actor: Actor, group_id: int | None = None,
                            customer_id: int | None = None) -> QuerySet[Conversation]:
    """The brand's conversations the actor sees (an API key: all of them)."""
    qs = Conversation.objects.filter(brand=brand).filter(staff_visibility(actor)).select_related("group", "customer")
    if group_id is not None:
        qs = qs.filter(group_id=group_id)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs


def brand_conversation_get(*, brand: Brand, actor: Actor, conversation_id) -> Conversation:
    return brand_get_object(brand_conversation_list(brand=brand, actor=actor), brand=brand, what="conversation",
                            pk=conversation_id)


def staff_membership_reload(*, membership: Membership) -> Membership:
    """The membership as it is now: a deactivation or role change since a socket connected takes effect."""
    return Membership.objects.select_related("user", "store").get(pk=membership.pk)


def conversation_list(*, identity: ChatIdentity, brand: Brand | None = None) -> QuerySet[Conversation]:
    qs = Conversation.objects.filter(_visibility(identity))
    if brand is not None:
        qs = qs.filter(brand=brand)
    return qs.select_related("group", "customer", "customer__assigned_rep__user")


def conversation_ids_visible(*, identity: ChatIdentity) -> list[int]:
    if identity.is_empty:
        return []
    return list(Conversation.objects.filter(_visibility(identity)).values_list("pk", flat=True))


def conversation_brands_visible(*, identity: ChatIdentity) -> list[tuple[int, int]]:
    """(conversation id, brand id) of every conversation the identity sees, in one query."""
    if identity.is_empty:
        return []
    return list(Conversation.objects.filter(_visibility(identity)).values_list("pk", "brand_id"))


# --- the token socket's connect check, compiled once per process -----------------------------------------
# A socket connects in a constant number of queries, but building and compiling them through the ORM cost more
# CPU than the round trips (bench/notes.md, "Connect path": ~1.7 and ~3.7 ms of CPU for the token check and the
# visible set, against ~0.3 ms for a plain statement). The same ORM queries are compiled once, with stand-in
# values that are then swapped for each socket's: the rules stay where they are (customer_conversation_visibility,
# the token's liveness), only their compilation is shared.
_STAND_IN_TOKEN = -730_100_001
_STAND_IN_CUSTOMER = -730_100_002
_STAND_IN_BRAND = -730_100_003
_STAND_IN_NOW = datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=UTC)


@functools.cache
def _token_check_sql() -> tuple[tuple[str, tuple], tuple[str, tuple]]:
    customer = Customer(pk=_STAND_IN_CUSTOMER, brand_id=_STAND_IN_BRAND)
    live = ChatToken.objects.filter(pk=_STAND_IN_TOKEN, revoked_at__isnull=True, expires_at__gt=_STAND_IN_NOW,
                                    customer__erased_at__isnull=True).values_list("pk")[:1]
    visible = Conversation.objects.filter(customer_conversation_visibility(customer)).values_list("pk", "brand_id")
    compiled = (live.query.sql_with_params(), visible.query.sql_with_params())
    stand_ins = {_STAND_IN_TOKEN, _STAND_IN_CUSTOMER, _STAND_IN_BRAND, _db_time(_STAND_IN_NOW)}
    if {p for _sql, params in compiled for p in params} & stand_ins != stand_ins:  # all must be parameters
        raise RuntimeError("the token check no longer compiles to parameters that can be swapped")
    return compiled


def _db_time(value: datetime):
    """A time as the compiled query carries it (the database's form of `expires_at`)."""
    return ChatToken._meta.get_field("expires_at").get_db_prep_value(value, connection, prepared=False)


def conversation_brands_visible_to_token(*, token_id: int, customer: Customer, now: datetime) -> list[tuple[int, int]] | None:
    """What a token socket's customer sees (as conversation_brands_visible), or None when the token is no longer
    live (revoked, expired, the customer erased): two statements, compiled once per process."""
    (live_sql, live_params), (visible_sql, visible_params) = _token_check_sql()
    values = {_STAND_IN_TOKEN: token_id, _STAND_IN_CUSTOMER: customer.pk, _STAND_IN_BRAND: customer.brand_id,
              _db_time(_STAND_IN_NOW): _db_time(now)}
    with connection.cursor() as cursor:
        cursor.execute(live_sql, [values.get(p, p) for p in live_params])
        if cursor.fetchone() is None:
            return None
        cursor.execute(visible_sql, [values.get(p, p) for p in visible_params])
        return [tuple(row) for row in cursor.fetchall()]


def conversation_brand_if_visible(*, identity: ChatIdentity, conversation_id: int) -> int | None:
    """The conversation's brand id when the identity sees it, else None (one query)."""
    if identity.is_empty:
        return None
    return Conversation.objects.filter(_visibility(identity), pk=conversation_id).values_list(
        "brand_id", flat=True).first()


def conversation_get(*, identity: ChatIdentity, conversation_id) -> Conversation:
    try:
        return conversation_list(identity=identity).get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise ApplicationError.not_found("conversation")


def conversation_is_visible(*, identity: ChatIdentity, conversation_id: int) -> bool:
    return Conversation.objects.filter(_visibility(identity), pk=conversation_id).exists()


def with_unread(qs: QuerySet[Conversation], *, participant_key: str) -> QuerySet[Conversation]:
    """Annotate `unread` for one participant in one query."""
    read = ReadState.objects.filter(conversation=OuterRef("pk"), participant_key=participant_key).values("last_read_seq")
    return qs.annotate(
        last_read_seq=Coalesce(Subquery(read, output_field=IntegerField()), Value(0)),
        unread=Greatest(F("last_seq") - F("last_read_seq"), Value(0)),
    )


def message_list(*, conversation: Conversation, after_seq: int = 0, limit: int = PAGE_SIZE) -> list[Message]:
    return list(Message.objects.filter(brand_id=conversation.brand_id, conversation=conversation, seq__gt=after_seq)
                .select_related(*MESSAGE_RELATED).order_by("seq")[:limit])


def message_tail(*, conversation: Conversation, limit: int = PAGE_SIZE) -> list[Message]:
    latest = (Message.objects.filter(brand_id=conversation.brand_id, conversation=conversation)
              .select_related(*MESSAGE_RELATED).order_by("-seq")[:limit])
    return list(reversed(latest))


def read_states(*, conversation: Conversation) -> dict[str, int]:
    return dict(ReadState.objects.filter(conversation=conversation).values_list("participant_key", "last_read_seq"))
