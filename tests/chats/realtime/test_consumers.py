"""The /ws/chat/ socket over the real Redis channel layer (and once over the in-memory layer)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import override_settings

from chats.models import Message, ReadState
from chats.realtime.tokens import chat_token_issue
from chats.services import Sender, conversation_for_customer, conversation_for_group, message_send
from communities.groups.services import group_member_add, group_member_remove
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.chats.conftest import communicator, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _setup(brand_slug="acme"):
    brand = factories.make_brand(brand_slug)
    rep = factories.make_member(brand, Role.REP)
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Mei Lin", email=user.email, user=user, assigned_rep=rep)
    group = factories.make_group(brand, "Club", store=rep.store)
    group_member_add(group=group, actor=factories.system(group.brand_id), customer=customer)
    return {"brand": brand, "rep": rep, "customer": customer, "group": group,
            "direct": conversation_for_customer(customer=customer), "group_conv": conversation_for_group(group=group)}


async def _world():
    return await database_sync_to_async(_setup)()


async def test_anonymous_socket_is_closed_4401_when_it_does_not_authenticate_in_time(settings):
    # Without a session, a socket has CHAT_AUTH_TIMEOUT_SECONDS (10 s) to send its token: here shortened.
    assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    settings.CHAT_AUTH_TIMEOUT_SECONDS = 1
    comm = await communicator()
    connected, _ = await comm.connect()
    assert connected
    assert await comm.receive_nothing(timeout=0.5)
    assert (await comm.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4401}


async def test_bad_token_is_4401():
    comm = await communicator(token="forged.token.value")
    await comm.connect()
    assert (await comm.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4401}


async def test_foreign_origin_is_refused():
    world = await _world()
    comm = await communicator(user=world["customer"].user, origin="https://evil.example")
    connected, _ = await comm.connect()
    assert not connected


async def test_connect_joins_every_visible_conversation(connect):
    world = await _world()
    customer_socket = await connect(user=world["customer"].user)
    ready = await receive_until(customer_socket, "ready")
    assert set(ready["conversations"]) == {world["direct"].pk, world["group_conv"].pk}
    rep_socket = await connect(user=world["rep"].user)
    assert set((await receive_until(rep_socket, "ready"))["conversations"]) == {world["direct"].pk, world["group_conv"].pk}


async def test_token_socket_speaks_for_one_customer(connect):
    world = await _world()
    token, _ = await database_sync_to_async(chat_token_issue)(customer=world["customer"],
                                                              actor=factories.system(world["brand"]))
    socket = await connect(token=token)
    assert set((await receive_until(socket, "ready"))["conversations"]) == {world["direct"].pk, world["group_conv"].pk}


async def test_send_acks_sender_and_reaches_other_participant(connect):
    world = await _world()
    customer = await connect(user=world["customer"].user)
    rep = await connect(user=world["rep"].user)
    await receive_until(customer, "ready")
    await receive_until(rep, "ready")
    conv = world["direct"].pk
    await customer.send_json_to({"type": "send", "conversation": conv, "client_msg_id": "c-1", "body": "Is the grill in stock?"})
    ack = await receive_until(customer, "ack")
    assert ack["client_msg_id"] == "c-1" and ack["message"]["body"] == "Is the grill in stock?"
    live = await receive_until(rep, "message")
    assert live["message"]["seq"] == ack["message"]["seq"] and live["message"]["sender_type"] == "customer"
    for field in ("id", "conversation", "seq", "sender_type", "sender_name", "kind", "body", "payload",
                  "client_msg_id", "created_at"):
        assert field in live["message"]
    # A retried send with the same client_msg_id returns the first message and writes nothing.
    await customer.send_json_to({"type": "send", "conversation": conv, "client_msg_id": "c-1", "body": "Is the grill in stock?"})
    again = await receive_until(customer, "ack")
    assert again["message"]["id"] == ack["message"]["id"]
    assert await database_sync_to_async(Message.objects.filter(client_msg_id="c-1").count)() == 1


async def test_sync_returns_exactly_the_missed_messages_in_order(connect):
    world = await _world()

    def post_many():
        for i in range(130):
            message_send(conversation=world["direct"], sender=Sender.of_staff(world["rep"]), body=f"m{i}",
                         client_msg_id=f"r{i}")

    await database_sync_to_async(post_many)()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    await socket.send_json_to({"type": "sync", "conversation": world["direct"].pk, "after_seq": 0})
    first = await receive_until(socket, "sync")
    assert first["has_more"] is True and len(first["messages"]) == 100
    last = first["messages"][-1]["seq"]
    await socket.send_json_to({"type": "sync", "conversation": world["direct"].pk, "after_seq": last})
    second = await receive_until(socket, "sync")
    seqs = [m["seq"] for m in first["messages"] + second["messages"]]
    total = await database_sync_to_async(lambda: type(world["direct"]).objects.get(pk=world["direct"].pk).last_seq)()
    assert seqs == list(range(1, total + 1)) and second["has_more"] is False


async def test_read_receipt_reaches_the_other_side(connect):
    world = await _world()
    message = await database_sync_to_async(message_send)(
        conversation=world["direct"], sender=Sender.of_staff(world["rep"]), body="Hello!")
    customer = await connect(user=world["customer"].user)
    rep = await connect(user=world["rep"].user)
    await receive_until(customer, "ready")
    await receive_until(rep, "ready")
    await customer.send_json_to({"type": "read", "conversation": world["direct"].pk, "seq": message.seq})
    receipt = await receive_until(rep, "read")
    assert receipt["seq"] == message.seq and receipt["reader"]["key"] == f"customer:{world['customer'].pk}"
    state = await database_sync_to_async(ReadState.objects.get)(participant_key=f"customer:{world['customer'].pk}",
                                                                 conversation=world["direct"])
    assert state.last_read_seq == message.seq


async def test_typing_reaches_others_not_self(connect):
    world = await _world()
    customer = await connect(user=world["customer"].user)
    rep = await connect(user=world["rep"].user)
    await receive_until(customer, "ready")
    await receive_until(rep, "ready")
    await rep.send_json_to({"type": "typing", "conversation": world["direct"].pk})
    typing = await receive_until(customer, "typing")
    assert typing["who"]["name"] == world["rep"].user.display_name
    assert await rep.receive_nothing(timeout=0.3)


@pytest.mark.parametrize("frame, code", [
    ("not json", "bad_frame"),
    ([1, 2], "bad_frame"),
    ({"no": "type"}, "bad_frame"),
    ({"type": "dance"}, "unknown_type"),
    ({"type": "send", "conversation": 999999, "client_msg_id": "x", "body": "hi"}, "not_found"),
    ({"type": "send", "conversation": "1", "client_msg_id": "x", "body": "hi"}, "invalid"),
    ({"type": "send", "conversation": 1, "body": "hi"}, "invalid"),
    ({"type": "sync", "conversation": 1, "after_seq": -1}, "invalid"),
    ({"type": "read", "conversation": 999999, "seq": 1}, "not_found"),
    ({"type": "typing", "conversation": 999999}, "not_found"),
])
async def test_bad_frames_get_an_error_and_the_socket_stays_open(connect, frame, code):
    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    if isinstance(frame, str):
        await socket.send_to(text_data=frame)
    else:
        await socket.send_json_to(frame)
    error = await receive_until(socket, "error")
    assert error["code"] == code and error["message"]
    await socket.send_json_to({"type": "send", "conversation": world["direct"].pk, "client_msg_id": "ok", "body": "still here"})
    assert (await receive_until(socket, "ack"))["message"]["body"] == "still here"


async def test_empty_and_overlong_bodies_are_refused_with_ref(connect):
    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    for ref, body in (("e1", "   "), ("e2", "x" * 4001)):
        await socket.send_json_to({"type": "send", "conversation": world["direct"].pk, "client_msg_id": ref, "body": body})
        error = await receive_until(socket, "error")
        assert (error["code"], error["ref"]) == ("invalid", ref)
    assert not await database_sync_to_async(Message.objects.filter(sender_type="customer").exists)()


async def test_other_brand_conversation_is_not_found(connect):
    world = await _world()
    other = await database_sync_to_async(_setup)("globex")
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    await socket.send_json_to({"type": "send", "conversation": other["direct"].pk, "client_msg_id": "x", "body": "hi"})
    assert (await receive_until(socket, "error"))["code"] == "not_found"
    await socket.send_json_to({"type": "sync", "conversation": other["group_conv"].pk, "after_seq": 0})
    assert (await receive_until(socket, "error"))["code"] == "not_found"


async def test_flood_control(connect, settings):
    settings.CHAT_FLOOD_LIMIT = 3
    settings.CHAT_FLOOD_WINDOW_SECONDS = 30
    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    codes = []
    for i in range(5):
        await socket.send_json_to({"type": "send", "conversation": world["group_conv"].pk, "client_msg_id": f"f{i}",
                                   "body": f"spam {i}"})
        frame = await receive_until(socket, "ack") if i < 3 else await receive_until(socket, "error")
        codes.append(frame["type"] if frame["type"] == "ack" else frame["code"])
    assert codes == ["ack", "ack", "ack", "rate_limited", "rate_limited"]


async def test_joining_and_removal_change_what_the_socket_sees(connect):
    world = await _world()
    newcomer_user = await database_sync_to_async(factories.make_user)(password=None)
    newcomer = await database_sync_to_async(factories.make_customer)(world["brand"], "New Fan", email=newcomer_user.email,
                                                                     user=newcomer_user)
    socket = await connect(user=newcomer_user)
    assert (await receive_until(socket, "ready"))["conversations"] == []
    member = await database_sync_to_async(group_member_add)(group=world["group"], actor=factories.system(world["group"].brand_id), customer=newcomer)
    added = await receive_until(socket, "conversation.added")
    assert added["conversation"] == world["group_conv"].pk
    # Messages sent before the socket joined are fetched with sync, as a client does on conversation.added.
    await socket.send_json_to({"type": "sync", "conversation": added["conversation"], "after_seq": 0})
    synced = await receive_until(socket, "sync")
    assert synced["messages"][-1]["body"] == "New Fan joined the group."
    await database_sync_to_async(message_send)(conversation=world["group_conv"], sender=Sender.of_staff(world["rep"]),
                                               body="welcome aboard")
    assert (await receive_until(socket, "message"))["message"]["body"] == "welcome aboard"

    await database_sync_to_async(group_member_remove)(member=member, actor=world["rep"])
    assert (await receive_until(socket, "conversation.removed"))["conversation"] == world["group_conv"].pk
    await database_sync_to_async(message_send)(conversation=world["group_conv"], sender=Sender.of_staff(world["rep"]),
                                               body="members only")
    while not await socket.receive_nothing(timeout=0.5):  # whatever is queued must not be the new message
        frame = await socket.receive_json_from()
        assert frame.get("message", {}).get("body") != "members only"
    await socket.send_json_to({"type": "send", "conversation": world["group_conv"].pk, "client_msg_id": "x", "body": "hi"})
    assert (await receive_until(socket, "error"))["code"] == "not_found"


async def test_in_memory_layer_carries_messages_too(connect):
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}):
        from channels.layers import channel_layers

        channel_layers.backends.clear()
        try:
            world = await _world()
            customer = await connect(user=world["customer"].user)
            rep = await connect(user=world["rep"].user)
            await receive_until(customer, "ready")
            await receive_until(rep, "ready")
            await rep.send_json_to({"type": "send", "conversation": world["direct"].pk, "client_msg_id": "m", "body": "hi"})
            assert (await receive_until(customer, "message"))["message"]["body"] == "hi"
        finally:
            channel_layers.backends.clear()


async def test_concurrent_senders_never_share_a_seq():
    world = await _world()

    def send(i):
        sender = Sender.of_staff(world["rep"]) if i % 2 else Sender.of_customer(world["customer"])
        return message_send(conversation=world["group_conv"], sender=sender, body=f"m{i}", client_msg_id=f"k{i}").seq

    seqs = await asyncio.gather(*[sync_to_async(send, thread_sensitive=False)(i) for i in range(40)])
    assert len(set(seqs)) == 40
    stored = await database_sync_to_async(
        lambda: list(Message.objects.filter(conversation=world["group_conv"]).values_list("seq", flat=True)))()
    assert sorted(stored) == list(range(1, len(stored) + 1))


async def test_deactivated_staff_socket_is_closed_and_moved_rep_loses_old_store(connect):
    from privtraffic.tenancy.services import member_set_active, member_update

    world = await _world()
    rep_socket = await connect(user=world["rep"].user)
    assert world["group_conv"].pk in (await receive_until(rep_socket, "ready"))["conversations"]
    new_store = await database_sync_to_async(factories.make_store)(world["brand"])
    await database_sync_to_async(member_update)(membership=world["rep"], actor=factories.system(world["brand"]), role="rep",
                                                store=new_store)
    assert (await receive_until(rep_socket, "conversation.removed"))["conversation"] == world["group_conv"].pk

    await database_sync_to_async(member_set_active)(membership=world["rep"], actor=factories.system(world["brand"]),
                                                     active=False)
    assert (await rep_socket.receive_output(timeout=3))["type"] == "websocket.close"


async def test_deeply_nested_frame_is_an_error_not_a_crash(connect):
    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    await socket.send_to(text_data="[" * 100_000 + "]" * 100_000)
    assert (await receive_until(socket, "error"))["code"] == "bad_frame"


async def test_retry_after_mute_returns_the_first_message(connect):
    from datetime import timedelta

    from django.utils import timezone

    from communities.groups.services import group_member_mute
    from communities.models import GroupMember

    world = await _world()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    frame = {"type": "send", "conversation": world["group_conv"].pk, "client_msg_id": "r1", "body": "before mute"}
    await socket.send_json_to(frame)
    first = await receive_until(socket, "ack")
    member = await database_sync_to_async(GroupMember.objects.get)(customer=world["customer"])
    await database_sync_to_async(group_member_mute)(member=member, actor=factories.system(member.brand_id), until=timezone.now() + timedelta(hours=1))
    await socket.send_json_to(frame)
    assert (await receive_until(socket, "ack"))["message"]["id"] == first["message"]["id"]
