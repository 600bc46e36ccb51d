"""Outbox subscribers of group-buys: remember the conversations a group-buy card was posted to (by a rep in
the inbox, or a campaign's chunk), so joins refresh the card there and tier unlocks are announced."""

from privtraffic.events.registry import subscribe
from privtraffic.tenancy.actors import SystemActor

from .services import group_buy_posts_record


@subscribe("message.created", "messages.created", name="groupbuys:posts")
def record_group_buy_posts(event) -> None:
    payload = event.payload or {}
    if event.type == "message.created":
        if payload.get("kind") != "group_buy" or not isinstance(payload.get("message_id"), int):
            return
        ids = [payload["message_id"]]
    else:
        ids = [i for i in payload.get("message_ids") or [] if isinstance(i, int)]
        if not ids:
            return
    group_buy_posts_record(actor=SystemActor.for_brand(event.brand_id, "subscriber:groupbuys"),
                           brand=event.brand, message_ids=ids)
