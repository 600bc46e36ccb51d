"""A closed socket's channel-layer receive stops, even when the layer loses the cancellation.

channels_redis can lose the cancellation Channels sends a socket's receive when the socket closes (redis-py
turns a cancel that lands as BZPOPMIN times out into a timeout and retries, and the receive loop polls Redis
for ever). The two receives below reproduce that on the real Redis layer: one loses the first cancellation,
one loses every cancellation and ends only when a message arrives, as channels_redis's loop does.
"""

import asyncio
import time

import pytest
from channels.layers import get_channel_layer

from chats.realtime import layer_receive
from chats.realtime.layer_receive import WAKE_TYPE, receive_until_cancelled
from tests.chats.conftest import receive_until

pytestmark = [pytest.mark.asyncio]


def _layer():
    layer = get_channel_layer()
    assert "Redis" in type(layer).__name__
    return layer


async def _ended(task: asyncio.Future, seconds: float) -> bool:
    await asyncio.wait({task}, timeout=seconds)
    return task.done()


async def test_a_receive_that_loses_one_cancellation_is_cancelled_again():
    layer = _layer()
    channel = await layer.new_channel()
    lost = []

    async def lossy():
        while True:
            try:
                return await layer.receive(channel)
            except asyncio.CancelledError:
                if lost:
                    raise
                lost.append(True)  # the first cancellation is lost, as in channels_redis

    woken = []

    async def wake():
        woken.append(True)
        await layer.send(channel, {"type": WAKE_TYPE})

    task = asyncio.ensure_future(receive_until_cancelled(lossy, wake=wake))
    await asyncio.sleep(0.2)
    task.cancel()
    assert await _ended(task, 5), "the socket's receive task did not end"
    assert task.cancelled()
    assert lost == [True]
    assert woken == []  # cancelling again was enough
    assert layer.receive_count == 0  # nothing of this socket is still reading Redis


async def test_a_receive_that_loses_every_cancellation_ends_with_the_wake_message():
    layer = _layer()
    channel = await layer.new_channel()
    lost = []

    async def deaf():
        while True:
            try:
                return await layer.receive(channel)
            except asyncio.CancelledError:
                lost.append(True)  # never stops on a cancellation: only a message ends it

    async def wake():
        await layer.send(channel, {"type": WAKE_TYPE})

    inner_done = []

    async def tracked():
        message = await deaf()
        inner_done.append(message)
        return message

    task = asyncio.ensure_future(receive_until_cancelled(tracked, wake=wake))
    await asyncio.sleep(0.2)
    task.cancel()
    assert await _ended(task, layer_receive.RECEIVE_STOP_SECONDS + 5), "the socket's receive task did not end"
    assert len(lost) >= 2
    assert inner_done == [{"type": WAKE_TYPE}]  # the layer's own receive returned: no Redis polling left
    assert layer.receive_count == 0


async def test_without_the_guard_such_a_receive_would_poll_for_ever():
    """The reproduction is real: cancelled once, the lossy receive is still running seconds later."""
    layer = _layer()
    channel = await layer.new_channel()

    async def deaf():
        while True:
            try:
                return await layer.receive(channel)
            except asyncio.CancelledError:
                continue

    task = asyncio.ensure_future(deaf())
    await asyncio.sleep(0.2)
    task.cancel()
    assert not await _ended(task, 2)
    await layer.send(channel, {"type": WAKE_TYPE})  # end it, so the test leaves nothing behind
    assert await _ended(task, 10)


@pytest.mark.django_db(transaction=True)
async def test_a_closed_chat_socket_leaves_no_layer_receive_running(connect):
    from channels.db import database_sync_to_async

    from tests.chats.realtime.test_consumers import _setup

    world = await database_sync_to_async(_setup)()
    layer = _layer()
    socket = await connect(user=world["customer"].user)
    await receive_until(socket, "ready")
    assert layer.receive_count == 1  # this socket's receive, waiting on Redis
    await socket.disconnect()
    deadline = time.monotonic() + layer_receive.RECEIVE_STOP_SECONDS + 5
    while layer.receive_count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert layer.receive_count == 0
