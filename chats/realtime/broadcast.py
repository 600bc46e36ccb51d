"""Channel-layer names and the broadcasts that go out after commit.

The channel layer is a fast path, never the source of truth: every broadcast
follows a committed write, and a client that missed one asks `sync` for it.
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def conversation_group(conversation_id: int) -> str:
    return f"conv.{conversation_id}"


def brand_staff_group(brand_id: int) -> str:
    return f"brandstaff.{brand_id}"


def customer_group(customer_id: int) -> str:
    return f"customer.{customer_id}"


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send(group, event))


def broadcast_many_on_commit(events: list[tuple[int, dict[str, Any]]]) -> None:
    """After commit, tell each conversation of a bulk write about its message: (conversation id, event)."""
    if not events:
        return

    def send_all() -> None:
        layer = get_channel_layer()
        if layer is None:
            return

        async def send() -> None:
            for conversation_id, event in events:
                await layer.group_send(conversation_group(conversation_id), event)

        async_to_sync(send)()

    transaction.on_commit(send_all)


def announce_visibility_change(*, brand_id: int, conversation_id: int, customer_ids: list[int] = ()) -> None:
    """Ask every affected socket to re-check whether it may see a conversation (join or leave it)."""
    event = {"type": "conversation.check", "conversation": conversation_id}
    broadcast_on_commit(brand_staff_group(brand_id), event)
    for customer_id in customer_ids:
        broadcast_on_commit(customer_group(customer_id), event)
