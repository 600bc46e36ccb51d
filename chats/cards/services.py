"""Reading and acting on an interactive card, and telling open chats that a card changed."""

from __future__ import annotations

from privtraffic.tenancy.actors import Actor, check_actor
from privtraffic.tenancy.errors import ApplicationError

from ..realtime.broadcast import broadcast_many_on_commit
from .registry import CardState, card_brand, card_kind


def _own(actor: Actor, kind: str, ref: int):
    check_actor(actor)
    card = card_kind(kind)
    if card_brand(kind, ref) != actor.brand_id:
        raise ApplicationError.not_found("card")
    return card


def card_state_get(*, actor: Actor, kind: str, ref: int) -> CardState:
    """What this viewer sees on the card (404 for an unknown kind, a missing ref or another brand's)."""
    return _own(actor, kind, ref).state(actor=actor, ref=ref)


def card_act(*, actor: Actor, kind: str, ref: int, verb: str) -> CardState:
    """Press one of the card's buttons; answers the new state. The owning app's action checks who may."""
    action = _own(actor, kind, ref).actions.get(verb)
    if action is None:
        raise ApplicationError.not_found("card action")
    return action(actor=actor, ref=ref)


def card_refresh_on_commit(*, brand_id: int, conversation_ids: list[int], kind: str, ref: int) -> None:
    """After commit, ask every open chat of these conversations to re-read the card (one small frame each:
    the state differs per viewer, so each client fetches its own)."""
    broadcast_many_on_commit(
        [(cid, {"type": "chat.card", "conversation": cid, "kind": kind, "ref": ref}) for cid in conversation_ids],
        brand_id=brand_id)
