from django.db.models import QuerySet

from communities.models import GroupMember
from crm.models import Customer
from privtraffic.accounts.models import User
from privtraffic.tenancy.errors import ApplicationError

from .models import Conversation, Message

PAGE_SIZE = 50


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


def message_list(*, conversation: Conversation, after_seq: int = 0, limit: int = PAGE_SIZE) -> list[Message]:
    return list(Message.objects.filter(brand_id=conversation.brand_id, conversation=conversation, seq__gt=after_seq)
                .order_by("seq")[:limit])


def message_tail(*, conversation: Conversation, limit: int = PAGE_SIZE) -> list[Message]:
    latest = Message.objects.filter(brand_id=conversation.brand_id, conversation=conversation).order_by("-seq")[:limit]
    return list(reversed(latest))


