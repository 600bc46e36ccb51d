"""Reads of the rep inbox: the conversation list, the profile beside the open chat, quick replies."""

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from crm.models import Customer
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.selectors import brand_get_object

from ..models import Conversation, ConversationKind, Message, QuickReply
from ..selectors import ChatIdentity, conversation_list, with_unread

PANEL_STAFF_LIMIT = 50


def inbox_list(*, brand: Brand, membership: Membership, filter: str = "all",  # noqa: A002
               search: str = "") -> QuerySet[Conversation]:
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


def inbox_rows(*, brand: Brand, membership: Membership, filter: str = "all", search: str = "",  # noqa: A002
               limit: int) -> tuple[list[Conversation], bool]:
    """One page of the inbox, each row with the preview of its latest visible message; and whether more follow."""
    latest = (Message.objects.filter(conversation=OuterRef("pk"), deleted_at__isnull=True)
              .order_by("-seq").values("body")[:1])
    qs = inbox_list(brand=brand, membership=membership, filter=filter, search=search)
    rows = list(qs.annotate(preview=Subquery(latest))[: limit + 1])
    return rows[:limit], len(rows) > limit


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
