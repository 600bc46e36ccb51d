#!/usr/bin/env python
"""Seed one benchmark's data into the stack's database (run by bench/stack.py in a subprocess).

    seed.py KIND JSON_OPTIONS      -> the last stdout line is JSON (tokens, ids, an API key)
"""

import json
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from chats.models import ChatToken, Conversation, ConversationKind  # noqa: E402
from chats.realtime.tokens import _hash  # noqa: E402
from chats.services import conversation_for_group  # noqa: E402
from communities.groups.services import group_create  # noqa: E402
from communities.models import GroupMember  # noqa: E402
from crm.models import Customer  # noqa: E402
from privtraffic.tenancy.actors import SystemActor  # noqa: E402
from privtraffic.tenancy.models import Brand  # noqa: E402
from privtraffic.tenancy.services import api_key_create  # noqa: E402


def _brand(slug: str):
    brand = Brand.objects.create(name=f"Bench {slug}", slug=slug)
    return brand, SystemActor.for_brand(brand, "bench")


def _customers(brand, count: int, prefix: str = "c") -> list[Customer]:
    return Customer.objects.bulk_create(
        [Customer(brand=brand, name=f"Bench Customer {i}", email=f"{prefix}{i}@bench.test", consent_chat=True)
         for i in range(count)], batch_size=5000)


def _tokens(brand, customers: list[Customer]) -> list[str]:
    tokens = [secrets.token_urlsafe(24) for _ in customers]
    expires = timezone.now() + timedelta(days=1)
    ChatToken.objects.bulk_create([ChatToken(brand=brand, customer=c, token_hash=_hash(t), expires_at=expires)
                                   for c, t in zip(customers, tokens, strict=True)], batch_size=5000)
    return tokens


def seed_group(members: int = 500, groups: int = 1, direct: bool = False, slug: str = "live") -> dict:
    """`groups` groups of at most 500, `members` customers spread over them; each customer a token (and a 1:1)."""
    brand, system = _brand(slug)
    customers = _customers(brand, members)
    conversations = []
    per_group = -(-members // groups)
    for g in range(groups):
        group = group_create(brand=brand, actor=system, name=f"Bench VIP {g}", capacity=500)
        conversations.append(conversation_for_group(group=group).pk)
        GroupMember.objects.bulk_create([GroupMember(brand=brand, group=group, customer=c)
                                         for c in customers[g * per_group:(g + 1) * per_group]])
    if direct:
        Conversation.objects.bulk_create([Conversation(brand=brand, kind=ConversationKind.DIRECT, customer=c)
                                          for c in customers], batch_size=5000)
    tokens = _tokens(brand, customers)
    return {"tokens": tokens, "conversations": conversations}


def seed_joins(customers: int = 1000, capacity: int = 500) -> dict:
    brand, system = _brand("joins")
    people = _customers(brand, customers)
    group = group_create(brand=brand, actor=system, name="Full house", capacity=capacity)
    overflow = group_create(brand=brand, actor=system, name="Full house 2", capacity=500)
    group.overflow_group = overflow
    group.save(update_fields=["overflow_group"])
    _, key = api_key_create(brand=brand, actor=system, name="bench")
    return {"api_key": key, "group": group.pk, "overflow": overflow.pk, "customers": [c.pk for c in people]}


def seed_direct(customers: int = 200) -> dict:
    brand, system = _brand("direct")
    people = _customers(brand, customers)
    rows = Conversation.objects.bulk_create([Conversation(brand=brand, kind=ConversationKind.DIRECT, customer=c)
                                             for c in people])
    _, key = api_key_create(brand=brand, actor=system, name="bench")
    return {"api_key": key, "conversations": [c.pk for c in rows], "brand": brand.pk}


def seed_customers(customers: int = 100_000, stores: int = 20) -> dict:
    """S7: one brand with `customers` customers (30% tagged vip, a third each skin type), `stores` stores, a saved
    segment "vip with oily skin" and an API key; ANALYZE so the planner knows the sizes."""
    import random

    from django.db import connection

    from crm.models import AttributeDefinition, CustomerTag, Tag
    from crm.segments.services import segment_save
    from privtraffic.tenancy.models import Store

    rng = random.Random(7)
    brand, system = _brand("s7")
    Store.objects.bulk_create([Store(brand=brand, name=f"Store {i}", city="Shanghai") for i in range(stores)])
    vip = Tag.objects.create(brand=brand, name="vip")
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin", type="choice",
                                       choices=["oily", "dry", "normal"])
    for offset in range(0, customers, 5000):
        created = Customer.objects.bulk_create(
            [Customer(brand=brand, name=f"Bench Customer {i}", email=f"s7-{i}@bench.test", consent_chat=True,
                      attributes={"skin_type": ("oily", "dry", "normal")[i % 3]})
             for i in range(offset, min(customers, offset + 5000))])
        CustomerTag.objects.bulk_create([CustomerTag(brand=brand, customer=c, tag=vip) for c in created
                                         if rng.random() < 0.3])
    segment = segment_save(brand=brand, actor=system, name="VIP oily skin", definition={"all": [
        {"field": "tag", "op": "has", "value": "vip"},
        {"field": "attribute", "key": "skin_type", "op": "eq", "value": "oily"}]})
    _, key = api_key_create(brand=brand, actor=system, name="bench")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"api_key": key, "segment": segment.pk, "brand": brand.slug}


def count_messages(brand: int) -> dict:
    from chats.models import Message

    rows = Message.objects.filter(brand_id=brand, sender_type__in=["staff", "bot"])
    return {"messages": rows.count(), "distinct": rows.values("conversation_id", "client_msg_id").distinct().count()}


KINDS = {"group": seed_group, "joins": seed_joins, "direct": seed_direct, "count": count_messages,
         "customers": seed_customers}

SERVED = "@@seed@@"


def serve() -> None:
    """`seed.py --serve`: one request a line on stdin ({"kind", "options"}), each answered by a line starting with
    SERVED; bench/stack.py keeps one such process per stack, so each seed does not pay Django's start again."""
    for line in sys.stdin:
        request = json.loads(line)
        result = KINDS[request["kind"]](**request["options"])
        print(SERVED + json.dumps(result), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve()
        sys.exit(0)
    result = KINDS[sys.argv[1]](**json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}"))
    print(json.dumps(result))
