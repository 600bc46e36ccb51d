"""Reads of the customer's own chat pages (/chat/): a person may be a customer of several brands."""

from django.db.models import QuerySet

from communities.models import GroupMember
from crm.models import Customer
from privtraffic.accounts.models import User
from privtraffic.tenancy.errors import ApplicationError

from ..models import Conversation, Message
from ..selectors import ChatIdentity, conversation_list, customer_conversation_visibility, with_unread


def customer_conversations(*, identity: ChatIdentity) -> list[Conversation]:
    """The customer's chat list across brands, each with its unread count."""
    result = []
    for customer in identity.customers:
        qs = with_unread(Conversation.objects.filter(customer_conversation_visibility(customer)), participant_key=f"customer:{customer.pk}")
        result.extend(qs.select_related("group", "customer", "brand", "customer__assigned_rep__user"))
    return sorted(result, key=lambda c: (c.last_message_at is None, -(c.last_message_at.timestamp() if c.last_message_at else 0)))


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


def message_visible_get(*, identity: ChatIdentity, message_id) -> Message:
    """A message in one of this person's conversations (anything else: 404)."""
    visible = conversation_list(identity=identity).values("pk")
    message = (Message.objects.filter(pk=message_id, conversation_id__in=visible).select_related("conversation")
               .first())
    if message is None:
        raise ApplicationError.not_found("message")
    return message
