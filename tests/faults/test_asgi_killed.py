"""The ASGI process SIGKILLed mid-chat and started again: every client reconnects with backoff and resyncs by
seq, and ends with every message of the conversation exactly once; the sender's unacknowledged sends, sent again
with their client_msg_id, are stored once."""

import asyncio

import pytest

from chats.models import Message
from tests.faults.client import ChatClient, running_clients, until
from tests.faults.conftest import group_chat
from tests.faults.servers import Asgi, app_env

pytestmark = pytest.mark.django_db(transaction=True)

RECEIVERS, MESSAGES, KILL_AFTER = 20, 40, 15


def test_clients_reconnect_and_resync_after_the_asgi_process_is_killed(settings, suite_database_url):
    world = group_chat(RECEIVERS + 1)
    conversation = world["conversation"]
    base = conversation.last_seq
    asgi = Asgi(app_env(database_url=suite_database_url, redis_url=settings.REDIS_URL, CHAT_FLOOD_LIMIT="100000"))
    asgi.start()
    try:
        clients = asyncio.run(_chat_through_a_kill(asgi, world["tokens"], conversation.pk, base))
    finally:
        asgi.stop()

    stored = list(Message.objects.filter(conversation=conversation, seq__gt=base).order_by("seq")
                  .values_list("seq", "id", "client_msg_id"))
    assert [cmid for _, _, cmid in stored] == [f"kill-{i}" for i in range(MESSAGES)]  # each send stored once
    expected = {seq: mid for seq, mid, _ in stored}
    sender, receivers = clients[0], clients[1:]
    assert not sender.pending
    for i, client in enumerate(clients):
        assert client.conflicts == []
        assert {s: m for s, m in client.by_seq.items() if s > base} == expected, f"client {i}"
    # The kill really cut them off: each reconnected at least once.
    assert all(client.readies >= 2 for client in receivers)


async def _chat_through_a_kill(asgi: Asgi, tokens: list[str], conversation: int, base: int) -> list[ChatClient]:
    loop = asyncio.get_running_loop()
    async with running_clients(asgi.ws_url, tokens, conversation=conversation, after_seq=base) as clients:
        sender = clients[0]
        for i in range(MESSAGES):
            await sender.submit(f"kill-{i}", f"message {i}")
            if i == KILL_AFTER:
                await loop.run_in_executor(None, asgi.kill)
                restart = loop.run_in_executor(None, asgi.start)
            await asyncio.sleep(0.05)
        await restart
        last = base + MESSAGES
        await until(lambda: not sender.pending and all(c.holds_through(last) for c in clients), 90,
                    "every client holding every seq")
    return clients
