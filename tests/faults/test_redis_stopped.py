"""Redis stopped mid-chat (the channel layer, the fan-out, the cache and the broker all at once) and started again.

While it is down, a send over the API is still stored (only the throttle's counter and the live fan-out need
Redis, and neither may block a write to PostgreSQL); a retry with the same client_msg_id would return the first. Socket clients lose their
connection, reconnect with backoff, and once Redis is back resync by seq: every client ends with every message
exactly once.
"""

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from chats.models import Message
from tests import factories
from tests.faults.client import running_clients, until
from tests.faults.conftest import group_chat
from tests.faults.servers import Asgi, OwnRedis, app_env

pytestmark = pytest.mark.django_db(transaction=True)

RECEIVERS, BEFORE, DURING, AFTER = 15, 10, 10, 10


def _post(asgi: Asgi, key: str, conversation: int, client_msg_id: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        f"{asgi.url}/api/v1/conversations/{conversation}/messages/", method="POST",
        data=json.dumps({"body": f"api {client_msg_id}", "client_msg_id": client_msg_id}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_api_sends_persist_while_redis_is_down_and_socket_clients_resync_when_it_returns(suite_database_url):
    world = group_chat(RECEIVERS + 1)
    key = factories.make_api_key(world["brand"])
    conversation = world["conversation"]
    base = conversation.last_seq
    redis = OwnRedis()
    redis.start()
    asgi = Asgi(app_env(database_url=suite_database_url, redis_url=redis.url, CHAT_FLOOD_LIMIT="100000",
                        CHANNEL_LAYER_PREFIX="faults"))
    try:
        asgi.start()
        clients, while_down = asyncio.run(_chat_through_a_redis_outage(asgi, redis, key, world["tokens"],
                                                                      conversation.pk, base))
    finally:
        asgi.stop()
        redis.close()

    # Stored while Redis was down: the API needs only PostgreSQL to take a message (the throttle's cache and the
    # live fan-out are down, and the write does not wait for them).
    assert [status for status, _, _ in while_down] == [201] * DURING, [(s, b[:300]) for s, _, b in while_down]
    stored = list(Message.objects.filter(conversation=conversation, seq__gt=base).order_by("seq")
                  .values_list("seq", "id", "client_msg_id"))
    sent = {f"sock-{i}" for i in range(BEFORE + DURING + AFTER)} | {f"api-{i}" for i in range(DURING)}
    assert sorted(cmid for _, _, cmid in stored) == sorted(sent)  # every send stored, none twice
    expected = {seq: mid for seq, mid, _ in stored}
    for i, client in enumerate(clients):
        assert client.conflicts == []
        assert not client.pending
        assert {s: m for s, m in client.by_seq.items() if s > base} == expected, f"client {i}"
    assert all(client.readies >= 2 for client in clients)  # the outage did cut every socket off


async def _chat_through_a_redis_outage(asgi, redis, key, tokens, conversation, base):
    loop = asyncio.get_running_loop()
    while_down = []
    async with running_clients(asgi.ws_url, tokens, conversation=conversation, after_seq=base) as clients:
        sender = clients[0]
        for i in range(BEFORE):
            await sender.submit(f"sock-{i}", f"before {i}")
            await asyncio.sleep(0.05)
        await until(lambda: not sender.pending, 30, "the first sends acknowledged")

        await loop.run_in_executor(None, redis.kill)
        for i in range(DURING):
            await sender.submit(f"sock-{BEFORE + i}", f"during {i}")  # queued until the socket is back
            while_down.append(await loop.run_in_executor(None, _post, asgi, key, conversation, f"api-{i}"))
        await asyncio.sleep(1)

        await loop.run_in_executor(None, redis.start)
        retried = await loop.run_in_executor(None, _post, asgi, key, conversation, "api-0")
        assert retried[0] == 201 and json.loads(retried[2])["id"] == json.loads(while_down[0][2])["id"]
        for i in range(AFTER):
            await sender.submit(f"sock-{BEFORE + DURING + i}", f"after {i}")
            await asyncio.sleep(0.05)
        last = base + BEFORE + 2 * DURING + AFTER
        await until(lambda: not sender.pending and all(c.holds_through(last) for c in clients), 90,
                    "every client holding every seq")
    return clients, while_down
