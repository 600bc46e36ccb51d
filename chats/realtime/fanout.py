"""Conversation fan-out at O(processes): one publish per conversation, one subscription per process.

A message to a conversation is encoded once (orjson) by whoever committed it and published once, on the
conversation's key and on its brand's key. Each ASGI process holds a registry of its local sockets per key
(`c:<conversation id>` for a socket that joined that conversation, `b:<brand id>` for a brand-wide staff
socket, which sees every conversation of its brand without joining them one by one) and, on the Redis
layer, one pub/sub subscription per key that has a local socket. A published frame reaches each process
once; the process hands the same text to every local socket's writer.

On the in-memory layer (the embedded default, one process) the same registry is fed directly.

The channel layer stays the path for per-user events (visibility changes, identity refreshes, token
revocation). Like the channel layer, this is a fast path, never the source of truth: a socket that
reconnects or sees a gap syncs by seq.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import threading
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson
from django.conf import settings

logger = logging.getLogger(__name__)

# Frames queued for one socket before it counts as stuck and is closed (it reconnects and syncs by seq).
MAX_PENDING_FRAMES = 2000
SUBSCRIBE_TIMEOUT_SECONDS = 5.0
# Close code for sockets whose process lost its Redis subscription: reconnect and resync (RFC 6455 1012).
SERVICE_RESTART = 1012
TRY_AGAIN_LATER = 1013


_process_tag = uuid.uuid4().hex[:12]
_origins = itertools.count(1)


def new_origin() -> str:
    """A socket's name in published payloads, unique across processes (one random tag per process, then a
    counter: no randomness per socket)."""
    return f"{_process_tag}.{next(_origins)}"


def conversation_key(conversation_id: int) -> str:
    return f"c:{conversation_id}"


def brand_key(brand_id: int) -> str:
    return f"b:{brand_id}"


# Separates the frame everyone gets from the staff's view of the same event (a persona message: staff also see
# who really sent it). orjson escapes control characters inside strings, so these bytes never occur in a frame.
STAFF_VIEW = b"\x1e"
BRAND_END = b"\x1f"


def encode_frame(frame: dict[str, Any], origin: str = "", *, staff_frame: dict[str, Any] | None = None,
                 brand_id: int | None = None) -> bytes:
    """The published payload: the sender's socket (skipped on delivery, for typing) and the frame text, each
    encoded once; with `staff_frame`, the staff's view follows for the brand's staff sockets only."""
    payload = origin.encode() + b"\n" + orjson.dumps(frame, default=str)
    if staff_frame is not None:
        payload += STAFF_VIEW + str(brand_id).encode() + BRAND_END + orjson.dumps(staff_frame, default=str)
    return payload


def _layer() -> tuple[str, dict[str, Any] | None, str]:
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if "redis" in layer.get("BACKEND", "").lower():
        config = layer.get("CONFIG", {})
        host = config["hosts"][0]
        host = dict(host) if isinstance(host, dict) else {"address": host}
        return "redis", host, config.get("prefix", "asgi")
    return "memory", None, ""


def _redis_channel(prefix: str, key: str) -> str:
    return f"{prefix}:fan:{key}"


# --- publishing (sync code, after commit) -----------------------------------------------------------

_publishers: dict[str, Any] = {}
_publishers_lock = threading.Lock()


def _publisher(host: dict[str, Any]):
    import redis

    address = host["address"]
    with _publishers_lock:
        client = _publishers.get(address)
        if client is None:
            options = {k: v for k, v in host.items() if k != "address"}
            client = _publishers[address] = redis.Redis.from_url(address, **options)
        return client


def publish(items: Iterable[tuple[str, bytes]]) -> None:
    """Hand each (key, payload) to every process with a socket on that key: one Redis round trip in all."""
    items = list(items)
    if not items:
        return
    kind, host, prefix = _layer()
    if kind == "redis":
        pipe = _publisher(host).pipeline(transaction=False)
        for key, payload in items:
            pipe.publish(_redis_channel(prefix, key), payload)
        pipe.execute()
        return
    for registry in _memory_registries():
        registry.deliver_threadsafe(items)


# --- one socket -----------------------------------------------------------------------------------

class _Resume:
    """Awaits a coroutine whose first step already ran and suspended on `yielded` (what a Task would do with it
    from there on: hand each yielded future up, send results and throw exceptions, cancellation included, down)."""

    __slots__ = ("coro", "yielded")

    def __init__(self, coro, yielded):
        self.coro = coro
        self.yielded = yielded

    def __await__(self):
        coro, yielded = self.coro, self.yielded
        while True:
            try:
                sent = yield yielded
            except BaseException as exc:
                try:
                    yielded = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    yielded = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


class Member:
    """One socket's end of the fan-out: its frames are written in order, at once where the socket's send does
    not wait, else queued behind the one write that waits and written by one task.

    Writing at once matters at fan-out scale: uvicorn's websocket send completes without suspending (it hands
    the frame to the transport's buffer), so a task wake-up and a future per socket per frame were pure
    overhead (bench/notes.md, S1). A send that does suspend (backpressure, a test's queue) is finished by the
    writer task, and every frame pushed meanwhile waits behind it."""

    __slots__ = ("_send", "_close", "origin", "sees_as_staff", "keys", "_pending", "_task", "__weakref__")

    def __init__(self, *, send: Callable[[dict], Awaitable[None]], close: Callable[[int], Awaitable[None]],
                 origin: str = "", sees_as_staff: Callable[[int], bool] = lambda brand_id: False):
        self._send = send
        self._close = close
        self.origin = origin
        # Whether this socket gets the staff's view of a brand's events (who really sent a persona message).
        self.sees_as_staff = sees_as_staff
        self.keys: set[str] = set()
        self._pending: collections.deque = collections.deque()
        self._task: asyncio.Task | None = None

    def push(self, message: dict, origin: str) -> None:
        if origin and origin == self.origin:
            return
        if self._task is None:
            self._write_now(message)
            return
        if len(self._pending) >= MAX_PENDING_FRAMES:
            self._pending.clear()
            self._task.cancel()
            asyncio.get_running_loop().create_task(self._close(TRY_AGAIN_LATER))
            return
        self._pending.append(message)

    def _write_now(self, message: dict) -> None:
        """Run the send's first step here; if it suspends, the writer task finishes it (later frames queue)."""
        sending = self._send(message)
        try:
            yielded = sending.send(None)
        except StopIteration:
            return
        except Exception:  # the socket went away under us; disconnect() cleans up
            logger.debug("fan-out write failed", exc_info=True)
            return
        self._task = asyncio.get_running_loop().create_task(self._write(_Resume(sending, yielded)))

    def close_soon(self, code: int) -> None:
        asyncio.get_running_loop().create_task(self._close(code))

    async def _write(self, first: _Resume) -> None:
        pending = self._pending
        try:
            await first
            while pending:
                await self._send(pending.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket went away under us; disconnect() cleans up
            logger.debug("fan-out writer stopped", exc_info=True)
            pending.clear()
        finally:
            if self._task is asyncio.current_task():
                self._task = None  # caught up: the next frame is written at once again

    def stop(self) -> None:
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        self._task = None
        self._pending.clear()


# --- the registry of one event loop (one per ASGI process in production) --------------------------

class Registry:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.members: dict[str, set[Member]] = {}
        self.kind, host, self.prefix = _layer()
        self.subscriber = RedisSubscriber(self, host, self.prefix) if self.kind == "redis" else None

    async def join(self, member: Member, keys: Iterable[str]) -> None:
        """Register the socket on each key; returns once every key's subscription is live."""
        fresh, waits = [], []
        for key in keys:
            if key in member.keys:
                continue
            member.keys.add(key)
            local = self.members.get(key)
            if local is None:
                local = self.members[key] = set()
                fresh.append(key)
            local.add(member)
            if self.subscriber is not None:
                waits.append(key)
        if self.subscriber is not None and waits:
            await self.subscriber.ensure(fresh, waits)

    async def leave(self, member: Member, keys: Iterable[str] | None = None) -> None:
        gone = []
        for key in list(member.keys if keys is None else keys):
            member.keys.discard(key)
            local = self.members.get(key)
            if local is None:
                continue
            local.discard(member)
            if not local:
                del self.members[key]
                gone.append(key)
        if keys is None:
            member.stop()
        if self.subscriber is not None and gone:
            await self.subscriber.drop(gone)

    def deliver(self, key: str, payload: bytes) -> None:
        local = self.members.get(key)
        if not local:
            return
        origin, _, rest = payload.partition(b"\n")
        frame, staff_view, staff_part = rest.partition(STAFF_VIEW)
        message = {"type": "websocket.send", "text": frame.decode()}
        origin_text = origin.decode() if origin else ""
        if not staff_view:
            for member in tuple(local):
                member.push(message, origin_text)
            return
        brand, _, staff_frame = staff_part.partition(BRAND_END)
        brand_id, staff_message = int(brand), {"type": "websocket.send", "text": staff_frame.decode()}
        for member in tuple(local):
            member.push(staff_message if member.sees_as_staff(brand_id) else message, origin_text)

    def deliver_threadsafe(self, items: list[tuple[str, bytes]]) -> None:
        wanted = [(key, payload) for key, payload in items if key in self.members]
        if wanted and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._deliver_all, wanted)

    def _deliver_all(self, items: list[tuple[str, bytes]]) -> None:
        for key, payload in items:
            self.deliver(key, payload)

    def every_member(self) -> set[Member]:
        return {member for local in self.members.values() for member in local}


_registries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_registries_lock = threading.Lock()


def registry() -> Registry:
    """This event loop's registry (the ASGI process has one loop; tests get one per test)."""
    loop = asyncio.get_running_loop()
    with _registries_lock:
        found = _registries.get(loop)
        if found is None or found.kind != _layer()[0]:
            found = _registries[loop] = Registry(loop)
        return found


def _memory_registries() -> list[Registry]:
    with _registries_lock:
        return [r for r in _registries.values() if r.kind == "memory"]


# --- Redis pub/sub: one connection per process, subscribed to the keys with local sockets ------------

def _strict_pubsub_class():
    from redis.asyncio.client import PubSub

    class StrictPubSub(PubSub):
        """No silent re-subscribe: frames published while the connection was down would be lost unnoticed."""

        connects = 0

        async def on_connect(self, connection):
            self.connects += 1
            if self.connects > 1:
                raise ConnectionError("the fan-out subscription reconnected")
            return await super().on_connect(connection)

    return StrictPubSub


class _LazyStrictPubSub:
    cls = None

    def __call__(self, *args, **kwargs):
        if self.cls is None:
            self.cls = _strict_pubsub_class()
        return self.cls(*args, **kwargs)


_StrictPubSub = _LazyStrictPubSub()


class RedisSubscriber:
    def __init__(self, registry: Registry, host: dict[str, Any], prefix: str):
        self.registry = registry
        self.host = host
        self.prefix = prefix
        self.channel_prefix = f"{prefix}:fan:"
        self.pubsub = None
        self.client = None
        self.task: asyncio.Task | None = None
        self.confirmed: set[str] = set()
        self.waiters: dict[str, list[asyncio.Future]] = {}
        self.lock = asyncio.Lock()

    def _channel(self, key: str) -> str:
        return self.channel_prefix + key

    async def _connect(self) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        options = {k: v for k, v in self.host.items() if k != "address"}
        options.pop("health_check_interval", None)  # the reader pings on its own schedule
        # No silent reconnect: frames published while the connection was down would be lost unnoticed.
        options["retry_on_timeout"] = False
        options["retry"] = Retry(NoBackoff(), 0)
        self.client = aioredis.Redis.from_url(self.host["address"], **options)
        pubsub = _StrictPubSub(self.client.connection_pool)
        self.pubsub = pubsub

    async def ensure(self, fresh: list[str], keys: list[str]) -> None:
        loop = asyncio.get_running_loop()
        futures = []
        for key in keys:
            if key in self.confirmed:
                continue
            future = loop.create_future()
            self.waiters.setdefault(key, []).append(future)
            futures.append(future)
        if not futures:
            return
        async with self.lock:
            # Only keys that still have a local socket: a subscription lost while this join waited for the lock
            # has emptied the registry (and failed these futures), and SUBSCRIBE takes at least one channel.
            if self.task is None or self.task.done():
                channels = [self._channel(k) for k in self.registry.members]
                if channels:
                    await self._connect()
                    await self.pubsub.subscribe(*channels)
                    self.task = loop.create_task(self._read())
            elif fresh:
                channels = [self._channel(k) for k in fresh if k in self.registry.members]
                if channels:
                    await self.pubsub.subscribe(*channels)
        try:
            await asyncio.wait_for(asyncio.gather(*futures), SUBSCRIBE_TIMEOUT_SECONDS)
        except TimeoutError:
            raise ConnectionError("the fan-out subscription did not answer")

    async def drop(self, keys: list[str]) -> None:
        for key in keys:
            self.confirmed.discard(key)
        if self.pubsub is None or self.task is None or self.task.done():
            return
        async with self.lock:
            if not self.registry.members:  # nothing left to listen for: close the connection
                await self._shutdown()
                return
            try:
                await self.pubsub.unsubscribe(*[self._channel(k) for k in keys if k not in self.registry.members])
            except Exception:
                logger.debug("fan-out unsubscribe failed", exc_info=True)

    async def _shutdown(self) -> None:
        task, self.task = self.task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # cancelled, or failed already
                await task
        pubsub, client, self.pubsub, self.client = self.pubsub, self.client, None, None
        self.confirmed.clear()
        try:
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()
        except Exception:
            logger.debug("fan-out close failed", exc_info=True)

    async def _read(self) -> None:
        pubsub = self.pubsub
        prefix_length = len(self.channel_prefix)
        idle = 0.0
        try:
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if asyncio.current_task().cancelling():
                    # redis-py's get_message can swallow a cancellation: end anyway, or the loop never stops.
                    raise asyncio.CancelledError
                if message is None:
                    idle += 1.0
                    if idle >= 15:  # a dead connection shows itself on the ping
                        idle = 0.0
                        await pubsub.ping()
                    continue
                idle = 0.0
                kind = message["type"]
                if kind not in ("message", "subscribe"):
                    continue  # pong, unsubscribe
                channel = message["channel"]
                key = (channel.decode() if isinstance(channel, bytes) else channel)[prefix_length:]
                if kind == "message":
                    self.registry.deliver(key, message["data"])
                else:
                    self.confirmed.add(key)
                    for future in self.waiters.pop(key, ()):
                        if not future.done():
                            future.set_result(None)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("fan-out subscription lost; local sockets reconnect and resync", exc_info=True)
            self._lost()

    def _lost(self) -> None:
        """Frames may have been missed: every local socket is closed with 1012 and resyncs by seq on reconnect."""
        self.confirmed.clear()
        for futures in self.waiters.values():
            for future in futures:
                if not future.done():
                    future.set_exception(ConnectionError("fan-out subscription lost"))
        self.waiters.clear()
        members = self.registry.every_member()
        self.registry.members.clear()
        for member in members:
            member.keys.clear()
            member.stop()
            member.close_soon(SERVICE_RESTART)
        pubsub, client, self.pubsub, self.client = self.pubsub, self.client, None, None
        self.task = None

        async def close():
            with contextlib.suppress(Exception):  # the connection is broken already
                if pubsub is not None:
                    await pubsub.aclose()
                if client is not None:
                    await client.aclose()

        self.registry.loop.create_task(close())
