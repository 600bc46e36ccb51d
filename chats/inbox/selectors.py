"""Reads of the rep inbox: the conversation list, the profile beside the open chat, quick replies."""

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from crm.models import Customer, CustomerNote, Order, Tag
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Role, is_store_scoped
from privtraffic.tenancy.selectors import brand_get_object

from ..models import Conversation, ConversationKind, ConversationNote, ConversationStatus, Message, QuickReply
from ..selectors import ChatIdentity, conversation_list, with_unread

PANEL_STAFF_LIMIT = 50


def status_q(status: str) -> Q:
    """Conversations in a status, as the team sees it now: a snooze that has run out counts as open again."""
    now = timezone.now()
    woken = Q(status=ConversationStatus.SNOOZED, snoozed_until__lte=now)
    if status == ConversationStatus.OPEN:
        return Q(status=ConversationStatus.OPEN) | woken
    if status == ConversationStatus.SNOOZED:
        return Q(status=ConversationStatus.SNOOZED, snoozed_until__gt=now)
    if status == ConversationStatus.RESOLVED:
        return Q(status=ConversationStatus.RESOLVED)
    return Q()


def inbox_list(*, brand: Brand, membership: Membership, filter: str = "all",  # noqa: A002
               search: str = "", status: str = "all") -> QuerySet[Conversation]:
    """The rep inbox: visible conversations by last activity, with unread counts."""
    qs = conversation_list(identity=ChatIdentity(user=membership.user, memberships=[membership]), brand=brand)
    qs = qs.filter(status_q(status))
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


def inbox_rows(*, brand: Brand, membership: Membership, filter: str = "all", search: str = "",  # noqa: A002
               limit: int, status: str = "all") -> tuple[list[Conversation], bool]:
    """One page of the inbox, each row with the preview of its latest visible message; and whether more follow."""
    latest = (Message.objects.filter(conversation=OuterRef("pk"), deleted_at__isnull=True)
              .order_by("-seq").values("body")[:1])
    qs = inbox_list(brand=brand, membership=membership, filter=filter, search=search, status=status)
    rows = list(qs.annotate(preview=Subquery(latest))[: limit + 1])
    return rows[:limit], len(rows) > limit


PANEL_ROWS = 5


def conversation_notes(*, brand: Brand, conversation: Conversation) -> list[ConversationNote]:
    """The team's private notes in a conversation, oldest first."""
    return list(ConversationNote.objects.filter(brand=brand, conversation=conversation).order_by("created_at", "id"))


def handover_reps(*, brand: Brand, membership: Membership) -> list[Membership]:
    """Reps the acting staff member may give a customer to: their store's reps, or every active rep for staff
    without a store."""
    qs = Membership.objects.filter(brand=brand, role=Role.REP, is_active=True).select_related("user", "store")
    if membership.store_id and is_store_scoped(membership.role):
        qs = qs.filter(store_id=membership.store_id)
    return list(qs.order_by("user__name", "user__email")[:PANEL_STAFF_LIMIT])


def handover_rep_get(*, brand: Brand, rep_id) -> Membership:
    """An active rep of the brand (another brand's id, or anyone else: 404)."""
    return brand_get_object(Membership.objects.filter(role=Role.REP, is_active=True).select_related("user"),
                            brand=brand, what="rep", pk=rep_id)


def customer_panel(*, brand: Brand, customer: Customer) -> dict:
    """What the contact panel shows beside a 1:1 chat: tags, the latest notes and orders."""
    return {
        "tags": list(Tag.objects.filter(brand=brand, customers=customer).order_by("name")),
        "notes_on_customer": list(CustomerNote.objects.filter(brand=brand, customer=customer).select_related("author")
                      .order_by("-created_at")[:PANEL_ROWS]),
        "orders": list(Order.objects.filter(brand=brand, customer=customer).order_by("-placed_at", "-id")[:PANEL_ROWS]),
    }


def conversation_customer(*, brand: Brand, conversation: Conversation) -> Customer:
    """The customer of a 1:1 conversation, with what the profile panel shows."""
    return (Customer.objects.select_related("assigned_rep__user", "home_store")
            .get(brand=brand, pk=conversation.customer_id))


def conversation_message_get(*, brand: Brand, conversation: Conversation, message_id) -> Message:
    """A message of this conversation (any other id, or another brand's: 404)."""
    message = brand_get_object(Message.objects.filter(conversation=conversation), brand=brand,
                               what="message", pk=message_id)
    message.conversation = conversation
    return message


def group_staff(*, brand: Brand, conversation: Conversation) -> list[Membership]:
    """Staff of the group's store, and anyone on staff who has posted in it, by name with their role."""
    group = conversation.group
    posted = (Message.objects.filter(brand_id=conversation.brand_id, conversation=conversation,
                                     sender_user__isnull=False).values("sender_user_id"))
    who = Q(user_id__in=posted)
    if group.store_id:
        who |= Q(store_id=group.store_id)
    return list(Membership.objects.filter(who, brand_id=conversation.brand_id, is_active=True)
                .select_related("user", "store").order_by("role", "user__name", "user__email")[:PANEL_STAFF_LIMIT])


def quick_reply_list(*, brand: Brand | int) -> QuerySet[QuickReply]:
    return QuickReply.objects.filter(brand=brand).order_by("title", "id")


def quick_reply_get(*, brand: Brand, reply_id) -> QuickReply:
    return brand_get_object(QuickReply.objects.all(), brand=brand, what="quick reply", pk=reply_id)
