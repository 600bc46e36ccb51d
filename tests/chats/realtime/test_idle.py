"""Sockets on the real Redis channel layer survive being idle, then still get what is sent to them.

redis-py >= 6 reads with a 5 s socket timeout by default, exactly as long as channels-redis blocks in
BZPOPMIN: without explicit client timeouts (privtraffic/settings/base.py) every idle socket died after
about 5 s with redis.exceptions.TimeoutError. This test takes about 30 s on purpose and runs in the
normal suite.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async

from chats.realtime.tokens import chat_token_issue
from chats.services import Sender, message_send
from tests.chats.conftest import receive_until
from tests.chats.realtime.test_consumers import _setup

IDLE_SECONDS = 30


def test_the_redis_client_timeouts_outlast_the_blocking_read(settings):
    from channels_redis.core import RedisChannelLayer

    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout + 5
    assert host["socket_connect_timeout"] and host["health_check_interval"] and host["retry_on_timeout"]
    assert settings.CACHES["default"]["OPTIONS"]["socket_timeout"] == host["socket_timeout"]
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"] == host["socket_timeout"]


@pytest.mark.django_db(transaction=True)
async def test_idle_sockets_stay_open_and_receive_after_30_seconds(connect, settings):
    assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    world = await database_sync_to_async(_setup)()
    token, _ = await database_sync_to_async(chat_token_issue)(customer=world["customer"],
                                                              actor=world["rep"])
    sockets = [await connect(user=world["customer"].user), await connect(user=world["rep"].user),
               await connect(token=token)]
    for socket in sockets:
        await receive_until(socket, "ready")

    await asyncio.sleep(IDLE_SECONDS)

    for socket in sockets:
        assert await socket.receive_nothing(timeout=0.1)  # nothing arrived, and the socket did not close
    await database_sync_to_async(message_send)(conversation=world["direct"], sender=Sender.of_staff(world["rep"]),
                                               body="Still there?", client_msg_id="after-idle")
    for socket in sockets:
        frame = await receive_until(socket, "message", timeout=5)
        assert frame["message"]["body"] == "Still there?"
    # Still open both ways: the customer answers and is acked.
    await sockets[0].send_json_to({"type": "send", "conversation": world["direct"].pk, "client_msg_id": "c-idle",
                                   "body": "Yes!"})
    assert (await receive_until(sockets[0], "ack"))["message"]["body"] == "Yes!"
