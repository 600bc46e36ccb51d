"""/ws/chat/: one socket per browser tab or app, speaking the CONTRACT.md frames.

A browser authenticates with its session cookie on connect. An integrator's app sends a chat token
as the first frame, `{"type": "auth", "token": ...}` (never in the URL: access logs keep URLs); a
socket with neither within CHAT_AUTH_TIMEOUT_SECONDS, or with a bad token, is closed with 4401, and so
is a token socket whose token is revoked (explicitly or by the customer's erasure) or expires while it
is open.

The socket joins every conversation its identity may see, and re-checks when a
`conversation.check` arrives (someone joined, left, was removed or reassigned).
Every frame is validated; a bad one gets an error frame and the socket stays open.
"""

import asyncio
import collections
import contextlib
import functools
import logging
import time
from typing import Any, NamedTuple

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.join.middleware import SESSION_KEY as DEVICE_SESSION_KEY
from communities.join.services import device_group
from privtraffic.cache import redis_client
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import json_loads, parse_int

from .. import selectors
from ..moderation.services import rule_warning
from ..persona.services import persona_sender
from ..serialization import message_to_dict
from ..services import Sender, conversation_mark_read, message_find_retry, message_send, message_send_many
from . import broadcast as realtime
from . import fanout
from .layer_receive import WAKE_TYPE, receive_until_cancelled
from .tokens import chat_token_find, chat_token_group, chat_token_is_live

logger = logging.getLogger(__name__)

UNAUTHENTICATED = 4401
TYPING_INTERVAL_SECONDS = 2.0


def connect_reads(func):
    """The connect path's database reads (read-only, no transaction, nothing shared with the socket's later
    frames) run on the executor's pool rather than the one thread-sensitive thread that serialises every
    database_sync_to_async call of the process: concurrent connects overlap their PostgreSQL round trips
    instead of queueing behind each other and behind message writes.

    Cheaper than `database_sync_to_async` per hop (bench/notes.md, "Connect path"): a plain executor call
    instead of asgiref's context hand-over, and no `close_old_connections` around the call, whose reset made
    every hop's first query a `SELECT 1` health check first. A persistent connection is still never trusted
    blindly: one that died while idle (PostgreSQL restarted) fails the read, which is tried once more on a new
    connection (the reads change nothing); after an error the connection is checked as Django checks it, and
    one past DB_CONN_MAX_AGE is closed."""

    async def run(*args, **kwargs):
        call = functools.partial(_read_on_pool_thread, func, args, kwargs)
        return await asyncio.get_running_loop().run_in_executor(None, call)

    return run


def _read_on_pool_thread(func, args, kwargs):
    try:
        return func(*args, **kwargs)
    except (InterfaceError, OperationalError):
        for connection in connections.all(initialized_only=True):
            connection.close()
        return func(*args, **kwargs)
    finally:
        for connection in connections.all(initialized_only=True):
            if connection.errors_occurred or (connection.close_at is not None
                                              and time.monotonic() >= connection.close_at):
                connection.close_if_unusable_or_obsolete()


async def _redis_groups(layer, groups: list[str], channel: str, *, add: bool) -> bool:
    """On channels_redis with one Redis (every deployment of ours), join or leave all of a socket's groups in one
    pipelined round trip: the layer's group_add is two round trips per group (ZADD, then EXPIRE) and
    group_discard one (ZREM), each with its own trip through redis-py (bench/notes.md, "Connect path"). The same
    commands on the same keys as the layer's own methods. False where that does not apply (the in-memory layer,
    a sharded Redis): the caller uses the layer's methods."""
    if not isinstance(layer, RedisChannelLayer) or layer.ring_size != 1 or not groups:
        return False
    now = time.time()
    async with layer.connection(0).pipeline(transaction=False) as pipe:
        for group in groups:
            assert layer.require_valid_group_name(group), "Group name not valid"
            key = layer._group_key(group)
            if add:
                pipe.zadd(key, {channel: now})
                pipe.expire(key, layer.group_expiry)
            else:
                pipe.zrem(key, channel)
        await pipe.execute()
    return True


# Send frames written in one transaction at most, and queued per socket before it reads no more frames.
SEND_BATCH_MAX = 32
SEND_QUEUE_MAX = 256


class _SendRequest(NamedTuple):
    conversation: Any
    sender: Sender
    client_msg_id: str
    body: str


def _ref(content: Any) -> str | None:
    ref = content.get("client_msg_id") if isinstance(content, dict) else None
    return ref if isinstance(ref, str) else None


def _flood_room(sender_key: str, count: int) -> int:
    """Count `count` sends against the sender's fixed-window limit, shared by every socket and process through
    the cache; returns how many of them fit. On Redis, one round trip (INCRBY and EXPIRE NX in a pipeline)."""
    window = int(time.time() // settings.CHAT_FLOOD_WINDOW_SECONDS)
    key = f"chat-flood:{sender_key}:{window}"
    timeout = settings.CHAT_FLOOD_WINDOW_SECONDS * 2
    client = redis_client()
    if client is not None:
        full_key = cache.make_and_validate_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.incrby(full_key, count)
        pipe.expire(full_key, timeout, nx=True)
        total = pipe.execute()[0]
    else:
        cache.add(key, 0, timeout=timeout)
        total = cache.incr(key, count)
    return max(0, min(count, settings.CHAT_FLOOD_LIMIT - (total - count)))


class ChatConsumer(AsyncJsonWebsocketConsumer):
    # The client frames of CONTRACT.md and the method that handles each.
    FRAME_HANDLERS = {"send": "_on_send", "sync": "_on_sync", "read": "_on_read", "typing": "_on_typing"}

    async def connect(self):
        self.identity = selectors.ChatIdentity()
        self.authenticated = False
        self.token_id: int | None = None
        # Conversations the socket knows (id -> brand id); messages arrive through the fan-out registry, on
        # each conversation's key, or on the brand's key for brand-wide staff.
        self.joined: dict[int, int] = {}
        self.brand_wide: set[int] = set()
        self.fanout = fanout.registry()
        self.fan = fanout.Member(send=self.base_send, close=lambda code: self.close(code=code),
                                 origin=fanout.new_origin(), sees_as_staff=self._sees_as_staff)
        self.personal_groups: list[str] = []
        self._last_typing: dict[int, float] = {}
        self._auth_timer: asyncio.TimerHandle | None = None
        self._expiry_timer: asyncio.TimerHandle | None = None
        self._auth_tried = False
        self._send_queue: collections.deque = collections.deque()  # send frames not yet written (see _on_send)
        self._send_task: asyncio.Task | None = None
        self.device_id: int | None = None  # the join flow's device session this browser signed in with
        # SocketAuthMiddleware resolved scope["user"] already: a socket without a session (an app's token
        # socket) costs no database hop here.
        user = self.scope.get("user")
        identity = selectors.ChatIdentity()
        if user is not None and user.is_authenticated:
            identity = await connect_reads(self._identify_session)(user)
        await self.accept()
        if not identity.is_empty:
            await self._group_add_all(self._personal_groups(identity))
            # Read only now that the personal groups are joined: a visibility change committed from here on
            # arrives as an event that re-checks.
            visible = await connect_reads(selectors.conversation_brands_visible)(identity=identity)
            await self._start(identity, visible)
            return
        # No session: the first frame must carry a chat token, within the allowed time.
        self._auth_timer = asyncio.get_running_loop().call_later(float(settings.CHAT_AUTH_TIMEOUT_SECONDS),
                                                                 self._close_unless_authenticated)

    def _identify_session(self, user) -> selectors.ChatIdentity:
        session = self.scope.get("session")
        self.device_id = session.get(DEVICE_SESSION_KEY) if session is not None else None
        return selectors.chat_identity_for_user(user=user)

    def _close_unless_authenticated(self) -> None:
        self._auth_timer = None
        if not self.authenticated and not self._auth_tried:
            self._auth_tried = True  # a token arriving after this is too late
            self._closing = asyncio.get_running_loop().create_task(self.close(code=UNAUTHENTICATED))

    def _stop_auth_timer(self) -> None:
        if self._auth_timer is not None:
            self._auth_timer.cancel()
        self._auth_timer = None

    async def _authenticate(self, content: Any) -> None:
        """The first frame of a socket without a session: `{"type": "auth", "token": ...}` or 4401."""
        self._stop_auth_timer()
        if self._auth_tried:
            return  # one try only: later frames were in flight when the socket was refused
        self._auth_tried = True
        token = content.get("token") if isinstance(content, dict) and content.get("type") == "auth" else None
        row = await connect_reads(chat_token_find)(token)
        if row is None:
            await self.close(code=UNAUTHENTICATED)
            return
        self.token_id = row.pk
        identity = selectors.chat_identity_for_customer(customer=row.customer)
        await self._group_add_all([chat_token_group(row.customer_id), *self._personal_groups(identity)])

        # A revoke committed between the lookup and joining the groups would not reach this socket: look again,
        # in the same hop as what the customer sees (read after the groups are joined).
        visible = await connect_reads(selectors.conversation_brands_visible_to_token)(
            token_id=row.pk, customer=row.customer, now=timezone.now())
        if visible is None:
            await self.close(code=UNAUTHENTICATED)
            return
        # A timer handle, not a sleeping task per socket: it costs nothing until it fires.
        delay = max(0.0, (row.expires_at - timezone.now()).total_seconds()) + 0.05
        self._expiry_timer = asyncio.get_running_loop().call_later(delay, self._close_when_expired)
        await self._start(identity, visible)

    def _close_when_expired(self) -> None:
        """A token socket lives no longer than its token: at the expiry it closes with 4401 (the app asks
        the API for a new token and reconnects, then syncs by seq)."""
        self._expiry_timer = None
        self._closing = asyncio.get_running_loop().create_task(self.close(code=UNAUTHENTICATED))

    def _personal_groups(self, identity: selectors.ChatIdentity) -> list[str]:
        groups = [realtime.brand_staff_group(m.brand_id) for m in identity.memberships]
        groups += [realtime.customer_group(c.pk) for c in identity.customers]
        if isinstance(self.device_id, int):
            groups.append(device_group(self.device_id))
        return groups

    async def _group_add_all(self, groups: list[str]) -> None:
        """Join the channel-layer groups of per-user events, all at once (one Redis round trip)."""
        self.personal_groups += groups
        if not await _redis_groups(self.channel_layer, groups, self.channel_name, add=True):
            await asyncio.gather(*[self.channel_layer.group_add(group, self.channel_name) for group in groups])

    async def _start(self, identity: selectors.ChatIdentity, visible: list[tuple[int, int]]) -> None:
        """The socket is signed in, its personal groups joined and `visible` read after that: follow the
        conversations, then tell the client it is ready."""
        self.identity = identity
        self.authenticated = True
        await self._follow(identity, dict(visible))
        # Told only now: every subscription is live, so a message committed from here on reaches this socket.
        await self.send_json({"type": "ready", "conversations": sorted(self.joined)})

    # Channels sets `channel_receive` to the layer's receive for this socket's channel and cancels it when the
    # socket closes; the getter hands Channels a receive that stops even if the layer loses that cancellation.
    @property
    def channel_receive(self):
        return self._receive_until_cancelled

    @channel_receive.setter
    def channel_receive(self, receive) -> None:
        self._layer_receive = receive

    async def _receive_until_cancelled(self) -> dict:
        return await receive_until_cancelled(self._layer_receive, wake=self._wake_layer_receive)

    async def _wake_layer_receive(self) -> None:
        await self.channel_layer.send(self.channel_name, {"type": WAKE_TYPE})

    async def chat_layer_wake(self, event) -> None:
        """The wake-up of a receive that lost its cancellation (layer_receive.py): nothing to do."""

    async def disconnect(self, code):
        if getattr(self, "_auth_timer", None) is not None:
            self._stop_auth_timer()
        expiry = getattr(self, "_expiry_timer", None)
        if expiry is not None:
            expiry.cancel()
        send_task = getattr(self, "_send_task", None)
        if send_task is not None:
            send_task.cancel()  # what is being written still commits; the client syncs by seq when it is back
        groups = getattr(self, "personal_groups", [])
        if groups and not await _redis_groups(self.channel_layer, groups, self.channel_name, add=False):
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "fan", None) is not None:
            await self.fanout.leave(self.fan)

    def _keys_for(self, conversations: dict[int, int]) -> set[str]:
        keys = {fanout.brand_key(brand_id) for brand_id in self.brand_wide}
        keys |= {fanout.conversation_key(cid) for cid, brand_id in conversations.items() if brand_id not in self.brand_wide}
        return keys

    async def _follow(self, identity: selectors.ChatIdentity, visible: dict[int, int]) -> None:
        """Make the fan-out keys match what the identity sees now (a brand key replaces that brand's conversations)."""
        self.brand_wide = identity.brand_wide_ids
        wanted = self._keys_for(visible)
        await self.fanout.leave(self.fan, self.fan.keys - wanted)
        await self.fanout.join(self.fan, wanted - self.fan.keys)
        self.joined = dict(visible)

    async def _join(self, conversation_id: int, brand_id: int) -> None:
        if brand_id not in self.brand_wide:
            await self.fanout.join(self.fan, [fanout.conversation_key(conversation_id)])
        self.joined[conversation_id] = brand_id

    async def _leave(self, conversation_id: int) -> None:
        await self.fanout.leave(self.fan, [fanout.conversation_key(conversation_id)])
        self.joined.pop(conversation_id, None)

    # --- client frames --------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:  # bounded depth; NUL bytes and lone surrogates refused (they cannot be stored)
            content = json_loads(text_data or "", where="frame")
        except ApplicationError as exc:
            if not self.authenticated:
                await self._authenticate(None)
                return
            await self._sends_written()
            if exc.code == "parse_error":
                await self._error("bad_frame", _("Frames must be JSON objects."))
            else:
                await self._error(exc.code, exc.message)
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs):
        if not self.authenticated:
            await self._authenticate(content)
            return
        if not (isinstance(content, dict) and content.get("type") == "send"):
            await self._sends_written()  # frames are answered in the order they came: earlier sends first
        if isinstance(content, dict) and content.get("type") == "auth":
            await self._error("already_authenticated", _("This socket is already signed in."))
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("bad_frame", _("Frames must be JSON objects with a type."))
            return
        handler_name = self.FRAME_HANDLERS.get(content["type"])
        handler = getattr(self, handler_name) if handler_name else None
        ref = content.get("client_msg_id") if isinstance(content.get("client_msg_id"), str) else None
        if handler is None:
            await self._error("unknown_type", _("Unknown frame type %(type)s.") % {"type": content["type"][:40]}, ref)
            return
        try:
            await handler(content)
        except ApplicationError as exc:
            await self._error(exc.code, exc.message, ref)
        except Exception:
            logger.exception("chat frame failed")
            await self._error("server_error", _("Something went wrong; try again."), ref)

    def _conversation_id(self, content: dict) -> int:
        try:
            return parse_int(content.get("conversation"), "conversation", minimum=1, strings=False)
        except ApplicationError:
            raise ApplicationError("invalid", _("conversation must be a conversation id."))

    def _conversation(self, content: dict):
        return selectors.conversation_get(identity=self.identity, conversation_id=self._conversation_id(content))

    def _sees_as_staff(self, brand_id) -> bool:
        """Whether this socket speaks for the brand's staff (who see who really sent a persona message)."""
        return self.identity.customer_in(brand_id) is None and self.identity.membership_in(brand_id) is not None

    def _sender_for(self, conversation, *, as_persona: bool = False) -> Sender:
        customer = self.identity.customer_in(conversation.brand_id)
        if customer is not None:
            return Sender.of_customer(customer)
        membership = self.identity.membership_in(conversation.brand_id)
        if membership is None:
            raise ApplicationError.not_found("conversation")
        # Re-read: a deactivation or role change since connect must take effect on the next frame.
        membership = selectors.staff_membership_reload(membership=membership)
        if as_persona:
            return persona_sender(brand=conversation.brand, membership=membership)
        return Sender.of_staff(membership)

    # --- send frames: queued per socket, written in batches -------------------------------------
    #
    # A `send` frame does not hold up the socket's frame loop: it joins the socket's send queue, and one task per
    # socket writes what is queued in one hop to a pool thread (all of it, up to SEND_BATCH_MAX, in one
    # transaction: one seq lock, one commit, one relay check and one Redis round trip for all the live frames),
    # then acks each frame in the order it came. A client that pipelines its sends gets them written together
    # instead of one round trip after another; one that waits for each ack sees no change. Every other frame
    # waits until the socket's earlier sends are acked (a sync after a send sees the message).

    async def _on_send(self, content: dict) -> None:
        self._send_queue.append(content)
        if self._send_task is None or self._send_task.done():
            self._send_task = asyncio.get_running_loop().create_task(self._run_sends())
        elif len(self._send_queue) >= SEND_QUEUE_MAX:
            await asyncio.wait({self._send_task})  # back-pressure: read no more frames until these are written

    async def _sends_written(self) -> None:
        """Wait until every send frame received so far is written and answered."""
        while self._send_task is not None and not self._send_task.done():
            await asyncio.wait({self._send_task})

    async def _run_sends(self) -> None:
        queue = self._send_queue
        while queue:
            batch = [queue.popleft() for _ in range(min(len(queue), SEND_BATCH_MAX))]
            try:
                replies = await database_sync_to_async(self._send_batch, thread_sensitive=False)(batch)
            except Exception:
                logger.exception("chat send batch failed")
                replies = [[self._error_frame("server_error", _("Something went wrong; try again."), _ref(c))]
                           for c in batch]
            for frames in replies:
                for frame in frames:
                    await self.send_json(frame)

    def _send_batch(self, batch: list[Any]) -> list[list[dict]]:
        """Write a batch of one socket's send frames (sync, on a pool thread); the frames to answer each with.

        All of them in one transaction, each in a savepoint of message_send's own; if the transaction fails as a
        whole (a deadlock, a lost connection, a bug), nothing of it is committed and each send is tried again
        alone in a transaction of its own. The live frames of the batch go out together after the commit.
        """
        replies: list[list[dict]] = [[] for _ in batch]
        todo: list[tuple[int, _SendRequest]] = []
        contexts: dict[tuple[int, bool], tuple[Any, Sender]] = {}
        for index, content in enumerate(batch):
            try:
                todo.append((index, self._send_request(content, contexts)))
            except ApplicationError as exc:
                replies[index] = [self._error_frame(exc.code, exc.message, _ref(content))]
        todo = self._flood_filter(todo, replies)
        if len(todo) == 1:  # a lone send: message_send's own transaction (no savepoint, no bulk statements)
            index, request = todo[0]
            replies[index] = self._send_alone(request, own_transaction=False)
            return replies
        with realtime.publishes_collected():
            try:
                with transaction.atomic():
                    # Consecutive sends to the same conversation as the same sender are written together.
                    run: list[tuple[int, _SendRequest]] = []
                    for item in [*todo, None]:
                        if run and (item is None or item[1].conversation is not run[0][1].conversation
                                    or item[1].sender != run[0][1].sender):
                            first = run[0][1]
                            results = message_send_many(conversation=first.conversation, sender=first.sender,
                                                        texts=[(r.body, r.client_msg_id) for _i, r in run])
                            for (index, request), result in zip(run, results, strict=True):
                                replies[index] = self._reply(request, result)
                            run = []
                        if item is not None:
                            run.append(item)
            except Exception:
                if len(todo) > 1:
                    logger.warning("chat send batch rolled back; sending one by one", exc_info=True)
                for index, request in todo:
                    replies[index] = self._send_alone(request, own_transaction=True)
        return replies

    def _send_alone(self, request: "_SendRequest", *, own_transaction: bool) -> list[dict]:
        """`_send_one`, in a transaction of its own when asked; a failure other than a refusal is answered
        with a server_error frame for that send alone."""
        try:
            with transaction.atomic() if own_transaction else contextlib.nullcontext():
                return self._send_one(request)
        except Exception:
            logger.exception("chat frame failed")
            return [self._error_frame("server_error", _("Something went wrong; try again."), request.client_msg_id)]

    def _send_request(self, content: Any, contexts: dict) -> "_SendRequest":
        """Check one send frame and resolve its conversation and sender (once per conversation in a batch)."""
        client_msg_id = content.get("client_msg_id")
        if not isinstance(client_msg_id, str) or not client_msg_id.strip():
            raise ApplicationError("invalid", _("client_msg_id is required."))
        if not isinstance(content.get("body"), str):
            raise ApplicationError("invalid", _("body must be text."))
        speak_as = content.get("as")
        if speak_as not in (None, "me", "persona"):
            raise ApplicationError("invalid", _("as must be \"persona\" or left out."))
        as_persona = speak_as == "persona"
        key = (self._conversation_id(content), as_persona)
        if key not in contexts:
            conversation = self._conversation(content)
            if as_persona and not self._sees_as_staff(conversation.brand_id):
                raise ApplicationError.forbidden(_("Only the brand's staff speak as the brand persona."))
            contexts[key] = (conversation, self._sender_for(conversation, as_persona=as_persona))
        conversation, sender = contexts[key]
        return _SendRequest(conversation, sender, client_msg_id, content["body"])

    def _flood_filter(self, todo: list, replies: list[list[dict]]) -> list:
        """The sends the flood limit lets through: one count per sender for the batch; a send refused by it
        still goes through if it is a retry of a stored message (its client_msg_id is looked up only then)."""
        by_sender: dict[str, list] = {}
        for item in todo:
            by_sender.setdefault(item[1].sender.key, []).append(item)
        allowed = set()
        for sender_key, items in by_sender.items():
            room = _flood_room(sender_key, len(items))
            for position, (index, request) in enumerate(items):
                if position < room or message_find_retry(conversation=request.conversation, sender=request.sender,
                                                         client_msg_id=request.client_msg_id):
                    allowed.add(index)
                else:
                    replies[index] = [self._error_frame(
                        "rate_limited", _("You are sending too fast. Wait a few seconds."), request.client_msg_id)]
        return [item for item in todo if item[0] in allowed]

    def _send_one(self, request: "_SendRequest") -> list[dict]:
        """One frame alone, through message_send (a batch that failed as a whole is written this way)."""
        try:
            message = message_send(conversation=request.conversation, sender=request.sender, body=request.body,
                                   client_msg_id=request.client_msg_id)
        except ApplicationError as exc:
            message = exc
        return self._reply(request, message)

    def _reply(self, request: "_SendRequest", result) -> list[dict]:
        """The frames answering one send: its ack (and a moderation notice), or its refusal."""
        if isinstance(result, ApplicationError):
            return [self._error_frame(result.code, result.message, request.client_msg_id)]
        frames = [{"type": "ack", "client_msg_id": request.client_msg_id,
                   "message": message_to_dict(result, staff=self._sees_as_staff(request.conversation.brand_id))}]
        if result.hidden_reason:
            frames.append(self._error_frame("moderated", rule_warning(result.hidden_reason), request.client_msg_id))
        return frames

    async def _on_sync(self, content: dict) -> None:
        try:
            after_seq = parse_int(content.get("after_seq", 0), "after_seq", strings=False)
        except ApplicationError:
            raise ApplicationError("invalid", _("after_seq must be a whole number."))

        def load():
            conversation = self._conversation(content)
            page = selectors.message_list(conversation=conversation, after_seq=after_seq,
                                          limit=selectors.SYNC_PAGE_SIZE + 1)
            staff = self._sees_as_staff(conversation.brand_id)
            return (conversation.pk, conversation.brand_id,
                    [message_to_dict(m, staff=staff) for m in page[: selectors.SYNC_PAGE_SIZE]],
                    len(page) > selectors.SYNC_PAGE_SIZE)

        conversation_id, brand_id, messages, has_more = await database_sync_to_async(load)()
        if conversation_id not in self.joined:
            await self._join(conversation_id, brand_id)
        await self.send_json({"type": "sync", "conversation": conversation_id, "messages": messages, "has_more": has_more})

    async def _on_read(self, content: dict) -> None:
        try:
            seq = parse_int(content.get("seq"), "seq", strings=False)
        except ApplicationError:
            raise ApplicationError("invalid", _("seq must be a whole number."), fields={"seq": [_("Not a number.")]})

        def mark():
            conversation = self._conversation(content)
            key = self.identity.participant_key_for(conversation)
            return conversation_mark_read(conversation=conversation, participant_key=key,
                                          reader_name=self._sender_for(conversation).name, seq=seq)

        await database_sync_to_async(mark)()

    async def _on_typing(self, content: dict) -> None:
        conversation_id = self._conversation_id(content)
        if conversation_id not in self.joined:
            raise ApplicationError.not_found("conversation")
        now = time.monotonic()
        if now - self._last_typing.get(conversation_id, 0.0) < TYPING_INTERVAL_SECONDS:
            return  # typing is a hint: extra frames are dropped, not errors

        self._last_typing[conversation_id] = now

        def tell():
            conversation = self._conversation(content)
            # A rep typing as the persona shows as the persona: customers never learn who is behind it.
            as_persona = content.get("as") == "persona" and self._sees_as_staff(conversation.brand_id)
            sender = self._sender_for(conversation, as_persona=as_persona)
            who = ({"key": f"persona:{sender.persona.pk}", "name": sender.name} if sender.persona is not None
                   else {"key": sender.key, "name": sender.name})
            event = {"type": "chat.typing", "conversation": conversation_id, "who": who}
            fanout.publish(realtime.conversation_payloads(conversation.brand_id, conversation_id, event,
                                                          origin=self.fan.origin))

        await database_sync_to_async(tell)()

    @staticmethod
    def _error_frame(code: str, message: str, ref: str | None = None) -> dict:
        return {"type": "error", "code": code, "message": str(message), "ref": ref}

    async def _error(self, code: str, message: str, ref: str | None = None) -> None:
        await self.send_json(self._error_frame(code, message, ref))

    # --- channel-layer events ---------------------------------------------------------------

    async def chat_device_revoked(self, event):
        """The device session this socket's browser signed in with ended ("forget this device", erasure)."""
        await self.close(code=UNAUTHENTICATED)

    async def chat_token_revoked(self, event):
        """The customer's tokens were revoked or the customer erased: a socket opened with a dead token closes."""
        if self.token_id is not None and not await database_sync_to_async(chat_token_is_live)(self.token_id):
            await self.close(code=UNAUTHENTICATED)

    async def chat_note(self, event):
        """A private note of the team: only to staff sockets of the brand that see the conversation."""
        if event["conversation"] in self.joined and self._sees_as_staff(event.get("brand")):
            await self.send_json({"type": "note", "conversation": event["conversation"], "note": event["note"]})

    async def conversation_check(self, event):
        conversation_id = event["conversation"]
        identity = await database_sync_to_async(self._refresh_identity)()
        brand_id = await database_sync_to_async(selectors.conversation_brand_if_visible)(
            identity=identity, conversation_id=conversation_id)
        visible = brand_id is not None
        if visible and conversation_id not in self.joined:
            await self._join(conversation_id, brand_id)
            await self.send_json({"type": "conversation.added", "conversation": conversation_id})
        elif not visible and conversation_id in self.joined:
            await self._leave(conversation_id)
            await self.send_json({"type": "conversation.removed", "conversation": conversation_id})

    async def identity_refresh(self, event):
        """Roles or stores changed: re-read the identity and bring the joined set in line with it."""
        identity = await database_sync_to_async(self._refresh_identity)()
        if identity.is_empty:
            await self.close(code=UNAUTHENTICATED)
            return
        visible = dict(await database_sync_to_async(selectors.conversation_brands_visible)(identity=identity))
        before = set(self.joined)
        await self._follow(identity, visible)
        for conversation_id in sorted(visible.keys() - before):
            await self.send_json({"type": "conversation.added", "conversation": conversation_id})
        for conversation_id in sorted(before - visible.keys()):
            await self.send_json({"type": "conversation.removed", "conversation": conversation_id})

    def _refresh_identity(self) -> selectors.ChatIdentity:
        # Roles and memberships change while a socket is open; re-read them for visibility decisions.
        if self.identity.user is not None:
            self.identity = selectors.chat_identity_for_user(user=self.identity.user)
        return self.identity
