"""The MESSAGE object of CONTRACT.md, shared by sockets, the API and pages."""

from typing import Any

from .models import BrandPersona, Message


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def message_to_dict(message: Message) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender_type": message.sender_type,
        "sender_name": message.sender_name,
        "sender_key": message.sender_key,
        "kind": message.kind,
        "body": "" if deleted else message.body,
        "payload": {} if deleted else message.payload,
        "client_msg_id": message.client_msg_id or None,
        "created_at": _iso(message.created_at),
        "edited_at": _iso(message.edited_at),
        "deleted_at": _iso(message.deleted_at),
        "hidden": bool(message.hidden_reason),
        "persona": persona_to_dict(message.persona) if message.persona_id else None,
    }


def persona_to_dict(persona: BrandPersona) -> dict[str, Any]:
    """What a customer sees of the brand persona: its name, avatar and bio."""
    return {"id": persona.pk, "name": persona.name, "bio": persona.bio,
            "avatar_url": persona.avatar.url if persona.avatar else None}
