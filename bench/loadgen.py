#!/usr/bin/env python
"""The load generator, run in its own process: asyncio `websockets` clients (compression off) and a small
keep-alive HTTP client. Speaks the CONTRACT.md socket frames, so it drives the app and bench/rawserver.py alike.
Its last stdout line is a JSON result.

    loadgen.py broadcast URL TOKENS_FILE --rate 10 --duration 20
    loadgen.py idle URL TOKENS_FILE          (connects all, prints {"ready": ...}, waits for a line on stdin)
    loadgen.py http BASE_URL PLAN_FILE       (requests from a JSON plan, `concurrency` at a time)
"""

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

try:  # the load generator parses every delivered frame: the faster parser leaves more of the CPU to the server
    from orjson import loads as fast_loads
except ImportError:  # pragma: no cover
    fast_loads = json.loads

PAD = "x" * 260


def pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def open_socket(url: str, token: str):
    parts = urlsplit(url)
    ws = await connect(url, compression=None, origin=f"http://{parts.netloc}", max_queue=None, open_timeout=60,
                       ping_interval=None)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "ready":
            return ws, frame


async def open_socket_retrying(url: str, token: str, *, stop=lambda: False, first: float = 0.2, most: float = 2.0):
    """`open_socket` until it succeeds, waiting after each failure (`first` s doubling to `most`, jittered so that
    many clients do not come back at once); None once `stop()` is true."""
    backoff = first
    while not stop():
        try:
            return await open_socket(url, token)
        except Exception:
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, most)
    return None


async def close_all(sockets) -> None:
    await asyncio.gather(*[ws.close() for ws in sockets], return_exceptions=True)


async def open_all(url: str, tokens: list[str], concurrency: int):
    gate = asyncio.Semaphore(concurrency)

    async def one(token):
        async with gate:
            return await open_socket(url, token)

    start = time.perf_counter()
    opened = await asyncio.gather(*[one(t) for t in tokens])
    return opened, time.perf_counter() - start


async def drain_acks(sender, sent_at: dict[str, tuple[int, float]], acks: dict[int, list[float]],
                     errors: dict[str, int]) -> None:
    """Read the sender's socket: the send-to-ack time of each ack of a send in `sent_at` (client_msg_id ->
    (step, perf_counter at send)) goes into `acks` by step; error frames are counted by code."""
    while True:
        frame = fast_loads(await sender.recv())
        if frame["type"] == "ack" and frame["client_msg_id"] in sent_at:
            step, began = sent_at.pop(frame["client_msg_id"])
            acks.setdefault(step, []).append(time.perf_counter() - began)
        elif frame["type"] == "error":
            errors[frame["code"]] = errors.get(frame["code"], 0) + 1


async def broadcast(args) -> dict:
    tokens = json.loads(Path(args.tokens).read_text())
    opened, connect_s = await open_all(args.url, tokens, args.concurrency)
    sender, _ = opened[0]
    conversation = opened[0][1]["conversations"][0]
    receivers = [ws for ws, _ in opened[1:]]
    print(json.dumps({"connected": len(opened), "connect_s": round(connect_s, 3)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    count = int(args.rate * args.duration)
    latencies: list[float] = []
    seqs: list[list[int]] = [[] for _ in receivers]
    done = asyncio.Event()
    expected = count * len(receivers)

    async def receive(i, ws):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] != "message":
                continue
            body = frame["message"]["body"]
            if not body.startswith("bench "):
                continue
            latencies.append(time.time() - float(body.split()[1]))
            seqs[i].append(frame["message"]["seq"])
            if len(latencies) >= expected:
                done.set()

    tasks = [asyncio.ensure_future(receive(i, ws)) for i, ws in enumerate(receivers)]

    # The sender's side: send-to-ack per step (the send path alone, before any fan-out) and error frames.
    sent_at: dict[str, tuple[int, float]] = {}
    acks: dict[int, list[float]] = {}
    errors: dict[str, int] = {}
    drain = asyncio.ensure_future(drain_acks(sender, sent_at, acks, errors))
    start = time.perf_counter()
    for n in range(count):
        target = start + n / args.rate
        await asyncio.sleep(max(0.0, target - time.perf_counter()))
        await sender.send(json.dumps({"type": "send", "conversation": conversation, "client_msg_id": f"b{n}-{start}",
                                      "body": f"bench {time.time():.6f} {PAD}"}))
    send_s = time.perf_counter() - start
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), args.settle)
    elapsed = time.perf_counter() - start
    for task in [*tasks, drain]:
        task.cancel()
    gaps = 0
    for got in seqs:
        got = sorted(set(got))
        if len(got) < count:
            gaps += 1
    ms = [x * 1000 for x in latencies]
    result = {
        "sockets": len(opened), "messages": count, "deliveries": len(latencies), "expected": expected,
        "clients_with_gaps": gaps, "connect_s": round(connect_s, 3), "connects_per_s": round(len(opened) / connect_s, 1),
        "p50_ms": round(pct(ms, 0.5), 1), "p99_ms": round(pct(ms, 0.99), 1), "max_ms": round(max(ms or [0]), 1),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
        "send_s": round(send_s, 2), "elapsed_s": round(elapsed, 2),
        "deliveries_per_s": round(len(latencies) / max(elapsed, 1e-9), 1),
    }
    await close_all([ws for ws, _ in opened])
    return result


async def ramp(args) -> dict:
    """S2: the broadcast scene at rising rates (`--rates`, `--step` seconds each) until a step's p99
    send-to-receipt passes `--limit-ms` (or a delivery of it is missing `--grace` s after its last send).
    Reports each step and, for the steps below saturation, how many receivers had a seq gap."""
    tokens = json.loads(Path(args.tokens).read_text())
    opened, connect_s = await open_all(args.url, tokens, args.concurrency)
    sender, _ = opened[0]
    conversation = opened[0][1]["conversations"][0]
    receivers = [ws for ws, _ in opened[1:]]
    print(json.dumps({"connected": len(opened), "connect_s": round(connect_s, 3)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    rates = [float(r) for r in args.rates.split(",")]
    # Per step: latencies; per receiver: the seqs and message numbers it got.
    latencies: dict[int, list[float]] = {}
    got: list[dict[int, int]] = [{} for _ in receivers]  # message number -> seq

    async def receive(i, ws):
        while True:
            frame = fast_loads(await ws.recv())
            if frame["type"] != "message":
                continue
            body = frame["message"]["body"]
            if not body.startswith("ramp "):
                continue
            _, step, number, sent_at, _pad = body.split(" ", 4)
            latencies.setdefault(int(step), []).append(time.time() - float(sent_at))
            got[i][int(number)] = frame["message"]["seq"]

    tasks = [asyncio.ensure_future(receive(i, ws)) for i, ws in enumerate(receivers)]

    # The sender's side: send-to-ack per step (the send path alone, before any fan-out) and error frames.
    sent_at: dict[str, tuple[int, float]] = {}
    acks: dict[int, list[float]] = {}
    errors: dict[str, int] = {}
    drain = asyncio.ensure_future(drain_acks(sender, sent_at, acks, errors))
    # Warm-up, not measured: the server's first messages pay one-time costs (imports, connections, plans).
    for n in range(5):
        await sender.send(json.dumps({"type": "send", "conversation": conversation, "client_msg_id": f"w{n}-{time.time()}",
                                      "body": f"warm-up {n}"}))
        await asyncio.sleep(0.2)
    await asyncio.sleep(args.grace)
    steps, number, saturated_at = [], 0, None
    for step, rate in enumerate(rates):
        count = max(1, int(rate * args.step))
        first = number
        start = time.perf_counter()
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            ref = f"r{number}-{start}"
            sent_at[ref] = (step, time.perf_counter())
            await sender.send(json.dumps({"type": "send", "conversation": conversation, "client_msg_id": ref,
                                          "body": f"ramp {step} {number} {time.time():.6f} {PAD}"}))
            number += 1
        expected = count * len(receivers)
        deadline = time.perf_counter() + args.grace
        while len(latencies.get(step, [])) < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        ms = [x * 1000 for x in latencies.get(step, [])]
        missing = expected - len(ms)
        p99 = pct(ms, 0.99) if not missing else float("inf")
        ack_ms = [x * 1000 for x in acks.get(step, [])]
        steps.append({"rate": rate, "messages": count, "deliveries": len(ms), "missing": missing,
                      "p50_ms": round(pct(ms, 0.5), 1), "p99_ms": round(p99, 1) if missing == 0 else None,
                      "acks": len(ack_ms), "ack_p50_ms": round(pct(ack_ms, 0.5), 1),
                      "ack_p99_ms": round(pct(ack_ms, 0.99), 1), "first": first, "last": number - 1})
        print(json.dumps({"step": steps[-1]}), file=sys.stderr, flush=True)
        if p99 > args.limit_ms:
            saturated_at = step
            break
    for task in [*tasks, drain]:
        task.cancel()
    below = steps if saturated_at is None else steps[:saturated_at]
    numbers = [n for s in below for n in range(s["first"], s["last"] + 1)]
    gaps = 0
    for mine in got:
        seqs = [mine.get(n) for n in numbers]
        # Every message below saturation arrived, and in seq order with no hole between consecutive messages.
        if None in seqs or any(b != a + 1 for a, b in zip(seqs, seqs[1:], strict=False)):
            gaps += 1
    await close_all([ws for ws, _ in opened])
    return {"sockets": len(opened), "connect_s": round(connect_s, 3), "steps": steps,
            "saturation_rate": below[-1]["rate"] if below else 0.0,
            "saturated": saturated_at is not None, "receivers_with_gaps_below_saturation": gaps,
            "sent": number, "errors": errors}


class ResyncClient:
    """One S4 client: reconnects with backoff after any close, syncs by seq after every (re)connect and on a
    seq gap, and keeps what it saw live apart from what it fetched with sync (the no-resync baseline)."""

    def __init__(self, url: str, token: str, log: dict):
        self.url, self.token, self.log = url, token, log
        self.conversation: int | None = None
        self.have: dict[int, str] = {}  # seq -> "group number" of the bench messages (other messages: "")
        self.live: set[str] = set()
        self.watermark = 0  # every seq up to here is in `have`
        self.ws = None
        self.syncing = False
        self.reconnects = 0
        self.caught_up: list[float] = []  # when a (re)connect's sync reached the end
        self.after_connect = False
        self.connected = asyncio.Event()
        self.stopping = False

    def _note(self, seq: int, body: str, *, live: bool) -> None:
        key = " ".join(body.split(" ", 3)[1:3]) if body.startswith("s4 ") else ""
        self.have.setdefault(seq, key)
        if key and live:
            self.live.add(key)
        if key and self.have[seq] != key:
            self.log["conflicts"] += 1
        while self.watermark + 1 in self.have:
            self.watermark += 1

    async def _sync(self) -> None:
        if not self.syncing and self.ws is not None:
            self.syncing = True
            await self.ws.send(json.dumps({"type": "sync", "conversation": self.conversation,
                                           "after_seq": self.watermark}))

    async def on_frame(self, frame: dict) -> None:
        kind = frame["type"]
        if kind == "message":
            message = frame["message"]
            if message["conversation"] != self.conversation:
                return
            self._note(message["seq"], message["body"], live=True)
            if message["seq"] > self.watermark + 1:
                await self._sync()  # a gap: ask for what is missing
        elif kind == "sync" and frame["conversation"] == self.conversation:
            for message in frame["messages"]:
                self._note(message["seq"], message["body"], live=False)
            self.syncing = False
            if frame["has_more"] or max(self.have, default=0) > self.watermark:
                await self._sync()
            elif self.after_connect:
                self.after_connect = False
                self.caught_up.append(time.time())

    async def run(self, on_frame=None) -> None:
        while not self.stopping:
            opened = await open_socket_retrying(self.url, self.token, stop=lambda: self.stopping)
            if opened is None:
                break
            ws, ready = opened
            self.ws, self.syncing, self.after_connect = ws, False, True
            self.conversation = self.conversation or min(ready["conversations"])
            self.connected.set()
            try:
                await self._sync()
                async for text in ws:
                    frame = fast_loads(text)
                    await self.on_frame(frame)
                    if on_frame is not None:
                        await on_frame(frame)
            except Exception:
                pass
            self.ws = None
            self.connected.clear()
            if not self.stopping:
                self.reconnects += 1


async def faults(args) -> dict:
    """S4: clients in `--groups` groups, one sender per group, `--rate` messages/s in all. Control lines on stdin:
    `go` starts sending, `up NAME` marks when the harness brought a service back after a fault, `stop` ends the
    sends; then every client must catch up with every acknowledged message."""
    tokens = json.loads(Path(args.tokens).read_text())
    log = {"conflicts": 0}
    acked: dict[int, dict[str, int]] = {}  # conversation -> {"conversation number": seq}
    unacked: dict[str, list] = {}  # client_msg_id -> [conversation, frame, when last sent]

    async def on_ack(frame: dict) -> None:  # only a sender gets acks
        if frame["type"] == "ack" and frame["client_msg_id"] in unacked:
            conversation, sent, _at = unacked.pop(frame["client_msg_id"])
            acked[conversation][" ".join(sent["body"].split(" ", 3)[1:3])] = frame["message"]["seq"]

    clients = [ResyncClient(args.url, t, log) for t in tokens]
    gate = asyncio.Semaphore(args.concurrency)

    async def first(client):
        async with gate:
            task = asyncio.ensure_future(client.run(on_ack))
            await client.connected.wait()
            return task

    start = time.perf_counter()
    tasks = await asyncio.gather(*[first(c) for c in clients])
    connect_s = time.perf_counter() - start
    senders: dict[int, ResyncClient] = {}
    for client in clients:
        senders.setdefault(client.conversation, client)
    print(json.dumps({"connected": len(clients), "connect_s": round(connect_s, 3), "groups": len(senders)}),
          flush=True)
    loop = asyncio.get_running_loop()
    faulted: dict[str, float] = {}
    marks: dict[str, float] = {}
    acked.update({c: {} for c in senders})
    sending = asyncio.Event()

    async def resend() -> None:
        while True:
            await asyncio.sleep(0.5)
            now = time.perf_counter()
            for entry in list(unacked.values()):
                conversation, frame, at = entry
                ws = senders[conversation].ws
                if ws is not None and now - at > 2.0:  # no ack yet: the same client_msg_id again
                    entry[2] = now
                    with contextlib.suppress(Exception):
                        await ws.send(json.dumps(frame))

    async def send_loop() -> int:
        await sending.wait()
        order, n, begin = list(senders), 0, time.perf_counter()
        while sending.is_set():
            await asyncio.sleep(max(0.0, begin + n / args.rate - time.perf_counter()))
            conversation = order[n % len(order)]
            frame = {"type": "send", "conversation": conversation, "client_msg_id": f"s4-{conversation}-{n}",
                     "body": f"s4 {conversation} {n} {time.time():.6f}"}
            unacked[frame["client_msg_id"]] = [conversation, frame, time.perf_counter()]
            ws = senders[conversation].ws
            if ws is not None:
                with contextlib.suppress(Exception):
                    await ws.send(json.dumps(frame))
            n += 1
        return n

    resender = asyncio.ensure_future(resend())
    sends = asyncio.ensure_future(send_loop())
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not line or line[0] == "stop":
            break
        if line[0] == "go":
            sending.set()
        elif line[0] == "fault":
            faulted[line[1]] = time.time()
        elif line[0] == "up":
            marks[line[1]] = time.time()
    sending.clear()
    sent = await sends
    deadline = time.perf_counter() + args.settle
    while unacked and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
    last = {c: max(seqs.values(), default=0) for c, seqs in acked.items()}
    while time.perf_counter() < deadline and any(c.watermark < last[c.conversation] for c in clients):
        await asyncio.sleep(0.2)
    resender.cancel()
    for client in clients:
        client.stopping = True
    await close_all([c.ws for c in clients if c.ws is not None])
    for task in tasks:
        task.cancel()
    lost = lost_live = duplicated = 0
    for client in clients:
        wanted = set(acked[client.conversation])
        got = [key for key in client.have.values() if key]
        duplicated += len(got) - len(set(got))
        lost += len(wanted - set(got))
        lost_live += len(wanted - client.live)
    catch_up = {}
    for name, at in marks.items():
        # From the service being back to the client's first complete sync after the fault.
        later = [max(0.0, min((t for t in c.caught_up if t >= faulted[name]), default=float("inf")) - at)
                 for c in clients]
        catch_up[name] = {"max_s": round(max(later), 2), "p50_s": round(pct(later, 0.5), 2),
                          "not_caught_up": sum(1 for x in later if x == float("inf"))}
    return {"clients": len(clients), "groups": len(senders), "connect_s": round(connect_s, 3), "sent": sent,
            "acked": sum(len(a) for a in acked.values()), "unacked": len(unacked),
            "expected_deliveries": sum(len(acked[c.conversation]) for c in clients),
            "lost": lost, "duplicated": duplicated, "conflicting_seqs": log["conflicts"],
            "lost_without_resync": lost_live, "catch_up": catch_up,
            "reconnects": sum(c.reconnects for c in clients)}


async def idle(args) -> dict:
    tokens = json.loads(Path(args.tokens).read_text())
    opened, connect_s = await open_all(args.url, tokens, args.concurrency)
    print(json.dumps({"ready": len(opened), "connect_s": round(connect_s, 3)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await close_all([ws for ws, _ in opened])
    return {"sockets": len(opened), "connect_s": round(connect_s, 3),
            "connects_per_s": round(len(opened) / connect_s, 1),
            "conversations_per_socket": statistics.fmean(len(f["conversations"]) for _, f in opened)}


# --- HTTP -----------------------------------------------------------------------------------------

class Http:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.reader = self.writer = None
        return status, data


async def http(args) -> dict:
    """Plan: {"concurrency": N, "requests": [{"method", "path", "headers", "body"}]}: latency and status per request."""
    plan = json.loads(Path(args.plan).read_text())
    parts = urlsplit(args.url)
    queue = list(enumerate(plan["requests"]))
    queue.reverse()
    results: list = [None] * len(plan["requests"])

    async def worker():
        conn = Http(parts.hostname, parts.port)
        while queue:
            i, req = queue.pop()
            body = json.dumps(req["body"]).encode() if req.get("body") is not None else b""
            headers = {**req.get("headers", {}), **({"Content-Type": "application/json"} if body else {})}
            start = time.perf_counter()
            try:
                status, data = await conn.request(req.get("method", "GET"), req["path"], headers, body)
            except Exception as exc:  # a refused or reset connection counts as an error
                status, data = 599, str(exc).encode()
                conn = Http(parts.hostname, parts.port)
            results[i] = {"status": status, "ms": (time.perf_counter() - start) * 1000,
                          "body": data[:400].decode(errors="replace") if req.get("keep_body") else ""}

    start = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(plan["concurrency"])])
    elapsed = time.perf_counter() - start
    ms = [r["ms"] for r in results]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    return {"requests": len(results), "elapsed_s": round(elapsed, 3), "per_s": round(len(results) / elapsed, 1),
            "p50_ms": round(pct(ms, 0.5), 2), "p99_ms": round(pct(ms, 0.99), 2), "statuses": statuses,
            "bodies": [r["body"] for r in results if r["body"]]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["broadcast", "ramp", "faults", "idle", "http"])
    parser.add_argument("url")
    parser.add_argument("tokens", nargs="?")
    parser.add_argument("--plan")
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--settle", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rates", default="10,20,40,80")
    parser.add_argument("--step", type=float, default=5)
    parser.add_argument("--grace", type=float, default=3)
    parser.add_argument("--limit-ms", type=float, default=1000)
    args = parser.parse_args()
    if args.mode == "http":
        args.plan = args.plan or args.tokens
    modes = {"broadcast": broadcast, "ramp": ramp, "faults": faults, "idle": idle, "http": http}
    result = asyncio.run(modes[args.mode](args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
