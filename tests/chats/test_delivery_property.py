"""Property: with random disconnects and reconnects while messages flow, every client ends with
every message exactly once, in seq order, using only what the socket contract gives it
(live `message` frames, `sync` after the last contiguous seq)."""

import asyncio
import random
import uuid

import pytest
from channels.db import database_sync_to_async

from chats.models import Conversation
from chats.services import Sender, conversation_for_group, message_send
from communities.groups.services import group_member_add
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.chats.conftest import communicator, disconnect_within

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

MESSAGES = 60


class Client:
    """The client algorithm of static/js/chat.js, reduced to sequence bookkeeping."""

    def __init__(self, user, conversation_id: int):
        self.user = user
        self.conversation_id = conversation_id
        self.messages: dict[int, int] = {}  # seq -> message id
        self.last = 0
        self.socket = None

    async def connect(self):
        self.socket = await communicator(user=self.user)
        connected, _ = await self.socket.connect()
        assert connected
        await self.request_sync()

    async def disconnect(self):
        await disconnect_within(self.socket)
        self.socket = None

    async def request_sync(self):
        await self.socket.send_json_to({"type": "sync", "conversation": self.conversation_id, "after_seq": self.last})

    def _accept(self, message: dict) -> None:
        assert message["conversation"] == self.conversation_id, message
        seq = message["seq"]
        if seq in self.messages:
            assert self.messages[seq] == message["id"], f"two different messages with one seq: {message}"
            return
        if seq == self.last + 1:
            self.messages[seq] = message["id"]
            self.last = seq

    async def pump(self):
        while self.socket is not None and not await self.socket.receive_nothing(timeout=0.02):
            frame = await self.socket.receive_json_from()
            if frame["type"] == "message" and frame["message"]["conversation"] == self.conversation_id:
                if frame["message"]["seq"] > self.last + 1:
                    await self.request_sync()  # a gap: ask for exactly what is missing
                self._accept(frame["message"])
            elif frame["type"] == "sync":
                assert frame["conversation"] == self.conversation_id, frame
                for message in frame["messages"]:
                    self._accept(message)
                if frame["has_more"]:
                    await self.request_sync()
            elif frame["type"] == "error":
                raise AssertionError(frame)


def _world():
    brand = factories.make_brand("acme")
    rep = factories.make_member(brand, Role.REP)
    group = factories.make_group(brand, "Club", store=rep.store)
    users = []
    for i in range(3):
        user = factories.make_user(password=None)
        group_member_add(group=group, actor=factories.system(group.brand_id), customer=factories.make_customer(brand, f"Fan {i}", email=user.email, user=user))
        users.append(user)
    return rep, conversation_for_group(group=group), users


@pytest.fixture
def own_channel_layer(settings):
    """This test's sockets and broadcasts use a channel-layer prefix no other test shares."""
    from channels.layers import channel_layers

    layer = dict(settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"] = {**layer.get("CONFIG", {}), "prefix": f"prop-{uuid.uuid4().hex[:8]}"}
    settings.CHANNEL_LAYERS = {"default": layer}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_every_client_ends_with_every_message_once_in_order(seed, own_channel_layer):
    rng = random.Random(seed)
    rep, conversation, users = await database_sync_to_async(_world)()
    clients = [Client(user, conversation.pk) for user in users]
    for client in clients:
        await client.connect()

    send = database_sync_to_async(message_send)
    for i in range(MESSAGES):
        await send(conversation=conversation, sender=Sender.of_staff(rep), body=f"offer {i}", client_msg_id=f"o{i}")
        for client in clients:
            roll = rng.random()
            if client.socket is not None and roll < 0.12:
                await client.disconnect()  # whatever was in flight for it is lost
            elif client.socket is None and roll < 0.5:
                await client.connect()
            if client.socket is not None and rng.random() < 0.5:
                await client.pump()
        if rng.random() < 0.3:
            await asyncio.sleep(rng.random() / 50)

    total = await database_sync_to_async(lambda: Conversation.objects.get(pk=conversation.pk).last_seq)()
    for client in clients:
        if client.socket is None:
            await client.connect()
        for _ in range(50):
            await client.pump()
            if client.last == total:
                break
            await client.request_sync()
        assert sorted(client.messages) == list(range(1, total + 1))
        assert len(set(client.messages.values())) == total
        await client.disconnect()
