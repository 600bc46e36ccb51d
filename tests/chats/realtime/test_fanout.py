"""Every socket gets every message: hundreds of sockets in one group on the real Redis layer.

Sockets that connect while messages are flowing are told `ready` only once their subscriptions are live, so
`sync` from seq 0 right after `ready` plus the live frames that follow cover every seq, with no gap.
A brand-wide owner socket (the brand's key, not one subscription per conversation) gets every seq as well.
"""

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from chats.models import Conversation
from chats.realtime import fanout
from chats.realtime.tokens import chat_token_issue
from chats.services import Sender, conversation_for_group, message_send
from communities.models import GroupMember
from crm.models import Customer
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.chats.conftest import communicator, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

EARLY, LATE, MESSAGES = 200, 100, 30


def _world():
    brand = factories.make_brand("fanout")
    owner = factories.make_member(brand, Role.OWNER)
    rep = factories.make_member(brand, Role.REP)
    group = factories.make_group(brand, "Five hundred", store=rep.store)
    conversation = conversation_for_group(group=group)
    customers = Customer.objects.bulk_create(
        [Customer(brand=brand, name=f"Fan {i}", email=f"fan{i}@example.test") for i in range(EARLY + LATE)])
    GroupMember.objects.bulk_create([GroupMember(brand=brand, group=group, customer=c) for c in customers])
    system = factories.system(brand)
    tokens = [chat_token_issue(customer=c, actor=system)[0] for c in customers]
    return {"brand": brand, "owner": owner, "rep": rep, "conversation": conversation, "tokens": tokens}


async def _collect(socket, *, conversation_id: int, wanted: set[int], late: bool) -> tuple[list[int], set[int]]:
    """Live seqs in arrival order, and the seqs a late socket fetched with sync after `ready`."""
    ready = await receive_until(socket, "ready", timeout=30)
    assert conversation_id in ready["conversations"]
    synced: set[int] = set()
    if late:
        await socket.send_json_to({"type": "sync", "conversation": conversation_id, "after_seq": 0})
    live: list[int] = []
    deadline = time.monotonic() + 300  # a loaded 2-core CI machine connects 300 sockets slowly
    while not wanted <= set(live) | synced:
        try:
            frame = await socket.receive_json_from(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            return live, synced  # the assertions below say what is missing
        if frame["type"] == "message" and frame["message"]["conversation"] == conversation_id:
            live.append(frame["message"]["seq"])
        elif frame["type"] == "sync":
            synced |= {m["seq"] for m in frame["messages"]}
            assert not frame["has_more"]
    return live, synced


async def test_three_hundred_sockets_each_get_every_seq_including_late_joiners(connect, settings):
    assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    opened = []

    async def open_socket(**kwargs):  # the handshake waits its turn behind the sends on a busy machine
        comm = await communicator(**kwargs)
        connected, _ = await comm.connect(timeout=30)
        assert connected
        opened.append(comm)
        return comm

    world = await database_sync_to_async(_world)()
    conversation = world["conversation"]
    first_seq = conversation.last_seq + 1
    wanted = set(range(first_seq, first_seq + MESSAGES))

    early = [await open_socket(token=token) for token in world["tokens"][:EARLY]]
    owner = await open_socket(user=world["owner"].user)
    early_jobs = [asyncio.ensure_future(_collect(s, conversation_id=conversation.pk, wanted=wanted, late=False))
                  for s in [*early, owner]]
    await asyncio.sleep(0)
    # Every early socket is ready (subscribed) before the first message is committed.
    deadline = time.monotonic() + 60
    while len(fanout.registry().members.get(fanout.conversation_key(conversation.pk), ())) < EARLY:
        assert time.monotonic() < deadline, f"only {len(fanout.registry().members.get(fanout.conversation_key(conversation.pk), ()))} subscribed; {list(fanout.registry().members)[:5]}"
        await asyncio.sleep(0.05)
    # The owner's socket too (the brand's key), confirmed by Redis: it is an early socket as well.
    brand_key = fanout.brand_key(world["brand"].pk)
    while not (fanout.registry().members.get(brand_key) and brand_key in fanout.registry().subscriber.confirmed):
        assert time.monotonic() < deadline, "the owner's socket never subscribed to the brand's key"
        await asyncio.sleep(0.05)

    def post(i: int) -> None:
        message_send(conversation=conversation, sender=Sender.of_staff(world["rep"]), body=f"offer {i}",
                     client_msg_id=f"offer-{i}")

    async def sender():
        for i in range(MESSAGES):
            await database_sync_to_async(post)(i)
            await asyncio.sleep(0.05)

    async def late_joiners():
        jobs = []
        for token in world["tokens"][EARLY:]:  # connecting while the messages flow
            socket = await open_socket(token=token)
            jobs.append(asyncio.ensure_future(_collect(socket, conversation_id=conversation.pk, wanted=wanted,
                                                       late=True)))
        return await asyncio.gather(*jobs)

    sending = asyncio.ensure_future(sender())
    late_results = await late_joiners()
    await sending
    early_results = await asyncio.gather(*early_jobs)

    last_seq = await database_sync_to_async(lambda: Conversation.objects.get(pk=conversation.pk).last_seq)()
    assert last_seq == first_seq + MESSAGES - 1
    for i, (live, _) in enumerate(early_results):  # the owner's brand key (last) included: every seq live, once
        assert sorted(live) == sorted(wanted), f"early socket {i} of {len(early_results)}: {sorted(live)}"
    for live, synced in late_results:
        assert len(live) == len(set(live)), "a late socket got a message twice"
        assert wanted <= set(live) | synced, "a late socket has a gap between its sync and the live frames"
    # Some late sockets did join mid-stream: they got part of the conversation live, part by sync.
    assert any(live and synced & wanted for live, synced in late_results)
    for comm in opened:
        await comm.disconnect()


async def test_a_lost_subscription_closes_sockets_1012_and_they_resync_by_seq(connect, settings):
    """Redis drops the process's pub/sub connection (here: CLIENT KILL TYPE pubsub on the real server): frames
    may have been missed, so every local socket is closed with 1012; a reconnect gets the missed messages by sync."""
    import redis

    from tests.chats.realtime.test_consumers import _setup

    world = await database_sync_to_async(_setup)()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    killed = redis.Redis.from_url(settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]).client_kill_filter(
        _type="pubsub")
    assert killed >= 1
    assert (await socket.receive_output(timeout=10)) == {"type": "websocket.close", "code": 1012}
    message = await database_sync_to_async(message_send)(
        conversation=world["direct"], sender=Sender.of_staff(world["rep"]), body="while you were away",
        client_msg_id="away")  # committed while the socket is gone: publish reaches no one, nothing fails
    again = await connect(user=world["customer"].user)
    await receive_until(again, "ready")
    await again.send_json_to({"type": "sync", "conversation": world["direct"].pk, "after_seq": message.seq - 1})
    assert [m["body"] for m in (await receive_until(again, "sync"))["messages"]] == ["while you were away"]
    # And the new subscription is live.
    await database_sync_to_async(message_send)(conversation=world["direct"], sender=Sender.of_staff(world["rep"]),
                                               body="back", client_msg_id="back")
    assert (await receive_until(again, "message"))["message"]["body"] == "back"


async def test_a_bulk_write_reaches_each_conversation_and_the_brand_wide_staff_after_commit(connect):
    """The campaign path (messages_send_bulk -> broadcast_many_on_commit): one publish per conversation, after
    the commit, to the customer's socket and to a brand-wide owner socket."""
    from django.db import transaction

    from chats.bulk import BulkMessage, messages_send_bulk
    from chats.services import conversation_for_customer
    from tests.chats.realtime.test_consumers import _setup

    world = await database_sync_to_async(_setup)()

    def people():
        other = factories.make_customer(world["brand"], "Ana", user=factories.make_user(password=None))
        return other, conversation_for_customer(customer=other), factories.make_member(world["brand"], Role.OWNER)

    other, other_direct, owner = await database_sync_to_async(people)()
    sockets = [await connect(user=world["customer"].user), await connect(user=other.user),
               await connect(user=owner.user)]
    for socket in sockets:
        await receive_until(socket, "ready")

    def send():
        system = factories.system(world["brand"])
        with transaction.atomic():
            messages_send_bulk(brand=world["brand"], actor=system, messages=[
                BulkMessage(conversation_id=cid, sender=Sender.bot("Acme", key="campaign"), body="Spring sale", client_msg_id=f"c-{cid}")
                for cid in (world["direct"].pk, other_direct.pk)])

    await database_sync_to_async(send)()
    assert (await receive_until(sockets[0], "message"))["message"]["conversation"] == world["direct"].pk
    assert (await receive_until(sockets[1], "message"))["message"]["conversation"] == other_direct.pk
    got = {(await receive_until(sockets[2], "message"))["message"]["conversation"] for _ in range(2)}
    assert got == {world["direct"].pk, other_direct.pk}
    for socket in sockets[:2]:  # each customer only their own
        assert await socket.receive_nothing(timeout=0.3)


async def test_a_join_whose_socket_was_dropped_meanwhile_fails_clearly_without_an_empty_subscribe(settings, caplog):
    """Redis restarted while a socket was joining: the lost subscription emptied the registry before the join
    got the lock. The join ends with a ConnectionError (the socket reconnects and resyncs), never an empty
    SUBSCRIBE that Redis refuses ("wrong number of arguments")."""
    from chats.realtime import fanout

    registry = fanout.registry()
    assert registry.subscriber is not None  # the Redis layer, as in production
    closed = []

    async def send(message):
        pass

    async def close(code):
        closed.append(code)

    member = fanout.Member(send=send, close=close)
    await registry.join(member, [fanout.conversation_key(1)])  # a live subscription
    import redis

    redis.Redis.from_url(settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]).client_kill_filter(
        _type="pubsub")  # Redis drops the subscription: every local socket is let go
    for _ in range(100):
        if registry.subscriber.task is None:
            break
        await asyncio.sleep(0.05)
    assert registry.subscriber.task is None and not registry.members
    caplog.clear()
    with pytest.raises(ConnectionError):
        await registry.subscriber.ensure([], [fanout.conversation_key(2)])
    await asyncio.sleep(0.5)
    assert closed == [fanout.SERVICE_RESTART]
    # No connection was opened for nothing, so none was lost either (the empty SUBSCRIBE broke a fresh one).
    assert registry.subscriber.client is None and registry.subscriber.task is None
    assert not [r for r in caplog.records if "subscription lost" in r.getMessage()]


async def test_frames_are_written_at_once_and_in_order_behind_a_write_that_waits():
    """A send that completes without waiting (uvicorn's) is written during the push itself, with no task
    wake-up per socket; one that waits (backpressure) holds every later frame of that socket behind it, in
    push order, and once it has caught up frames are written at once again. A socket whose send fails is
    let go quietly (its disconnect cleans up), without holding anything for the other sockets."""
    written, gate = [], asyncio.Event()

    async def send(message):
        if message["text"] == "slow":
            await gate.wait()
        written.append(message["text"])

    async def broken(message):
        raise ConnectionResetError

    async def close(code):
        pass

    member = fanout.Member(send=send, close=close)
    dead = fanout.Member(send=broken, close=close)
    frame = lambda text: {"type": "websocket.send", "text": text}  # noqa: E731

    member.push(frame("first"), "")
    dead.push(frame("first"), "")
    assert written == ["first"]  # no await between: written during the push
    member.push(frame("slow"), "")
    for text in ("a", "b", "c"):
        member.push(frame(text), "")
    await asyncio.sleep(0.05)
    assert written == ["first"]  # everything waits behind the slow write
    gate.set()
    for _ in range(100):
        if len(written) == 5:
            break
        await asyncio.sleep(0.01)
    assert written == ["first", "slow", "a", "b", "c"]
    await asyncio.sleep(0)
    member.push(frame("after"), "")
    assert written[-1] == "after"  # caught up: at once again
    member.stop()
    dead.stop()
