"""A channel-layer receive that ends when its socket goes away, even when the layer loses a cancellation.

Channels runs one `channel_layer.receive(channel)` task per open socket and cancels it when the socket closes.
channels_redis can lose that cancellation: when it lands as a blocking Redis read (BZPOPMIN) times out,
redis-py reports the read as timed out and retries it, and channels_redis's `while content is None` loop goes
on polling Redis for a channel nobody reads any more, for as long as the process lives. The consumer also
never finishes, because Channels awaits the cancelled task before it returns.

`receive_until_cancelled` runs the layer's receive as an inner task. When the socket's task is cancelled it
cancels the inner one, cancels it again while it keeps running (a second cancellation lands on a later read
and is not lost), and as a last resort sends the channel a wake-up message, which ends the receive loop the
ordinary way. The socket's task then ends within RECEIVE_STOP_SECONDS in every case.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

# How long a closing socket waits for its layer receive to stop, all steps together.
RECEIVE_STOP_SECONDS = 10.0
# Between two cancellations of a receive that is still running.
RECANCEL_SECONDS = 0.5
# Re-cancelling for this long first; then the wake-up message.
WAKE_AFTER_SECONDS = 3.0
WAKE_TYPE = "chat.layer_wake"


async def receive_until_cancelled(receive: Callable[[], Awaitable[dict]], *,
                                  wake: Callable[[], Awaitable[None]]) -> dict:
    """Await `receive()`; on cancellation make sure it has stopped (or give up after RECEIVE_STOP_SECONDS)."""
    inner = asyncio.ensure_future(receive())
    try:
        return await asyncio.shield(inner)
    except asyncio.CancelledError:
        await stop_receive(inner, wake=wake)
        raise


async def stop_receive(inner: asyncio.Future, *, wake: Callable[[], Awaitable[None]]) -> bool:
    """Cancel `inner` until it is done; True when it stopped within RECEIVE_STOP_SECONDS."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    woken = False
    while not inner.done():
        elapsed = loop.time() - started
        if elapsed >= RECEIVE_STOP_SECONDS:
            logger.error("a channel-layer receive did not stop %.0f s after its socket closed", elapsed)
            return False
        if elapsed >= WAKE_AFTER_SECONDS and not woken:
            woken = True
            logger.warning("a channel-layer receive ignored its cancellation; waking it with a message")
            with contextlib.suppress(Exception):  # the layer itself may be down: cancelling goes on
                await asyncio.wait_for(wake(), RECANCEL_SECONDS * 4)
        inner.cancel()
        await asyncio.wait({inner}, timeout=RECANCEL_SECONDS)
    if not inner.cancelled():
        with contextlib.suppress(BaseException):  # the result of a receive nobody waits for any more
            inner.result()
    return True
