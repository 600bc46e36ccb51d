"""Hostile socket frames get an error frame (never `server_error`), write nothing, and the socket stays open."""

import json

import pytest
from channels.db import database_sync_to_async

from chats.models import Message
from chats.services import conversation_for_customer
from tests import factories
from tests.chats.conftest import receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _setup():
    brand = factories.make_brand("acme")
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Mei Lin", email=user.email, user=user)
    return user, conversation_for_customer(customer=customer).pk


def _frames(conversation: int) -> list[tuple[str, str]]:
    send = {"type": "send", "conversation": conversation, "client_msg_id": "h-1"}
    return [
        (json.dumps({**send, "body": "hi\x00there"}), "invalid_characters"),
        (json.dumps({**send, "body": "\ud800"}), "invalid_characters"),
        (json.dumps({**send, "client_msg_id": "h\x00", "body": "hi"}), "invalid_characters"),
        (f'{{"type": "send", "conversation": {conversation}, "client_msg_id": "h-2", "body": "x\\udfff"}}',
         "invalid_characters"),
        ("[" * 100_000 + "]" * 100_000, "bad_frame"),
        (json.dumps({**send, "body": "deep"})[:-1] + ', "extra": ' + "[" * 40 + "]" * 40 + "}", "too_deep"),
        (json.dumps({**send, "conversation": 2**64, "body": "hi"}), "invalid"),
        (json.dumps({**send, "conversation": "²", "body": "hi"}), "invalid"),
        (json.dumps({**send, "conversation": True, "body": "hi"}), "invalid"),
        (json.dumps({"type": "sync", "conversation": conversation, "after_seq": 2**64}), "invalid"),
        (json.dumps({"type": "sync", "conversation": conversation, "after_seq": "١"}), "invalid"),
        (json.dumps({"type": "sync", "conversation": conversation, "after_seq": -1}), "invalid"),
        (json.dumps({"type": "read", "conversation": conversation, "seq": 2**70}), "invalid"),
        (json.dumps({"type": "read", "conversation": conversation, "seq": [1]}), "invalid"),
        (json.dumps({"type": "typing", "conversation": -(2**64)}), "invalid"),
    ]


async def test_hostile_frames_get_error_frames_and_write_nothing(connect):
    user, conversation = await database_sync_to_async(_setup)()
    socket = await connect(user=user)
    await receive_until(socket, "ready")
    for text, code in _frames(conversation):
        await socket.send_to(text_data=text)
        frame = await receive_until(socket, "error")
        assert frame["code"] == code, (text[:80], frame)
    assert await database_sync_to_async(Message.objects.count)() == 0
    # Still open and working.
    await socket.send_json_to({"type": "send", "conversation": conversation, "client_msg_id": "ok-1", "body": "fine"})
    assert (await receive_until(socket, "ack"))["message"]["body"] == "fine"
