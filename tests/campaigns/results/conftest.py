import datetime

import pytest
from django.utils import timezone

from campaigns.models import Delivery
from chats.models import Message
from chats.services import conversation_mark_read
from communities.groups.services import group_member_add
from tests import factories

PRODUCT = {"name": "Rose serum", "price": "199.00", "currency": "CNY", "url": "https://shop.example/p/rose"}


@pytest.fixture
def sent_at():
    """Move every delivery of a campaign to a chosen send time: sent_at(campaign, when)."""
    def move(campaign, when: datetime.datetime):
        Delivery.objects.filter(campaign=campaign, status="sent").update(sent_at=when)
    return move


def read(customer, campaign):
    """The customer reads the campaign's message to them (their 1:1, or the group post)."""
    delivery = Delivery.objects.filter(campaign=campaign, status="sent").filter(customer=customer).first()
    if delivery is None:  # a group post: the delivery of a group the customer is in
        delivery = Delivery.objects.get(campaign=campaign, status="sent",
                                        group__memberships__customer=customer)
    message = Message.objects.get(pk=delivery.message_id)
    conversation_mark_read(conversation=message.conversation, participant_key=f"customer:{customer.pk}",
                           reader_name=customer.name, seq=message.seq)


def join(group, customer, when=None):
    member = group_member_add(group=group, customer=customer, actor=factories.system(group.brand))
    if when is not None:
        type(member).objects.filter(pk=member.pk).update(joined_at=when)
    return member


def days_ago(n: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)
