"""Chat tokens on the socket: sent in the first frame only, opaque, and revocable with open sockets closed."""

import base64
import binascii
import json
import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.core import signing
from django.utils import timezone
from rest_framework.test import APIClient

from chats.models import ChatToken
from chats.realtime.tokens import chat_token_issue
from chats.services import conversation_for_customer
from tests import factories
from tests.chats.conftest import communicator, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _setup():
    brand = factories.make_brand("acme")
    customer = factories.make_customer(brand, "Mei Lin", email="mei@example.test")
    neighbour = factories.make_customer(brand, "Ann Other", email="ann@example.test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.make_api_key(brand)}")
    return {"brand": brand, "customer": customer, "neighbour": neighbour, "api": api,
            "direct": conversation_for_customer(customer=customer).pk}


async def _world():
    return await database_sync_to_async(_setup)()


async def _token(world, who="customer") -> str:
    response = await sync_to_async(world["api"].post)(f"/api/v1/customers/{world[who].pk}/chat-token/")
    assert response.status_code == 201, response.content
    return response.json()["token"]


async def _ready(**kwargs):
    comm = await communicator(**kwargs)
    assert (await comm.connect())[0]
    return comm, await receive_until(comm, "ready")


async def _refused(comm) -> None:
    """The server closes the socket with 4401 and sent nothing else before."""
    assert (await comm.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4401}


async def test_first_frame_auth_opens_the_customers_chat():
    world = await _world()
    comm, ready = await _ready(token=await _token(world))
    assert ready["conversations"] == [world["direct"]]
    await comm.disconnect()


async def test_a_token_in_the_url_does_not_authenticate(settings):
    settings.CHAT_AUTH_TIMEOUT_SECONDS = 1
    world = await _world()
    comm = await communicator(path=f"/ws/chat/?token={await _token(world)}")
    assert (await comm.connect())[0]
    await _refused(comm)  # no `ready`: closed when the auth time is up


async def test_no_auth_frame_in_time_is_4401_and_a_late_one_is_too_late(settings):
    settings.CHAT_AUTH_TIMEOUT_SECONDS = 1
    world = await _world()
    token = await _token(world)
    comm = await communicator()
    assert (await comm.connect())[0]
    assert await comm.receive_nothing(timeout=0.6)
    await _refused(comm)
    # A token arriving after the close opens nothing.
    await comm.send_json_to({"type": "auth", "token": token})
    assert await comm.receive_nothing(timeout=0.5)
    # The same token still works on a socket that sends it in time.
    ok, _ready_frame = await _ready(token=token)
    await ok.disconnect()


async def test_the_default_auth_time_is_ten_seconds(settings):
    from privtraffic.settings import base

    assert base.CHAT_AUTH_TIMEOUT_SECONDS == 10


@pytest.mark.parametrize("first_frame", [
    {"type": "auth", "token": "not-a-token"},
    {"type": "auth", "token": ""},
    {"type": "auth", "token": 42},
    {"type": "auth"},
    {"type": "auth", "token": "x" * 10_000},
    {"type": "sync", "conversation": 1, "after_seq": 0},
    ["auth"],
])
async def test_a_bad_first_frame_is_4401(first_frame):
    await _world()
    comm = await communicator()
    assert (await comm.connect())[0]
    await comm.send_json_to(first_frame)
    await _refused(comm)


async def test_a_first_frame_that_is_not_json_is_4401():
    comm = await communicator()
    assert (await comm.connect())[0]
    await comm.send_to(text_data="{not json")
    await _refused(comm)


async def test_an_expired_token_is_4401():
    world = await _world()
    token = await _token(world)
    await database_sync_to_async(ChatToken.objects.update)(expires_at=timezone.now() - timedelta(seconds=1))
    comm = await communicator(token=token)
    assert (await comm.connect())[0]
    await _refused(comm)


async def test_an_open_token_socket_closes_when_its_token_expires():
    world = await _world()
    token = await _token(world)
    await database_sync_to_async(ChatToken.objects.update)(expires_at=timezone.now() + timedelta(seconds=1.5))
    comm, _ready_frame = await _ready(token=token)
    assert await comm.receive_nothing(timeout=0.5)  # still open while the token lives
    await _refused(comm)


async def test_a_second_auth_frame_is_an_error_and_the_socket_stays_open():
    world = await _world()
    token = await _token(world)
    comm, _ready_frame = await _ready(token=token)
    await comm.send_json_to({"type": "auth", "token": token})
    assert (await receive_until(comm, "error"))["code"] == "already_authenticated"
    await comm.send_json_to({"type": "sync", "conversation": world["direct"], "after_seq": 0})
    assert (await receive_until(comm, "sync"))["conversation"] == world["direct"]
    await comm.disconnect()


async def test_revoke_closes_open_sockets_and_refuses_new_ones():
    world = await _world()
    token, other_token = await _token(world), await _token(world)
    neighbour_token = await _token(world, "neighbour")
    first, _r1 = await _ready(token=token)
    second, _r2 = await _ready(token=other_token)
    neighbour, _r3 = await _ready(token=neighbour_token)

    response = await sync_to_async(world["api"].delete)(f"/api/v1/customers/{world['customer'].pk}/chat-token/")
    assert response.status_code == 204
    await _refused(first)
    await _refused(second)
    # Another customer's socket is untouched and still served.
    assert await neighbour.receive_nothing(timeout=0.3)
    await neighbour.send_json_to({"type": "sync", "conversation": 0, "after_seq": 0})
    assert (await receive_until(neighbour, "error"))["type"] == "error"
    await neighbour.disconnect()

    again = await communicator(token=token)
    assert (await again.connect())[0]
    await _refused(again)


async def test_erasing_the_customer_closes_their_sockets_and_ends_their_tokens():
    world = await _world()
    token = await _token(world)
    comm, _ready_frame = await _ready(token=token)
    response = await sync_to_async(world["api"].post)(f"/api/v1/customers/{world['customer'].pk}/erase/")
    assert response.status_code == 200, response.content
    await _refused(comm)
    again = await communicator(token=token)
    assert (await again.connect())[0]
    await _refused(again)


def _issue_many(world, count):
    system = factories.system(world["brand"])
    return [chat_token_issue(customer=world[who], actor=system)[0]
            for who in ("customer", "neighbour") for _ in range(count)]


async def test_the_token_is_opaque_random_and_stored_only_as_a_hash():
    world = await _world()
    tokens = await database_sync_to_async(_issue_many)(world, 3)
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        # Same shape whoever it is for: 43 url-safe characters of randomness, nothing else.
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
        with pytest.raises(signing.BadSignature):
            signing.loads(token, salt="privtraffic.chat-token")
        for candidate in (token, token.split(".")[0]):
            try:
                decoded = base64.urlsafe_b64decode(candidate + "=" * (-len(candidate) % 4))
            except (binascii.Error, ValueError):
                continue
            with pytest.raises((UnicodeDecodeError, ValueError)):
                json.loads(decoded.decode("utf-8"))
    rows = await database_sync_to_async(lambda: list(ChatToken.objects.values_list("token_hash", flat=True)))()
    assert len(rows) == len(tokens)
    assert not set(rows) & set(tokens)
    for token in tokens:
        assert not any(token in row for row in rows)
