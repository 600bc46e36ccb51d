#!/usr/bin/env python
"""`make bench`: run every benchmark module and write docs/benchmarks.md.

A module is any `bench/*.py` exposing `run(*, quick: bool) -> list[dict]`; each starts its own throwaway stack
and returns rows {"scenario", "figure", "value", "unit", "baseline", "baseline_value", "target"}, the baseline
measured in the same run. Modules run one after another (they share the machine), each in its own Python
process (some set Django up in-process against their own servers, which must not leak into the next one); a
module that fails is reported as failed and the others still run. The modules share one PostgreSQL cluster
started here, with the schema migrated once into a template database; each module clones its own database from
it (bench/stack.py `SharedPostgres`, `database()`), and starts its own Redis and servers.

    python bench/run.py [--quick] [--only live,foundation]
"""

import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REPORT = ROOT / "docs" / "benchmarks.md"
NOTES = ROOT / "bench" / "notes.md"
STANDALONE = ROOT / "bench" / "standalone.md"
PACKAGES = ["Django", "channels", "channels-redis", "redis", "uvicorn", "websockets", "celery", "psycopg2-binary",
            "orjson", "uvloop", "httptools"]


ROWS_MARK = "@@bench-rows@@"


def discover() -> list[str]:
    """Modules with a top-level `def run(` (helpers such as stack, loadgen and seed have none)."""
    return [path.stem for path in sorted((ROOT / "bench").glob("*.py"))
            if path.stem != "run" and "\ndef run(" in path.read_text()]


def run_module(name: str, *, quick: bool) -> list[dict]:
    """`bench.<name>.run(quick=...)` in a child process; its output passes through, its rows come back as JSON."""
    code = (f"import json; from bench import {name} as m; rows = m.run(quick={quick!r}); "
            f"print({ROWS_MARK!r} + json.dumps(rows, default=str), flush=True)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    rows, last = None, ""
    for line in proc.stdout:
        if line.startswith(ROWS_MARK):
            rows = json.loads(line[len(ROWS_MARK):])
            continue
        print(line, end="", flush=True)
        last = line.strip() or last
    if proc.wait() != 0 or rows is None:
        raise RuntimeError(f"exited with {proc.returncode}: {last[:300]}")
    return rows


def machine() -> list[str]:
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))
    versions = []
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{name} {metadata.version(name)}")
    services = []
    for command in (["redis-server", "--version"], ["psql", "--version"]):
        with contextlib.suppress(OSError):
            services.append(subprocess.run(command, capture_output=True, text=True).stdout.strip().split("\n")[0])
    return [
        f"- cores: {os.cpu_count()}; memory: {mem_kib / 1024 / 1024:.1f} GiB; {platform.platform()}",
        f"- load average when the run started: {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        f"- Python {platform.python_version()}; {'; '.join(versions)}",
        f"- {'; '.join(services)}",
    ]


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ratio(row: dict) -> str:
    value, base = row.get("value"), row.get("baseline_value")
    if not isinstance(value, int | float) or not isinstance(base, int | float) or not base:
        return "-"
    return f"{value / base:.1f}x"


def write_report(rows: list[dict], failures: list[str], *, quick: bool, load: list[str], seconds: float,
                 timings: dict[str, float] | None = None, cpu: dict[str, float] | None = None) -> None:
    cpu = cpu or {}
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench{' QUICK=1' if quick else ''}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
        f" {seconds:.0f} s). Every module starts its own throwaway stack (its own database cloned from one migrated"
        " template on a shared PostgreSQL); every baseline is measured in the same"
        " run, on the same machine, right beside the figure. CI does not run benchmarks.",
        "",
        "## Machine",
        "",
        *load,
        *([f"- seconds per module (and the CPU seconds of its processes, PostgreSQL's not included): "
           f"{', '.join(f'{name} {t:.0f} s' + (f' ({cpu[name]:.0f} s CPU)' if name in cpu else '') for name, t in timings.items())}"]
          if timings else []),
        f"- load average when the run ended: {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        "",
        "## Figures",
        "",
        "| scenario | figure | value | baseline (same run) | baseline value | ratio | target |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        unit = f" {row['unit']}" if row.get("unit") else ""
        lines.append(f"| {row['scenario']} | {row['figure']} | {_fmt(row['value'])}{unit} | {row.get('baseline') or '-'}"
                     f" | {_fmt(row.get('baseline_value'))} | {_ratio(row)} | {row.get('target') or '-'} |")
    if failures:
        lines += ["", "## Modules that failed", "", *[f"- {f}" for f in failures]]
    for extra in (NOTES, STANDALONE):
        if extra.exists():
            lines += ["", extra.read_text().rstrip()]
    REPORT.write_text("\n".join(lines) + "\n")


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process so far (and of the children they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    from bench.stack import SharedPostgres

    quick = "--quick" in argv or os.environ.get("QUICK") not in (None, "", "0")
    only = argv[argv.index("--only") + 1].split(",") if "--only" in argv else None
    load = machine()
    start = time.monotonic()
    rows: list[dict] = []
    failures: list[str] = []
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name in ("DATABASE_URL", "REDIS_URL"):  # (tests/testenv.py --bench sets them) each module takes its own
        os.environ.pop(name, None)
    shared = SharedPostgres()
    try:
        os.environ.update(shared.start())  # the module processes inherit it
        timings["shared PostgreSQL and migrated template"] = time.monotonic() - start
        cpu["shared PostgreSQL and migrated template"] = children_cpu()
        for name in discover():
            if only and name not in only:
                continue
            print(f"[bench] {name}", flush=True)
            began, cpu_began = time.monotonic(), children_cpu()
            try:
                got = run_module(name, quick=quick)
                rows += got
                for row in got:
                    print("[bench]", json.dumps(row), flush=True)
            except Exception:
                traceback.print_exc()
                failures.append(f"`bench/{name}.py`: {traceback.format_exc().strip().splitlines()[-1]}")
            timings[name], cpu[name] = time.monotonic() - began, children_cpu() - cpu_began
            print(f"[bench] {name}: {timings[name]:.0f} s, {cpu[name]:.0f} s CPU; load average "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    finally:
        shared.stop()
    print(f"[bench] {time.monotonic() - start:.0f} s in all, {children_cpu():.0f} s CPU", flush=True)
    write_report(rows, failures, quick=quick, load=load, seconds=time.monotonic() - start, timings=timings, cpu=cpu)
    print(REPORT.read_text())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
