"""A chat app's socket client for the fault tests (asyncio `websockets`, compression off), speaking the CONTRACT.md
frames the way an integrator's app should: a chat token in the first frame; on `ready`, `sync` from the last seq
it holds without a gap; a live frame past a gap asks for a sync too; a dropped connection is reopened with
exponential backoff; sends wait in a queue keyed by client_msg_id and are sent again after a reconnect until
acknowledged (the server answers a repeat with the first message).
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

FIRST_BACKOFF, MAX_BACKOFF = 0.2, 2.0


class ChatClient:
    def __init__(self, url: str, token: str, *, conversation: int, after_seq: int):
        self.url, self.token, self.conversation = url, token, conversation
        self.after = after_seq  # every seq up to this one is held
        self.by_seq: dict[int, int] = {}  # seq -> message id
        self.conflicts: list[tuple[int, int, int]] = []  # one seq seen with two message ids
        self.readies = 0
        self.closes: list[int | None] = []
        self.errors: list[dict] = []
        self.pending: dict[str, str] = {}  # client_msg_id -> body, until acknowledged
        self.acked: dict[str, int] = {}  # client_msg_id -> message id
        self.ws = None
        self._syncing = False

    # --- what the test looks at ---

    def holds_through(self, seq: int) -> bool:
        return self.after >= seq

    # --- sending ---

    async def submit(self, client_msg_id: str, body: str) -> None:
        self.pending[client_msg_id] = body
        await self._send_one(client_msg_id)

    async def _send_one(self, client_msg_id: str) -> None:
        ws = self.ws
        if ws is None:
            return  # sent after the next `ready`
        with contextlib.suppress(WebSocketException, OSError):
            await ws.send(json.dumps({"type": "send", "conversation": self.conversation,
                                      "client_msg_id": client_msg_id, "body": self.pending[client_msg_id]}))

    # --- receiving ---

    def _note(self, message: dict) -> None:
        if message.get("conversation") != self.conversation:
            return
        seq, mid = message["seq"], message["id"]
        first = self.by_seq.setdefault(seq, mid)
        if first != mid:
            self.conflicts.append((seq, first, mid))
        while self.after + 1 in self.by_seq:
            self.after += 1

    async def _sync(self, ws) -> None:
        self._syncing = True
        await ws.send(json.dumps({"type": "sync", "conversation": self.conversation, "after_seq": self.after}))

    async def _handle(self, ws, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "ready":
            self.readies += 1
            self.ws = ws
            await self._sync(ws)
            for client_msg_id in list(self.pending):
                await self._send_one(client_msg_id)
        elif kind == "message":
            self._note(frame["message"])
            if frame["message"]["seq"] > self.after + 1 and not self._syncing:
                await self._sync(ws)  # a gap: fetch what is missing
        elif kind == "ack":
            self._note(frame["message"])
            self.acked[frame["client_msg_id"]] = frame["message"]["id"]
            self.pending.pop(frame["client_msg_id"], None)
        elif kind == "sync":
            self._syncing = False
            for message in frame["messages"]:
                self._note(message)
            if frame["has_more"] or (self.by_seq and max(self.by_seq) > self.after):
                await self._sync(ws)
        elif kind == "error":
            self.errors.append(frame)
            if frame.get("ref") in self.pending:  # not stored (e.g. a dependency down): try again later
                asyncio.get_running_loop().call_later(1.0, lambda ref=frame["ref"]: asyncio.ensure_future(
                    self._send_one(ref)) if ref in self.pending else None)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = FIRST_BACKOFF
        origin = f"http://{urlsplit(self.url).netloc}"
        while not stop.is_set():
            try:
                async with connect(self.url, origin=origin, compression=None, open_timeout=15, ping_interval=None,
                                   max_queue=None) as ws:
                    await ws.send(json.dumps({"type": "auth", "token": self.token}))
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame.get("type") == "ready":
                            backoff = FIRST_BACKOFF
                        await self._handle(ws, frame)
                        if stop.is_set():
                            break
                    self.closes.append(ws.close_code)
            except (OSError, WebSocketException, TimeoutError):
                self.closes.append(None)
            self.ws = None
            self._syncing = False
            if stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)


async def until(predicate, timeout: float, what: str) -> None:
    """Wait until `predicate()` holds, or fail naming `what`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running_clients(url: str, tokens: list[str], *, conversation: int, after_seq: int,
                          ready_within: float = 60) -> AsyncIterator[list[ChatClient]]:
    """One ChatClient per token, running until the block ends; entered once every one of them is ready."""
    stop = asyncio.Event()
    clients = [ChatClient(url, token, conversation=conversation, after_seq=after_seq) for token in tokens]
    tasks = [asyncio.ensure_future(client.run(stop)) for client in clients]
    try:
        await until(lambda: all(c.readies for c in clients), ready_within, "every client ready")
        yield clients
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
