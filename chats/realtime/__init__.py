"""Live delivery: the /ws/chat/ socket (consumers.py, routing.py, tokens.py for apps embedding chat) and the
channel-layer groups and after-commit broadcasts that the write path uses (broadcast.py, re-exported here)."""

from .broadcast import (
    announce_visibility_change,
    brand_staff_group,
    broadcast_many_on_commit,
    broadcast_on_commit,
    conversation_broadcast_on_commit,
    conversation_group,
    customer_group,
)

__all__ = ["announce_visibility_change", "brand_staff_group", "broadcast_many_on_commit", "broadcast_on_commit", "conversation_broadcast_on_commit",
           "conversation_group",
           "customer_group"]
