#!/usr/bin/env python
"""The floor: a minimal raw `websockets` broadcast server speaking the same frames as /ws/chat/.

Any auth frame is accepted; every `send` is acked to its sender and its message frame, encoded once, is written
to every ready socket. No database, no channel layer: what the app's fan-out is compared with.

    rawserver.py PORT
"""

import asyncio
import json
import sys
from datetime import UTC, datetime

from websockets.asyncio.server import broadcast, serve

clients: set = set()
seq = 0


async def handler(ws):
    global seq
    await ws.recv()  # the auth frame
    await ws.send(json.dumps({"type": "ready", "conversations": [1]}))
    clients.add(ws)
    try:
        async for text in ws:
            frame = json.loads(text)
            if frame.get("type") != "send":
                continue
            seq += 1
            message = {"id": seq, "conversation": 1, "seq": seq, "sender_type": "customer", "sender_name": "Bench",
                       "sender_key": "customer:1", "kind": "text", "body": frame["body"],
                       "payload": {}, "client_msg_id": frame["client_msg_id"],
                       "created_at": datetime.now(UTC).isoformat(), "edited_at": None, "deleted_at": None,
                       "hidden": False, "persona": None}
            await ws.send(json.dumps({"type": "ack", "client_msg_id": frame["client_msg_id"], "message": message}))
            broadcast(clients, json.dumps({"type": "message", "message": message}))
    finally:
        clients.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None, ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
