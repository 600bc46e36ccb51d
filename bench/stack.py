"""A throwaway full stack for one benchmark module: PostgreSQL, Redis, uvicorn and a Celery worker.

PostgreSQL and Redis are started as `make test` starts them (tests/testenv.py); uvicorn and the worker run as
subprocesses with the production settings module (bench/settings.py adds the benchmark-only views).
Seeding runs in a subprocess too (bench/seed.py), so each module's stack is independent.

    with Stack() as stack:
        data = stack.seed("group", members=499)
        url = stack.ws_url
"""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.helpers import free_port  # noqa: E402
from tests.testenv import Postgres, Redis, wait_for_port  # noqa: E402

PYTHON = sys.executable


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Stack:
    def __init__(self, *, worker: bool = True, extra_env: dict[str, str] | None = None):
        self.worker = worker
        self.extra_env = extra_env or {}
        self.procs: list[subprocess.Popen] = []
        # BENCH_APP_ROOT: serve another checkout of the app (e.g. the previous commit) on the same stack.
        self.app_root = Path(os.environ.get("BENCH_APP_ROOT") or ROOT)
        self.postgres = self.redis = None
        self.port = free_port()

    def __enter__(self) -> "Stack":
        raise_fd_limit()
        self.postgres, self.redis = Postgres(), Redis()
        database_url = self.postgres.start()
        redis_url = self.redis.start()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
            "CHAT_FLOOD_LIMIT": "100000", "PYTHONPATH": str(self.app_root),
            # Persistent database connections, as a deployment sets them (the default 0 opens one per call).
            "DB_CONN_MAX_AGE": "60", "API_THROTTLE_RATE": "1000000/min",
            **self.extra_env,
        }
        self._create_database(database_url)
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        self.start_web()
        if self.worker:
            self.procs.append(subprocess.Popen(
                [PYTHON, "-m", "celery", "-A", "privtraffic", "worker", "--loglevel=warning", "--concurrency=2"],
                cwd=self.app_root, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return self

    def _create_database(self, url: str) -> None:
        subprocess.run([PYTHON, "-c", (
            "import sys, psycopg2; from dj_database_url import parse; cfg = parse(sys.argv[1]);"
            "c = psycopg2.connect(dbname='postgres', user=cfg['USER'], host=cfg['HOST'], port=cfg['PORT']);"
            "c.autocommit = True; c.cursor().execute('CREATE DATABASE \"%s\"' % cfg['NAME'])"), url],
            cwd=ROOT, env=self.env, check=True)

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "privtraffic.asgi:application", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning", "--no-access-log", "--ws-per-message-deflate", "false"],
            cwd=self.app_root, env=self.env, preexec_fn=raise_fd_limit)
        self.procs.append(self.web)
        wait_for_port(self.port, timeout=60)

    def kill_web(self) -> None:
        self.web.send_signal(signal.SIGKILL)
        self.web.wait()
        self.procs.remove(self.web)

    def restart_redis(self, down_s: float = 1.0) -> None:
        """kill -9 of redis-server, `down_s` without it, then the same server again on the same port (empty:
        the bench Redis keeps nothing on disk)."""
        self.redis.proc.send_signal(signal.SIGKILL)
        self.redis.proc.wait()
        time.sleep(down_s)
        self.redis.start()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def seed(self, kind: str, **options) -> dict:
        out = subprocess.run([PYTHON, str(ROOT / "bench" / "seed.py"), kind, json.dumps(options)], cwd=ROOT,
                             env=self.env, check=True, stdout=subprocess.PIPE, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def __exit__(self, *exc) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop()


def run_loadgen(*args: str, timeout: float = 600) -> dict:
    """The load generator in its own process: its last stdout line is a JSON result."""
    out = subprocess.run([PYTHON, str(ROOT / "bench" / "loadgen.py"), *args], cwd=ROOT, check=True,
                         stdout=subprocess.PIPE, text=True, timeout=timeout, preexec_fn=raise_fd_limit)
    return json.loads(out.stdout.strip().splitlines()[-1])


def wait_until(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.1)


class Loadgen:
    """An interactive load generator process: JSON lines out, control lines in."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([PYTHON, str(ROOT / "bench" / "loadgen.py"), *args], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, preexec_fn=raise_fd_limit)

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the load generator exited ({self.proc.wait()})")
        return json.loads(line)

    def tell(self, line: str = "go") -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self) -> dict:
        result = self.read()
        self.proc.wait(60)
        return result


def start_raw_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([PYTHON, str(ROOT / "bench" / "rawserver.py"), str(port)], cwd=ROOT,
                            preexec_fn=raise_fd_limit)
    wait_for_port(port)
    return proc, f"ws://127.0.0.1:{port}/ws/chat/"
