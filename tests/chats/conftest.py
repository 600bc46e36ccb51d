import contextlib

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings

from privtraffic.asgi import application
from tests.helpers import session_cookie


async def communicator(*, user=None, token: str | None = None, origin: str = "http://testserver") -> WebsocketCommunicator:
    path = "/ws/chat/" + (f"?token={token}" if token else "")
    headers = [(b"host", b"testserver"), (b"origin", origin.encode())]
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def receive_until(comm: WebsocketCommunicator, frame_type: str, timeout: float = 3) -> dict:
    """Skip unrelated frames until one of this type arrives."""
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        if frame["type"] == frame_type:
            return frame


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
            await comm.disconnect()
