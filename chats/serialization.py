"""The MESSAGE object of CONTRACT.md, shared by sockets, the API and pages.

A message spoken as the brand persona has two views. Customers see the persona only: its name and avatar,
and a `sender_key` of "persona:<id>" (never the staff member's key, which would let them tell reps apart).
Staff (`staff=True`) see the real sender too: their own `sender_key` and `sent_by` {key, name}.
"""

from typing import Any

from django.urls import reverse

from .models import BrandPersona, Message


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def message_to_dict(message: Message, *, staff: bool = False) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    persona = message.persona if message.persona_id else None
    data = {
        "id": message.pk,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender_type": message.sender_type,
        "sender_name": message.sender_name,
        "sender_key": message.sender_key if staff or persona is None else f"persona:{persona.pk}",
        "kind": message.kind,
        "body": "" if deleted else message.body,
        "payload": {} if deleted else message.payload,
        "client_msg_id": message.client_msg_id or None,
        "created_at": _iso(message.created_at),
        "edited_at": _iso(message.edited_at),
        "deleted_at": _iso(message.deleted_at),
        "hidden": bool(message.hidden_reason),
        "persona": persona_to_dict(persona) if persona is not None else None,
    }
    if persona is not None and not staff:
        data["client_msg_id"] = None  # the staff member's own id for the send: theirs alone
    if staff and persona is not None:
        data["sent_by"] = message_real_sender(message)
    return data


def message_real_sender(message: Message) -> dict[str, Any]:
    """Who really sent a persona message, for staff: the staff member, or the brand's automation."""
    user = message.sender_user if message.sender_user_id else None
    return {"key": message.sender_key, "name": user.display_name if user is not None else ""}


def persona_avatar_url(persona: BrandPersona) -> str | None:
    if not persona.avatar:
        return None
    version = int(persona.updated_at.timestamp()) if persona.updated_at else 0
    return reverse("chats:persona_avatar", kwargs={"persona_id": persona.pk}) + f"?v={version}"


def persona_to_dict(persona: BrandPersona) -> dict[str, Any]:
    """What a customer sees of the brand persona: its name, avatar and bio."""
    return {"id": persona.pk, "name": persona.name, "bio": persona.bio, "avatar_url": persona_avatar_url(persona)}


def message_frame_event(message: Message, brand_id: int) -> dict[str, Any]:
    """The channel-layer event for a new or changed message. A persona message carries the staff view beside the
    customers' one; each socket picks the view its identity may see (chats.realtime.consumers)."""
    event = {"type": "chat.message", "message": message_to_dict(message)}
    if message.persona_id:
        event["brand"] = brand_id
        event["staff_message"] = message_to_dict(message, staff=True)
    return event
