"""The socket send path: a client that pipelines its send frames (no wait for each ack) gets them written in
batches, acked in the order sent, with consecutive seqs, and the guarantees of one-at-a-time sends: committed
before told, a retried client_msg_id stored once, flood limits, a bad frame refused alone."""

import pytest
from channels.db import database_sync_to_async

from chats import selectors
from chats.models import Message
from chats.realtime import consumers
from chats.realtime.consumers import ChatConsumer
from tests.chats.conftest import receive_until
from tests.chats.realtime.test_consumers import _setup, _world

pytestmark = [pytest.mark.django_db(transaction=True)]  # asyncio_mode = "auto" runs the async tests


@pytest.fixture(autouse=True)
def _no_flood_limit(settings):
    settings.CHAT_FLOOD_LIMIT = 1000  # the bursts here are larger than a person's limit (its own test sets it)


def _send(conversation: int, ref: str, body: str | None = None) -> dict:
    return {"type": "send", "conversation": conversation, "client_msg_id": ref, "body": body if body is not None else ref}


async def _frames(socket, count: int, types=("ack", "error")) -> list[dict]:
    got = []
    while len(got) < count:
        frame = await socket.receive_json_from(timeout=10)
        if frame["type"] in types:
            got.append(frame)
    return got


async def test_pipelined_sends_are_acked_in_order_with_consecutive_seqs_and_reach_others_in_order(connect):
    world = await _world()
    customer = await connect(user=world["customer"].user)
    rep = await connect(user=world["rep"].user)
    await receive_until(customer, "ready")
    await receive_until(rep, "ready")
    conv = world["group_conv"].pk
    refs = [f"p{i}" for i in range(40)]
    for ref in refs:
        await customer.send_json_to(_send(conv, ref))
    acks = await _frames(customer, len(refs))
    assert [a["type"] for a in acks] == ["ack"] * len(refs)
    assert [a["client_msg_id"] for a in acks] == refs
    seqs = [a["message"]["seq"] for a in acks]
    assert seqs == list(range(seqs[0], seqs[0] + len(refs)))
    live = [f["message"] for f in await _frames(rep, len(refs), types=("message",))]
    assert [m["seq"] for m in live] == seqs and [m["body"] for m in live] == refs
    stored = await database_sync_to_async(lambda: list(
        Message.objects.filter(conversation_id=conv, sender_type="customer").order_by("seq")
        .values_list("client_msg_id", flat=True)))()
    assert stored == refs


async def test_a_frame_after_pipelined_sends_is_answered_after_them(connect):
    # A sync sent right behind a burst of sends sees every one of them: frames are answered in the order sent.
    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    conv = world["direct"].pk
    for i in range(15):
        await socket.send_json_to(_send(conv, f"s{i}"))
    await socket.send_json_to({"type": "sync", "conversation": conv, "after_seq": 0})
    frames = await _frames(socket, 16, types=("ack", "sync"))
    assert [f["type"] for f in frames] == ["ack"] * 15 + ["sync"]
    assert [m["body"] for m in frames[-1]["messages"]][-15:] == [f"s{i}" for i in range(15)]


async def test_a_bad_frame_in_a_burst_is_refused_alone_in_its_place(connect):
    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    conv = world["group_conv"].pk
    burst = [_send(conv, "b0"), _send(conv, "b1", "   "), _send(conv, "b2"),
             {"type": "send", "conversation": conv, "client_msg_id": "b3", "body": 7},
             _send(999_999_999, "b4"), _send(conv, "b5", "x" * 4001), _send(conv, "b6")]
    for frame in burst:
        await socket.send_json_to(frame)
    frames = await _frames(socket, len(burst))
    assert [(f["type"], f.get("code"), f.get("ref") or f.get("client_msg_id")) for f in frames] == [
        ("ack", None, "b0"), ("error", "invalid", "b1"), ("ack", None, "b2"), ("error", "invalid", "b3"),
        ("error", "not_found", "b4"), ("error", "invalid", "b5"), ("ack", None, "b6")]
    assert frames[2]["message"]["seq"] == frames[0]["message"]["seq"] + 1
    assert frames[6]["message"]["seq"] == frames[2]["message"]["seq"] + 1
    stored = await database_sync_to_async(lambda: sorted(
        Message.objects.filter(sender_type="customer").values_list("client_msg_id", flat=True)))()
    assert stored == ["b0", "b2", "b6"]


async def test_a_retried_client_msg_id_in_a_burst_is_stored_once(connect):
    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    conv = world["group_conv"].pk
    for ref in ("r1", "r2", "r1", "r3", "r2"):
        await socket.send_json_to(_send(conv, ref))
    acks = await _frames(socket, 5)
    assert [a["type"] for a in acks] == ["ack"] * 5
    ids = [a["message"]["id"] for a in acks]
    assert ids[0] == ids[2] and ids[1] == ids[4] and len(set(ids)) == 3
    assert await database_sync_to_async(Message.objects.filter(sender_type="customer").count)() == 3


async def test_flood_limit_counts_a_burst_and_lets_retries_through(connect, settings):
    settings.CHAT_FLOOD_LIMIT = 3
    settings.CHAT_FLOOD_WINDOW_SECONDS = 30
    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    conv = world["group_conv"].pk
    for i in range(5):
        await socket.send_json_to(_send(conv, f"f{i}"))
    frames = await _frames(socket, 5)
    assert [f["type"] if f["type"] == "ack" else f["code"] for f in frames] == [
        "ack", "ack", "ack", "rate_limited", "rate_limited"]
    # Over the limit, a retry of a stored message still gets its ack (and stores nothing new); a new one does not.
    await socket.send_json_to(_send(conv, "f1"))
    await socket.send_json_to(_send(conv, "f9"))
    retry, refused = await _frames(socket, 2)
    assert retry["type"] == "ack" and retry["message"]["id"] == frames[1]["message"]["id"]
    assert (refused["code"], refused["ref"]) == ("rate_limited", "f9")
    assert await database_sync_to_async(Message.objects.filter(sender_type="customer").count)() == 3


async def test_a_batch_that_fails_as_a_whole_is_written_one_by_one(connect, monkeypatch):
    # A failure that is not a refusal (here the ack of one message cannot be built) rolls the batch's transaction
    # back; each send is then written alone: the others are stored once and acked, the failing one not stored.
    world = await _world()
    real = consumers.message_to_dict

    def broken(message, **kwargs):
        if message.client_msg_id == "x2":
            raise RuntimeError("cannot serialise")
        return real(message, **kwargs)

    monkeypatch.setattr(consumers, "message_to_dict", broken)
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    conv = world["group_conv"].pk
    for i in range(5):
        await socket.send_json_to(_send(conv, f"x{i}"))
    frames = await _frames(socket, 5)
    assert [(f["type"], f.get("code")) for f in frames] == [
        ("ack", None), ("ack", None), ("error", "server_error"), ("ack", None), ("ack", None)]
    assert frames[2]["ref"] == "x2"
    stored = await database_sync_to_async(lambda: list(
        Message.objects.filter(sender_type="customer").order_by("seq").values_list("client_msg_id", "seq")))()
    assert [ref for ref, _seq in stored] == ["x0", "x1", "x3", "x4"]
    assert [seq for _ref, seq in stored] == [frames[i]["message"]["seq"] for i in (0, 1, 3, 4)]


def test_a_batch_costs_a_constant_number_of_statements():
    """A burst of sends into one conversation is written in a constant number of statements, however many
    messages it holds: the checks once, one seq update, one INSERT of the messages, one of their events, one
    read-state upsert (against ~8 per message one at a time)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = _setup()
    consumer = ChatConsumer()
    consumer.identity = selectors.chat_identity_for_customer(customer=world["customer"])

    calls = iter(range(100))

    def run(count: int) -> tuple[int, list[list[dict]]]:
        call = next(calls)
        with CaptureQueriesContext(connection) as queries:
            replies = consumer._send_batch([_send(world["group_conv"].pk, f"q{call}-{i}") for i in range(count)])
        sql = [q["sql"] for q in queries.captured_queries]
        writes = sql[: sql.index("COMMIT") + 1]  # after the commit: the outbox relay, in-process in tests
        return len(writes), replies

    run(1)  # the customer's first send also marks them active (once a day)
    # A lone send (a client that waits for each ack) is message_send's own transaction: the conversation; the
    # membership and rule checks; BEGIN, the seq update, the message, its event, the read state, COMMIT.
    one, _ = run(1)
    assert one <= 9
    ten, _ = run(10)
    thirty, replies = run(30)
    # The conversation; BEGIN; the membership, rule and retry reads; a savepoint, the seq update, the messages, the
    # brand, their events, the read state, the release; COMMIT.
    assert ten == thirty <= 14
    assert [r[0]["type"] for r in replies] == ["ack"] * 30
    seqs = [r[0]["message"]["seq"] for r in replies]
    assert seqs == list(range(seqs[0], seqs[0] + 30))


async def test_a_burst_into_a_moderated_group_is_checked_message_by_message(connect):
    from chats.models import GroupRule

    world = await _world()
    await database_sync_to_async(GroupRule.objects.create)(brand_id=world["brand"].pk, group_id=world["group"].pk,
                                                           blocked_words="replica")
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    conv = world["group_conv"].pk
    for ref, body in (("m0", "hello"), ("m1", "cheap REPLICA bags"), ("m2", "bye")):
        await socket.send_json_to(_send(conv, ref, body))
    frames = await _frames(socket, 4)
    assert [(f["type"], f.get("code"), f.get("ref") or f.get("client_msg_id")) for f in frames] == [
        ("ack", None, "m0"), ("ack", None, "m1"), ("error", "moderated", "m1"), ("ack", None, "m2")]
    assert frames[1]["message"]["hidden"] is True and frames[1]["message"]["body"] == ""


async def test_a_muted_sender_s_burst_is_refused_but_a_retry_gets_its_message(connect):
    from datetime import timedelta

    from django.utils import timezone

    from communities.groups.services import group_member_mute
    from communities.models import GroupMember
    from tests import factories

    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    conv = world["group_conv"].pk
    await socket.send_json_to(_send(conv, "k1"))
    first = await receive_until(socket, "ack")
    member = await database_sync_to_async(GroupMember.objects.get)(customer=world["customer"])
    await database_sync_to_async(group_member_mute)(member=member, actor=factories.system(member.brand_id),
                                                    until=timezone.now() + timedelta(hours=1))
    for ref in ("k1", "k2", "k3"):
        await socket.send_json_to(_send(conv, ref))
    frames = await _frames(socket, 3)
    assert [(f["type"], f.get("code")) for f in frames] == [("ack", None), ("error", "muted"), ("error", "muted")]
    assert frames[0]["message"]["id"] == first["message"]["id"]
    assert await database_sync_to_async(Message.objects.filter(sender_type="customer").count)() == 1
