"""Reads for chat. Who may see a conversation is decided here, once, for pages, API and sockets."""

from dataclasses import dataclass, field

from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from communities.models import GroupMember
from crm.models import Customer
from privtraffic.accounts.models import User
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Perm, Role, role_has

from .models import Conversation, ConversationKind, Message, ReadState

PAGE_SIZE = 50
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


def chat_identity_for_user(*, user: User) -> ChatIdentity:
    if not user.is_authenticated:
        return ChatIdentity()
    memberships = [m for m in Membership.objects.filter(user=user, is_active=True).select_related("brand", "user")
                   if role_has(m.role, Perm.CHAT)]
    customers = list(Customer.objects.filter(user=user).select_related("brand"))
    return ChatIdentity(user=user, memberships=memberships, customers=customers)


def chat_identity_for_customer(*, customer: Customer) -> ChatIdentity:
    return ChatIdentity(customers=[customer])


def staff_visibility(membership: Membership) -> Q:
    """Admins, owners and marketers see the whole brand; a store manager their store; a rep their customers
    and their store's groups."""
    brand_q = Q(brand_id=membership.brand_id)
    if membership.role in (Role.OWNER, Role.ADMIN, Role.MARKETER):
        return brand_q
    store_groups = Q(kind=ConversationKind.GROUP) & (Q(group__store_id=membership.store_id) | Q(group__store__isnull=True))
    if membership.role == Role.STORE_MANAGER:
        store_customers = Q(kind=ConversationKind.DIRECT) & (
            Q(customer__assigned_rep__store_id=membership.store_id) | Q(customer__home_store_id=membership.store_id))
        return brand_q & (store_groups | store_customers)
    return brand_q & (store_groups | Q(kind=ConversationKind.DIRECT, customer__assigned_rep=membership))


def customer_visibility(customer: Customer) -> Q:
    groups = GroupMember.objects.filter(customer=customer, left_at__isnull=True).values("group_id")
    return Q(brand_id=customer.brand_id) & (Q(kind=ConversationKind.DIRECT, customer=customer)
                                            | Q(kind=ConversationKind.GROUP, group_id__in=groups))


def _visibility(identity: ChatIdentity) -> Q:
    q = Q(pk__in=[])
    for membership in identity.memberships:
        q |= staff_visibility(membership)
    for customer in identity.customers:
        q |= customer_visibility(customer)
    return q


def conversation_list(*, identity: ChatIdentity, brand: Brand | None = None) -> QuerySet[Conversation]:
    qs = Conversation.objects.filter(_visibility(identity))
    if brand is not None:
        qs = qs.filter(brand=brand)
    return qs.select_related("group", "customer", "customer__assigned_rep__user")


def conversation_ids_visible(*, identity: ChatIdentity) -> list[int]:
    if identity.is_empty:
        return []
    return list(Conversation.objects.filter(_visibility(identity)).values_list("pk", flat=True))


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


def inbox_list(*, brand: Brand, membership: Membership, filter: str = "all", search: str = "") -> QuerySet[Conversation]:  # noqa: A002
    """The rep inbox: visible conversations by last activity, with unread counts."""
    qs = conversation_list(identity=ChatIdentity(user=membership.user, memberships=[membership]), brand=brand)
    if filter == "mine":
        qs = qs.filter(kind=ConversationKind.DIRECT, customer__assigned_rep=membership)
    elif filter == "unassigned":
        qs = qs.filter(kind=ConversationKind.DIRECT, customer__assigned_rep__isnull=True)
    elif filter == "store" and membership.store_id:
        qs = qs.filter(Q(group__store_id=membership.store_id) | Q(customer__assigned_rep__store_id=membership.store_id)
                       | Q(customer__home_store_id=membership.store_id))
    elif filter == "groups":
        qs = qs.filter(kind=ConversationKind.GROUP)
    search = search.strip()
    if search:
        matching_messages = Message.objects.filter(conversation=OuterRef("pk"), body__icontains=search,
                                                   deleted_at__isnull=True)
        qs = qs.filter(Q(customer__name__icontains=search) | Q(group__name__icontains=search)
                       | Exists(matching_messages))
    qs = with_unread(qs, participant_key=f"user:{membership.user_id}")
    return qs.order_by(F("last_message_at").desc(nulls_last=True), "-pk")


def customer_conversations(*, identity: ChatIdentity) -> list[Conversation]:
    """The customer's chat list across brands, each with its unread count."""
    result = []
    for customer in identity.customers:
        qs = with_unread(Conversation.objects.filter(customer_visibility(customer)), participant_key=f"customer:{customer.pk}")
        result.extend(qs.select_related("group", "customer", "brand", "customer__assigned_rep__user"))
    return sorted(result, key=lambda c: (c.last_message_at is None, -(c.last_message_at.timestamp() if c.last_message_at else 0)))


def message_list(*, conversation: Conversation, after_seq: int = 0, limit: int = PAGE_SIZE) -> list[Message]:
    return list(Message.objects.filter(brand_id=conversation.brand_id, conversation=conversation, seq__gt=after_seq)
                .order_by("seq")[:limit])


def message_tail(*, conversation: Conversation, limit: int = PAGE_SIZE) -> list[Message]:
    latest = Message.objects.filter(brand_id=conversation.brand_id, conversation=conversation).order_by("-seq")[:limit]
    return list(reversed(latest))


def read_states(*, conversation: Conversation) -> dict[str, int]:
    return dict(ReadState.objects.filter(conversation=conversation).values_list("participant_key", "last_read_seq"))


# --- the customer's own pages -----------------------------------------------------------------


def customers_of_user(*, user: User) -> QuerySet[Customer]:
    """A person can be a customer of several brands; each is its own tenant row."""
    return Customer.objects.filter(user=user).select_related("brand", "assigned_rep__user")


def customer_group_membership(*, user: User, group_id) -> GroupMember:
    member = (GroupMember.objects.filter(customer__user=user, group_id=group_id, left_at__isnull=True)
              .select_related("group", "customer", "group__brand").first())
    if member is None:
        raise ApplicationError.not_found("group")
    return member


def customer_of_user(*, user: User, customer_id) -> Customer:
    customer = customers_of_user(user=user).filter(pk=customer_id).first()
    if customer is None:
        raise ApplicationError.not_found("conversation")
    return customer


def customer_group_list(*, user: User) -> QuerySet[GroupMember]:
    return (GroupMember.objects.filter(customer__user=user, left_at__isnull=True)
            .select_related("group", "group__brand", "customer").order_by("group__name"))


def moderation_log(*, brand: Brand, group) -> QuerySet:
    from .models import ModerationLog

    return ModerationLog.objects.filter(brand=brand, conversation__group=group).select_related("customer")[:50]


def open_reports(*, brand: Brand, membership: Membership) -> QuerySet:
    """Unresolved reports on messages in conversations this staff member may see."""
    from .models import MessageReport

    visible = Conversation.objects.filter(staff_visibility(membership)).values("pk")
    return (MessageReport.objects.filter(brand=brand, resolved_at__isnull=True, message__conversation_id__in=visible)
            .select_related("message", "message__conversation__group", "reporter").order_by("-created_at"))
