"""Channel-layer names and the broadcasts that go out after commit.

The live path is fast, never the source of truth: every broadcast follows a committed write, and a client
that missed one asks `sync` for it. Frames of a conversation (messages, read receipts, typing) go through
the fan-out (fanout.py): published once per conversation, encoded once, O(processes). Per-user events
(visibility changes, identity refreshes, token revocation) stay on the channel layer's groups.
"""

import asyncio
import contextlib
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import fanout

logger = logging.getLogger(__name__)

CONVERSATION_PREFIX = "conv."


def conversation_group(conversation_id: int) -> str:
    return f"{CONVERSATION_PREFIX}{conversation_id}"


def brand_staff_group(brand_id: int) -> str:
    return f"brandstaff.{brand_id}"


def customer_group(customer_id: int) -> str:
    return f"customer.{customer_id}"


def conversation_frame(event: dict[str, Any]) -> dict[str, Any]:
    """The CONTRACT.md frame for a conversation event (chat.message, chat.read, chat.typing, chat.card)."""
    kind = event["type"]
    if kind == "chat.message":
        return {"type": "message", "message": event["message"]}
    if kind == "chat.read":
        return {"type": "read", "conversation": event["conversation"], "seq": event["seq"], "reader": event["reader"]}
    if kind == "chat.typing":
        return {"type": "typing", "conversation": event["conversation"], "who": event["who"]}
    if kind == "chat.card":
        return {"type": "card", "conversation": event["conversation"], "kind": event["kind"], "ref": event["ref"]}
    raise ValueError(f"not a conversation event: {kind}")


def conversation_payloads(brand_id: int, conversation_id: int, event: dict[str, Any],
                          origin: str = "") -> list[tuple[str, bytes]]:
    """One encoding of the frame, published on the conversation's key and its brand's (brand-wide staff)."""
    staff_frame = {"type": "message", "message": event["staff_message"]} if "staff_message" in event else None
    payload = fanout.encode_frame(conversation_frame(event), origin, staff_frame=staff_frame, brand_id=brand_id)
    return [(fanout.conversation_key(conversation_id), payload), (fanout.brand_key(brand_id), payload)]


_collecting = threading.local()


@contextlib.contextmanager
def publishes_collected():
    """The live frames this thread publishes inside the block go out together when it ends: in the order
    they were published, in one Redis round trip (a batch of writes committed together)."""
    outer = getattr(_collecting, "items", None)
    items: list[tuple[str, bytes]] = []
    _collecting.items = items
    try:
        yield
    finally:
        _collecting.items = outer
        _publish(items)


def _publish(items: list[tuple[str, bytes]]) -> None:
    collected = getattr(_collecting, "items", None)
    if collected is not None:
        collected.extend(items)
        return
    try:
        fanout.publish(items)
    except Exception:  # committed already: clients that missed it resync by seq
        logger.warning("live fan-out failed; clients resync by seq", exc_info=True)


def _brand_ids(conversation_ids: list[int]) -> dict[int, int]:
    from ..models import Conversation

    return dict(Conversation.objects.filter(pk__in=conversation_ids).values_list("pk", "brand_id"))


def conversation_broadcast_on_commit(*, brand_id: int, conversation_id: int, event: dict[str, Any]) -> None:
    """After commit, tell every socket on the conversation (and the brand's brand-wide staff) about it."""
    transaction.on_commit(lambda: _publish(conversation_payloads(brand_id, conversation_id, event)))


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # committed already; the socket re-checks on reconnect
        logger.warning("channel-layer broadcast to %s failed", group, exc_info=True)


def broadcast_on_commit(group: str, event: dict[str, Any], *, brand_id: int | None = None) -> None:
    """After commit, send a per-user event to a channel-layer group; a conversation's group goes to the fan-out."""
    if group.startswith(CONVERSATION_PREFIX):
        conversation_id = int(group[len(CONVERSATION_PREFIX):])

        def send() -> None:
            brand = brand_id if brand_id is not None else _brand_ids([conversation_id]).get(conversation_id)
            if brand is not None:
                _publish(conversation_payloads(brand, conversation_id, event))

        transaction.on_commit(send)
        return
    transaction.on_commit(lambda: _send(group, event))


def broadcast_many_on_commit(events: list[tuple[int, dict[str, Any]]], *, brand_id: int | None = None) -> None:
    """After commit, tell each conversation of a bulk write about its message: (conversation id, event).

    One publish per conversation (and one per message on the brand's key), all in one Redis round trip.
    """
    if not events:
        return

    def send_all() -> None:
        brands = ({cid: brand_id for cid, _ in events} if brand_id is not None
                  else _brand_ids([cid for cid, _ in events]))
        items: list[tuple[str, bytes]] = []
        for conversation_id, event in events:
            if conversation_id in brands:
                items += conversation_payloads(brands[conversation_id], conversation_id, event)
        _publish(items)

    transaction.on_commit(send_all)


def announce_visibility_change(*, brand_id: int, conversation_id: int, customer_ids: list[int] = ()) -> None:
    """Ask every affected socket to re-check whether it may see a conversation (join or leave it)."""
    event = {"type": "conversation.check", "conversation": conversation_id}
    groups = [brand_staff_group(brand_id), *(customer_group(customer_id) for customer_id in customer_ids)]
    transaction.on_commit(lambda: _send_to_groups(groups, event))


def _send_to_groups(groups: list[str], event: dict[str, Any]) -> None:
    """One event to several channel-layer groups in one hop to an event loop (each hop from sync code starts
    a loop, and channels-redis a connection for it: a join's notice paid that twice)."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> list:
        return await asyncio.gather(*(layer.group_send(group, event) for group in groups), return_exceptions=True)

    try:
        outcomes = async_to_sync(send_all)()
    except Exception:  # committed already; the sockets re-check on reconnect
        logger.warning("channel-layer broadcast to %s failed", groups, exc_info=True)
        return
    for group, outcome in zip(groups, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            logger.warning("channel-layer broadcast to %s failed", group, exc_info=outcome)
