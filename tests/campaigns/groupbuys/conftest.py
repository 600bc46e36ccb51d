import pytest

from chats.services import Sender, conversation_for_group, message_send
from privtraffic.tenancy.actors import CustomerActor
from tests import factories


@pytest.fixture
def deal(brand):
    return factories.make_group_buy(brand)


@pytest.fixture
def customer_actor(brand):
    def make(name=None, **fields):
        fields.setdefault("consent_chat", True)
        return CustomerActor(factories.make_customer(brand, name, **fields))
    return make


@pytest.fixture
def posted(brand, marketer, django_capture_on_commit_callbacks):
    """Post the deal's card in a new VIP group (as a rep would from the inbox); answers the conversation."""
    def post(deal, group=None):
        group = group or factories.make_group(brand, "Serum lovers")
        conversation = conversation_for_group(group=group)
        with django_capture_on_commit_callbacks(execute=True):  # the outbox relays message.created
            message_send(conversation=conversation, sender=Sender.of_staff(marketer), body="", kind="group_buy",
                         payload={"title": deal.title, "ref": deal.pk})
        return conversation
    return post
