"""The bulk write path for messages: a campaign chunk of ~1,000 messages in a constant number of statements.

`message_send` is for people typing (a row lock, an outbox event and a broadcast per message). A bulk sender
(campaign fan-out, group-buy notices) hands this module a chunk instead, inside its own transaction:

- `conversations_for_customers` / `conversations_for_groups`: the 1:1 or group conversations, created when
  missing, in one INSERT ... ON CONFLICT DO NOTHING and one SELECT;
- `messages_send_bulk`: one statement takes the next seq of every conversation of the chunk (locking the rows
  in id order, so two chunks touching the same conversations take turns, and a person typing meanwhile gets
  the seq after), one INSERT writes the messages, one outbox event records the chunk, and after commit each
  message is broadcast to its conversation.

Same guarantees as the per-message path: committed with its seq before anyone is told; the sender's
client_msg_id (a campaign passes one per delivery) is unique per conversation, so a retried chunk that
somehow reaches here twice fails on the constraint and rolls back rather than doubling.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from communities.models import VipGroup
from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import SystemActor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand

from .cards.registry import card_posts_record
from .models import Conversation, ConversationKind, Message, SenderType
from .realtime import broadcast_many_on_commit
from .serialization import message_frame_event
from .services import INTERACTIVE_KINDS, Sender, _validate


@dataclass(frozen=True)
class BulkMessage:
    conversation_id: int
    sender: Sender
    body: str
    kind: str = "text"
    payload: dict[str, Any] = field(default_factory=dict)
    client_msg_id: str = ""


def conversations_for_customers(*, brand: Brand, customer_ids: Iterable[int]) -> dict[int, int]:
    """customer id -> id of their 1:1 conversation, creating the missing ones in one statement."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    Conversation.objects.bulk_create(
        [Conversation(brand=brand, kind=ConversationKind.DIRECT, customer_id=cid) for cid in ids],
        ignore_conflicts=True)
    return dict(Conversation.objects.filter(brand=brand, customer_id__in=ids).values_list("customer_id", "id"))


def conversations_for_groups(*, brand: Brand, group_ids: Iterable[int]) -> dict[int, int]:
    """group id -> id of its conversation, creating the missing ones in one statement."""
    ids = sorted(set(VipGroup.objects.filter(brand=brand, pk__in=list(group_ids)).values_list("id", flat=True)))
    if not ids:
        return {}
    Conversation.objects.bulk_create(
        [Conversation(brand=brand, kind=ConversationKind.GROUP, group_id=gid) for gid in ids], ignore_conflicts=True)
    return dict(Conversation.objects.filter(brand=brand, group_id__in=ids).values_list("group_id", "id"))


def _take_seqs(brand: Brand, conversation_ids: list[int], now) -> dict[int, int]:
    """Advance last_seq of each conversation by one, in one statement; returns conversation id -> new seq."""
    table = Conversation._meta.db_table  # only the table name and the placeholders are interpolated
    if connection.vendor == "postgresql":
        # Lock in id order (the sub-select), so chunks sharing conversations never deadlock.
        sql = (f"UPDATE {table} SET last_seq = last_seq + 1, last_message_at = %s WHERE id IN ("  # noqa: S608
               f"SELECT id FROM {table} WHERE brand_id = %s AND id = ANY(%s) ORDER BY id FOR UPDATE)"
               f" RETURNING id, last_seq")
        params = [now, brand.pk, list(conversation_ids)]
    else:  # SQLite (the embedded default) locks the whole database for the write anyway.
        placeholders = ", ".join(["%s"] * len(conversation_ids))
        sql = (f"UPDATE {table} SET last_seq = last_seq + 1, last_message_at = %s "  # noqa: S608
               f"WHERE brand_id = %s AND id IN ({placeholders}) RETURNING id, last_seq")
        params = [now, brand.pk, *conversation_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def messages_send_bulk(*, brand: Brand, actor: SystemActor, messages: list[BulkMessage],
                       event_payload: dict[str, Any] | None = None) -> list[Message]:
    """Write one message into each of many conversations of the brand, in a constant number of statements.

    At most one message per conversation per call (a chunk is one per recipient). Call it inside the caller's
    transaction: the messages, the caller's own bookkeeping (deliveries marked sent) and the outbox event
    commit together, and the broadcasts leave only after that.
    """
    authorize(actor, None, brand, what="brand")
    if not isinstance(actor, SystemActor):
        raise ApplicationError.forbidden("Only the brand's own code sends in bulk.")
    if not messages:
        return []
    conversation_ids = [m.conversation_id for m in messages]
    if len(set(conversation_ids)) != len(conversation_ids):
        raise ValueError("messages_send_bulk takes at most one message per conversation")
    bodies: dict[tuple[str, str, bytes], str] = {}
    keys = []
    for m in messages:  # the same text and card are checked once, not per recipient
        key = (m.kind, m.body, orjson.dumps(m.payload, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS))
        if key not in bodies:
            bodies[key] = _validate(m.kind, m.body, m.payload)
        keys.append(key)
    now = timezone.now()
    with transaction.atomic():
        seqs = _take_seqs(brand, sorted(conversation_ids), now)
        missing = set(conversation_ids) - set(seqs)
        if missing:
            raise ApplicationError.not_found("conversation")
        rows = [Message(
            brand_id=brand.pk, conversation_id=m.conversation_id, seq=seqs[m.conversation_id],
            sender_type=m.sender.type, sender_user=m.sender.user, sender_customer=None,
            sender_name=m.sender.name[:150], sender_key=m.sender.key, kind=m.kind,
            body=bodies[key], payload=m.payload, client_msg_id=m.client_msg_id,
            persona=m.sender.persona, created_at=now) for m, key in zip(messages, keys, strict=True)]
        created = Message.objects.bulk_create(rows)
        cards: dict[str, list[tuple[Any, int]]] = {}
        for m in created:
            if m.kind in INTERACTIVE_KINDS:
                cards.setdefault(m.kind, []).append((m.payload.get("ref"), m.conversation_id))
        for kind, posts in cards.items():
            card_posts_record(brand_id=brand.pk, kind=kind, posts=posts)
        event_record(brand=brand, type="messages.created", payload={
            **(event_payload or {}), "count": len(created), "message_ids": [m.pk for m in created],
            "sender_types": sorted({m.sender_type for m in created if m.sender_type != SenderType.CUSTOMER}),
        })
        broadcast_many_on_commit([(m.conversation_id, message_frame_event(m, brand.pk)) for m in created],
                                 brand_id=brand.pk)
    return created
