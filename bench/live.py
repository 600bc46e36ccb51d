#!/usr/bin/env python
"""Live chat at brand scale on the full stack (issue 12): S1 group fan-out, S3 idle sockets, S6 API senders,
S8 concurrent joins. One throwaway stack (PostgreSQL, Redis, uvicorn, a Celery worker) for all of them; the
load generator (bench/loadgen.py) is a separate process; S1 and S3 are measured side by side with a raw
`websockets` broadcast server (bench/rawserver.py) in the same run.

    python bench/live.py [--quick]       (or through `make bench`, which writes docs/benchmarks.md)
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stack import Loadgen, Stack, cpu_seconds, rss_bytes, start_raw_server  # noqa: E402


def _file(data) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(data, handle)
    return handle.name


def _broadcast(url: str, pid: int, tokens_file: str, *, rate: float, duration: float) -> dict:
    gen = Loadgen("broadcast", url, tokens_file, "--rate", str(rate), "--duration", str(duration))
    connected = gen.read()
    cpu_before = cpu_seconds(pid)
    profiler = profile(pid, duration)
    gen.tell()
    result = gen.finish()
    if profiler is not None:
        profiler.wait()
    result["cpu_s"] = cpu_seconds(pid) - cpu_before
    result["cpu_ms_per_delivery"] = round(result["cpu_s"] * 1000 / max(result["deliveries"], 1), 4)
    result["connect_s"] = connected["connect_s"]
    return result


def profile(pid: int, seconds: float, name: str = "profile"):
    """BENCH_PROFILE=1: py-spy samples the server while messages flow or sockets connect (collapsed stacks under
    var/, `name-<pid>.txt`), waiting threads included; BENCH_PROFILE=cpu: only threads on a CPU."""
    if not os.environ.get("BENCH_PROFILE") or not shutil.which("py-spy", path=str(Path(sys.executable).parent)):
        return None
    out = ROOT / "var" / f"{name}-{pid}.txt"
    out.parent.mkdir(exist_ok=True)
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--format",
                             "raw", "--duration", str(int(seconds)), "--rate", "100", "--threads",
                             *([] if os.environ["BENCH_PROFILE"] == "cpu" else ["--idle"]),
                             "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of one process's main thread (the event loop) and of its other threads (sync code)."""
    tick, found = os.sysconf("SC_CLK_TCK"), {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = "event loop" if task.name == str(pid) else "other threads"
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return found


def _idle(url: str, pid: int, tokens_file: str, warm_file: str) -> dict:
    # A few sockets first, closed again: the server's one-time costs (lazy imports, pools, threads) stay out of
    # the per-socket figures.
    warm = Loadgen("idle", url, warm_file, "--concurrency", "50")
    warm.read()
    warm.tell("done")
    warm.finish()
    time.sleep(1)
    rss_before, cpu_before, threads_before = rss_bytes(pid), cpu_seconds(pid), thread_cpu(pid)
    profiler = profile(pid, 8, "connect")
    gen = Loadgen("idle", url, tokens_file, "--concurrency", "100")
    ready = gen.read()
    cpu_ms_per_connect = (cpu_seconds(pid) - cpu_before) * 1000 / max(ready["ready"], 1)
    threads = {name: round((cpu - threads_before.get(name, 0.0)) * 1000 / max(ready["ready"], 1), 2)
               for name, cpu in thread_cpu(pid).items()}
    if profiler is not None:
        profiler.wait()
    time.sleep(1)
    rss_after = rss_bytes(pid)
    gen.tell("done")
    result = gen.finish()
    result["rss_kib_per_socket"] = round((rss_after - rss_before) / 1024 / max(ready["ready"], 1), 1)
    result["cpu_ms_per_connect"] = round(cpu_ms_per_connect, 3)
    result["cpu_ms_per_connect_by_thread"] = {name: ms for name, ms in threads.items() if ms}
    return result


def s1(stack: Stack, quick: bool) -> list[dict]:
    data = stack.seed("group", members=500, slug="s1")
    tokens = _file(data["tokens"])
    rate, duration = 10, (3 if quick else 30)
    # A second of sends from a few sockets first, on both servers: the app's one-time costs (the first send's lazy
    # imports, the Celery producer's setup, the fan-out subscription) stay out of the per-delivery figures.
    warm = _file(data["tokens"][:10])
    raw, raw_url = start_raw_server()
    try:
        _broadcast(raw_url, raw.pid, warm, rate=rate, duration=1)
        floor = _broadcast(raw_url, raw.pid, tokens, rate=rate, duration=duration)
    finally:
        raw.terminate()
        raw.wait()
    _broadcast(stack.ws_url, stack.web.pid, warm, rate=rate, duration=1)
    app = _broadcast(stack.ws_url, stack.web.pid, tokens, rate=rate, duration=duration)
    print("S1 app", app, "raw", floor, flush=True)
    base = {"scenario": "S1 499 sockets in one group, 10 msg/s of ~300 B"}
    lost = app["expected"] - app["deliveries"]
    return [
        {**base, "figure": "p99 send-to-receipt", "value": app["p99_ms"], "unit": "ms",
         "baseline": "raw websockets server", "baseline_value": floor["p99_ms"], "target": "<= 200 ms"},
        {**base, "figure": "p50 send-to-receipt", "value": app["p50_ms"], "unit": "ms",
         "baseline": "raw websockets server", "baseline_value": floor["p50_ms"], "target": "-"},
        {**base, "figure": "server CPU per delivery (uvicorn process)", "value": app["cpu_ms_per_delivery"],
         "unit": "ms", "baseline": "raw websockets server", "baseline_value": floor["cpu_ms_per_delivery"],
         "target": "<= 3x baseline"},
        {**base, "figure": "deliveries/s", "value": app["deliveries_per_s"], "unit": "/s",
         "baseline": "raw websockets server", "baseline_value": floor["deliveries_per_s"], "target": "-"},
        {**base, "figure": "deliveries not received 30 s after the last send", "value": lost, "unit": f"of {app['expected']}",
         "baseline": "raw websockets server", "baseline_value": floor["expected"] - floor["deliveries"],
         "target": "0"},
        {**base, "figure": "connect 499 authenticated sockets", "value": app["connect_s"], "unit": "s",
         "baseline": "raw websockets server", "baseline_value": floor["connect_s"], "target": "-"},
    ]


def _redis_commands(port: int) -> dict[str, int]:
    """Redis's count of each command so far (INFO commandstats): the round trips the stack made."""
    import redis

    stats = redis.Redis(port=port).info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def _ramp(url: str, tokens_file: str, *, rates: list[float], step: float, pid: int,
          redis_port: int | None = None) -> dict:
    """One ramp; with the server's pid, also its CPU per send, and with the stack's Redis, its commands per send."""
    gen = Loadgen("ramp", url, tokens_file, "--rates", ",".join(str(r) for r in rates), "--step", str(step),
                  "--concurrency", "100")
    gen.read()
    # The server's CPU with the sockets open and nothing sent, per second: subtracted from the ramp's below.
    idle_before = cpu_seconds(pid)
    time.sleep(2)
    idle_per_s = (cpu_seconds(pid) - idle_before) / 2
    cpu_before, load_before, began = cpu_seconds(pid), os.getloadavg()[0], time.monotonic()
    redis_before = _redis_commands(redis_port) if redis_port else {}
    profiler = profile(pid, step * len(rates) + 10)
    gen.tell()
    result = gen.finish()
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes what it sampled so far
        profiler.wait()
    # The warm-up's 5 sends count too: they are part of the CPU and the commands measured.
    sends = result["sent"] + 5
    result["cpu_s"] = round(cpu_seconds(pid) - cpu_before, 2)
    result["idle_cpu_s"] = round(idle_per_s * (time.monotonic() - began), 2)
    result["cpu_ms_per_send"] = round(max(0.0, result["cpu_s"] - result["idle_cpu_s"]) * 1000 / sends, 2)
    result["load"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    if redis_port:
        after = _redis_commands(redis_port)
        result["redis_commands_per_send"] = {name: round((calls - redis_before.get(name, 0)) / sends, 2)
                                             for name, calls in sorted(after.items())
                                             if calls - redis_before.get(name, 0) >= sends / 10}
    return result


def s2(stack: Stack, quick: bool) -> list[dict]:
    """The S1 group at rising rates until p99 passes 1 s, on the app and on the raw server."""
    members = 100 if quick else 500
    data = stack.seed("group", members=members, slug="s2")
    tokens = _file(data["tokens"])
    rates = [2.5, 10, 20, 40, 80, 160] if quick else [2.5, 5, 10, 15, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480]
    step = 2 if quick else 8
    raw, raw_url = start_raw_server()
    try:
        floor = _ramp(raw_url, tokens, rates=rates, step=step, pid=raw.pid)
    finally:
        raw.terminate()
        raw.wait()
    app = _ramp(stack.ws_url, tokens, rates=rates, step=step, pid=stack.web.pid, redis_port=stack.redis.port)
    print("S2 app", app, "raw", floor, flush=True)
    base = {"scenario": f"S2 ramp into a {members - 1}-socket group until p99 > 1 s ({step:g} s per rate)"}

    def steps(result):
        return "; ".join(f"{s['rate']:g}/s: p99 {s['p99_ms'] if s['p99_ms'] is not None else 'missing ' + str(s['missing'])}"
                         for s in result["steps"])

    return [
        {**base, "figure": "saturation rate (highest rate with p99 <= 1 s)", "value": app["saturation_rate"],
         "unit": "msg/s" + ("" if app["saturated"] else " (not reached)")
         + ("" if app["saturation_rate"] else f" (the lowest rate, {rates[0]:g}/s, was already missed)"),
         "baseline": "raw websockets server",
         "baseline_value": floor["saturation_rate"], "target": ">= 50% of baseline"},
        {**base, "figure": "receivers with a seq gap below saturation", "value": app["receivers_with_gaps_below_saturation"],
         "unit": f"of {members - 1}", "baseline": "raw websockets server",
         "baseline_value": floor["receivers_with_gaps_below_saturation"], "target": "0"},
        {**base, "figure": "steps (app)", "value": steps(app), "unit": "", "baseline": f"raw: {steps(floor)}",
         "baseline_value": None, "target": "-"},
        {**base, "figure": "server CPU per send, fan-out to the group included, idle CPU subtracted",
         "value": app["cpu_ms_per_send"], "unit": "ms", "baseline": "raw websockets server",
         "baseline_value": floor["cpu_ms_per_send"], "target": "-"},
        {**base, "figure": "send-to-ack p50 at the lowest rate (the send path alone)",
         "value": app["steps"][0]["ack_p50_ms"], "unit": "ms", "baseline": "raw websockets server",
         "baseline_value": floor["steps"][0]["ack_p50_ms"], "target": "-"},
    ]


def s4(stack: Stack, quick: bool) -> list[dict]:
    """Clients in 20 groups with one sender each, 5 msg/s in all; kill -9 and restart of the ASGI process, then
    of Redis. Each client reconnects with backoff and syncs by seq; the baseline counts, from the same clients,
    what they would have lost without the resync (what they did not get live)."""
    clients, rate, settle = (100, 5, 3) if quick else (1000, 5, 15)
    data = stack.seed("group", members=clients, groups=20, slug="s4")
    gen = Loadgen("faults", stack.ws_url, _file(data["tokens"]), "--rate", str(rate), "--concurrency", "100",
                  "--settle", "30")
    connected = gen.read()
    gen.tell("go")
    time.sleep(settle)
    gen.tell("fault web")
    stack.kill_web()
    stack.start_web()
    gen.tell("up web")
    time.sleep(settle)
    gen.tell("fault redis")
    stack.restart_redis()
    gen.tell("up redis")
    time.sleep(settle)
    gen.tell("stop")
    result = gen.finish()
    print("S4", connected, result, flush=True)
    base = {"scenario": f"S4 {clients:,} clients in 20 groups, {rate} msg/s in all; kill -9 of uvicorn, then of Redis"}
    catch = result["catch_up"]
    return [
        {**base, "figure": "acknowledged messages lost after resync", "value": result["lost"],
         "unit": f"of {result['expected_deliveries']:,} deliveries ({result['acked']} messages)",
         "baseline": "same clients, live frames only (no resync)", "baseline_value": result["lost_without_resync"],
         "target": "0"},
        {**base, "figure": "messages duplicated (stored or shown twice)", "value": result["duplicated"]
         + result["conflicting_seqs"], "unit": "", "baseline": "none", "baseline_value": None, "target": "0"},
        {**base, "figure": "slowest client caught up after the ASGI restart", "value": catch["web"]["max_s"],
         "unit": f"s (p50 {catch['web']['p50_s']} s, {catch['web']['not_caught_up']} never)",
         "baseline": "none", "baseline_value": None, "target": "<= 10 s"},
        {**base, "figure": "slowest client caught up after the Redis restart", "value": catch["redis"]["max_s"],
         "unit": f"s (p50 {catch['redis']['p50_s']} s, {catch['redis']['not_caught_up']} never)",
         "baseline": "none", "baseline_value": None, "target": "<= 10 s"},
        {**base, "figure": "sends never acknowledged", "value": result["unacked"], "unit": f"of {result['sent']}",
         "baseline": "none", "baseline_value": None, "target": "0"},
    ]


def s3(stack: Stack, quick: bool) -> list[dict]:
    count = 200 if quick else 5000
    data = stack.seed("group", members=count + 50, groups=max(1, count // 500), direct=True, slug="s3")
    tokens, warm = _file(data["tokens"][:count]), _file(data["tokens"][count:])
    raw, raw_url = start_raw_server()
    try:
        floor = _idle(raw_url, raw.pid, tokens, warm)
    finally:
        raw.terminate()
        raw.wait()
    app = _idle(stack.ws_url, stack.web.pid, tokens, warm)
    print("S3 app", app, "raw", floor, flush=True)
    base = {"scenario": f"S3 {count:,} idle authenticated sockets, each in 2 conversations"}
    return [
        {**base, "figure": "RSS per socket (uvicorn process)", "value": app["rss_kib_per_socket"], "unit": "KiB",
         "baseline": "raw websockets server", "baseline_value": floor["rss_kib_per_socket"], "target": "<= 60 KiB"},
        {**base, "figure": "connects/s with auth (100 at a time)", "value": app["connects_per_s"], "unit": "/s",
         "baseline": "raw websockets server", "baseline_value": floor["connects_per_s"], "target": ">= 300/s"},
        {**base, "figure": "server CPU per connect (uvicorn process; the load does not inflate it)",
         "value": app["cpu_ms_per_connect"], "unit": "ms", "baseline": "raw websockets server",
         "baseline_value": floor["cpu_ms_per_connect"], "target": "-"},
    ]


def _http(stack: Stack, plan: dict) -> dict:
    gen = Loadgen("http", stack.http_url, "--plan", _file(plan))
    return gen.finish()


def s8(stack: Stack, quick: bool) -> list[dict]:
    joins, capacity = (200, 100) if quick else (1000, 500)
    data = stack.seed("joins", customers=joins, capacity=capacity)
    headers = {"Authorization": f"Bearer {data['api_key']}"}
    plan = {"concurrency": 100, "requests": [
        {"method": "POST", "path": f"/api/v1/groups/{data['group']}/members/", "headers": headers,
         "body": {"customer": customer}} for customer in data["customers"]]}
    cpu_before = cpu_seconds(stack.web.pid)
    profiler = profile(stack.web.pid, 600)
    result = _http(stack, plan)
    cpu_ms_per_join = round((cpu_seconds(stack.web.pid) - cpu_before) * 1000 / joins, 2)
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes what it sampled so far
        profiler.wait()
    check = _http(stack, {"concurrency": 1, "requests": [
        {"path": f"/api/v1/groups/{data['group']}/", "headers": headers, "keep_body": True}]})
    members = json.loads(check["bodies"][0])["member_count"]
    statuses = result["statuses"]
    print("S8", result["statuses"], result["p50_ms"], result["p99_ms"], cpu_ms_per_join, members, flush=True)
    base = {"scenario": f"S8 {joins:,} concurrent joins (100 at a time) to a {capacity}-capacity group over the API"}
    errors = sum(n for code, n in statuses.items() if code not in ("201", "409"))
    return [
        {**base, "figure": "members after (201 answers)", "value": members, "unit": f"({statuses.get('201', 0)})",
         "baseline": "none", "baseline_value": None, "target": f"exactly {capacity}"},
        {**base, "figure": "group_full answers naming the overflow", "value": statuses.get("409", 0), "unit": "",
         "baseline": "none", "baseline_value": None, "target": f"{joins - capacity}"},
        {**base, "figure": "other errors", "value": errors, "unit": "", "baseline": "none", "baseline_value": None,
         "target": "0"},
        {**base, "figure": "p99 join", "value": result["p99_ms"], "unit": "ms", "baseline": "none",
         "baseline_value": None, "target": "< 300 ms"},
        {**base, "figure": "server CPU per join (uvicorn, both answers)", "value": cpu_ms_per_join, "unit": "ms",
         "baseline": "none", "baseline_value": None, "target": "none"},
    ]


def s6(stack: Stack, quick: bool) -> list[dict]:
    per_conversation = 2 if quick else 25  # QUICK: 440 posts (400 + 10% retried), two per sender
    data = stack.seed("direct", customers=200)
    headers = {"Authorization": f"Bearer {data['api_key']}"}
    requests, sent = [], 0
    for round_ in range(per_conversation):
        for conversation in data["conversations"]:
            body = {"body": f"Your order {round_} has shipped.", "client_msg_id": f"api-{conversation}-{round_}"}
            request = {"method": "POST", "path": f"/api/v1/conversations/{conversation}/messages/",
                       "headers": headers, "body": body}
            requests.append(request)
            sent += 1
            if sent % 10 == 0:  # 10% retried with the same client_msg_id
                requests.append(dict(request))
    # Server CPU per request (process CPU time of uvicorn): the load-independent figure of the two.
    cpu_before = cpu_seconds(stack.web.pid)
    result = _http(stack, {"concurrency": 200, "requests": requests})
    cpu_app = (cpu_seconds(stack.web.pid) - cpu_before) * 1000 / len(requests)
    cpu_before = cpu_seconds(stack.web.pid)
    floor = _http(stack, {"concurrency": 200, "requests": [
        {"method": "POST", "path": "/bench/insert", "body": {"body": r["body"]["body"]}} for r in requests]})
    cpu_floor = (cpu_seconds(stack.web.pid) - cpu_before) * 1000 / len(requests)
    stored = stack.seed("count", brand=data["brand"])
    print("S6", result, floor, stored, f"cpu ms/request {cpu_app:.2f} against {cpu_floor:.2f}", flush=True)
    base = {"scenario": "S6 200 concurrent 1:1 senders over the API, client_msg_id, 10% retried"}
    return [
        {**base, "figure": "messages/s", "value": result["per_s"], "unit": "/s",
         "baseline": "bare insert view, same server", "baseline_value": floor["per_s"], "target": ">= 300/s"},
        {**base, "figure": "ack p99", "value": result["p99_ms"], "unit": "ms",
         "baseline": "bare insert view, same server", "baseline_value": floor["p99_ms"], "target": "< 150 ms"},
        {**base, "figure": "server CPU per request", "value": round(cpu_app, 2), "unit": "ms",
         "baseline": "bare insert view, same server", "baseline_value": round(cpu_floor, 2), "target": "-"},
        {**base, "figure": "duplicates stored", "value": stored["messages"] - stored["distinct"],
         "unit": f"({stored['distinct']} distinct, {sent} sent; statuses {result['statuses']})",
         "baseline": "none", "baseline_value": None, "target": "0"},
    ]


def s7(stack: Stack, quick: bool) -> list[dict]:
    """List endpoints under API-key auth at concurrency 16, against the same view bodies with auth off
    (bench/urls.py) and a minimal JSON view, all served by the same process."""
    # One at a time: 100 requests even in QUICK, so that the CPU per request (10 ms ticks) is read to 0.1 ms.
    customers, requests, one_by_one = (2_000, 80, 100) if quick else (100_000, 3_000, 300)
    data = stack.seed("customers", customers=customers)
    auth = {"Authorization": f"Bearer {data['api_key']}"}
    segment = f"customers/?segment={data['segment']}"
    paths = {
        "segment": (f"/api/v1/{segment}", auth), "segment_noauth": (f"/bench/noauth/{data['brand']}/{segment}", {}),
        "stores": ("/api/v1/stores/", auth), "stores_noauth": (f"/bench/noauth/{data['brand']}/stores/", {}),
        "json": ("/bench/json", {}),
    }
    results, sequential, cpu_ms = {}, {}, {}
    for name, (path, headers) in paths.items():
        _http(stack, {"concurrency": 4, "requests": [{"path": path, "headers": headers}] * 8})  # warm up
        results[name] = _http(stack, {"concurrency": 16, "requests": [{"path": path, "headers": headers}] * requests})
        if quick and not name.startswith("stores"):
            continue  # QUICK times one at a time only the pair the key-check figures come from
        # One at a time: the server time of one request, without the queue of 16 in front of it.
        cpu_before = cpu_seconds(stack.web.pid)
        sequential[name] = _http(stack, {"concurrency": 1,
                                         "requests": [{"path": path, "headers": headers}] * one_by_one})
        cpu_ms[name] = (cpu_seconds(stack.web.pid) - cpu_before) * 1000 / one_by_one
    print("S7", {k: (v["p50_ms"], v["p99_ms"], v["per_s"], v["statuses"]) for k, v in results.items()},
          {k: v["p50_ms"] for k, v in sequential.items()}, cpu_ms, flush=True)
    base = {"scenario": f"S7 list endpoints with API-key auth, concurrency 16, {customers:,} customers"}
    ok = all(set(r["statuses"]) == {"200"} for r in [*results.values(), *sequential.values()])
    rows = []
    for name, label in (("segment", "customers/?segment= p99"), ("stores", "stores/ p99")):
        rows += [
            {**base, "figure": label, "value": results[name]["p99_ms"], "unit": "ms",
             "baseline": "same view, auth off", "baseline_value": results[f"{name}_noauth"]["p99_ms"],
             "target": "< 50 ms"},
            {**base, "figure": f"{label.split()[0]} p99 against a minimal JSON view", "value": results[name]["p99_ms"],
             "unit": "ms", "baseline": "minimal JSON view", "baseline_value": results["json"]["p99_ms"], "target": "-"},
            {**base, "figure": f"{label.split()[0]} requests/s", "value": results[name]["per_s"], "unit": "/s",
             "baseline": "same view, auth off", "baseline_value": results[f"{name}_noauth"]["per_s"], "target": "-"},
        ]
    added = sequential["stores"]["p50_ms"] - sequential["stores_noauth"]["p50_ms"]
    rows.append({**base, "figure": "the key check adds (stores/ p50 one at a time, minus auth off)",
                 "value": round(added, 2), "unit": "ms",
                 "baseline": f"stores/ auth off, p50 one at a time: {sequential['stores_noauth']['p50_ms']} ms",
                 "baseline_value": None, "target": "<= 1 ms"})
    rows.append({**base, "figure": "the key check's server CPU per request (stores/, minus auth off)",
                 "value": round(cpu_ms["stores"] - cpu_ms["stores_noauth"], 2), "unit": "ms",
                 "baseline": f"stores/ auth off: {cpu_ms['stores_noauth']:.2f} ms CPU per request",
                 "baseline_value": None, "target": "<= 1 ms"})
    rows.append({**base, "figure": "answers other than 200", "value": 0 if ok else sum(
        n for r in [*results.values(), *sequential.values()] for code, n in r["statuses"].items() if code != "200"),
        "unit": "", "baseline": "none", "baseline_value": None, "target": "0"})
    return rows


# S3 first: its RSS per socket is the growth of a process that has not held more sockets before (memory freed by an
# earlier scenario's sockets would be reused and hide the cost). S4 last: it kills uvicorn and Redis.
SCENARIOS = [s3, s1, s2, s6, s8, s7, s4]
if os.environ.get("BENCH_ONLY"):
    SCENARIOS = [s for s in SCENARIOS if s.__name__ in os.environ["BENCH_ONLY"].split(",")]


def run(*, quick: bool) -> list[dict]:
    rows: list[dict] = []
    with Stack() as stack:
        for scenario in SCENARIOS:
            began = time.monotonic()
            try:
                rows += scenario(stack, quick)
            except Exception as exc:  # one scenario failing leaves the others' figures
                traceback.print_exc()
                rows.append({"scenario": scenario.__name__.upper(), "figure": "failed to run", "value": None,
                             "unit": "", "baseline": repr(exc)[:200], "baseline_value": None, "target": "-"})
            print(f"[live] {scenario.__name__}: {time.monotonic() - began:.0f} s", flush=True)
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
