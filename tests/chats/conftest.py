import asyncio
import contextlib

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings

from privtraffic.asgi import application
from tests.helpers import session_cookie


class TokenCommunicator(WebsocketCommunicator):
    """A socket that authenticates the way an integrator's app does: the chat token in the first frame."""

    def __init__(self, *args, token: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.token = token

    async def connect(self, timeout=1):
        connected, subprotocol = await super().connect(timeout)
        if connected:
            await self.send_json_to({"type": "auth", "token": self.token})
        return connected, subprotocol


async def communicator(*, user=None, token: str | None = None, path: str = "/ws/chat/",
                       origin: str = "http://testserver") -> WebsocketCommunicator:
    """A socket as a browser (`user=`: its session cookie) or an app (`token=`: sent as the first frame)."""
    headers = [(b"host", b"testserver"), (b"origin", origin.encode())]
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    if token is not None:
        return TokenCommunicator(application, path, headers=headers, token=token)
    return WebsocketCommunicator(application, path, headers=headers)


async def receive_until(comm: WebsocketCommunicator, frame_type: str, timeout: float = 3) -> dict:
    """Skip unrelated frames until one of this type arrives."""
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        if frame["type"] == frame_type:
            return frame


async def disconnect_within(comm: WebsocketCommunicator, seconds: float = 5) -> None:
    """Close the socket as a client would and give the server `seconds` to finish with it. The server-side
    teardown is not awaited past that: channels_redis's receive can lose the cancellation Channels sends it
    when a socket closes (see LOOP_CLOSE_SECONDS in tests/conftest.py), and awaiting it would hang the test
    rather than fail it. What a client sees (the socket closed) is the same either way."""
    closing = asyncio.ensure_future(comm.disconnect())
    await asyncio.wait({closing}, timeout=seconds)


@pytest.fixture
async def connect():
    opened: list[WebsocketCommunicator] = []

    async def _connect(**kwargs) -> WebsocketCommunicator:
        comm = await communicator(**kwargs)
        connected, _ = await comm.connect()
        assert connected
        opened.append(comm)
        return comm

    yield _connect
    for comm in opened:
        with contextlib.suppress(Exception):  # already closed by the test or the server
            await disconnect_within(comm)
