"""What the fault tests kill, each started by the test itself: its own redis-server, PostgreSQL cluster, uvicorn
and Celery worker, so that stopping one never touches the servers the rest of the suite shares.

Every wait polls with a generous deadline: these run on a loaded 2-core machine.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from tests.helpers import free_port
from tests.testenv import Postgres

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1):
    """Poll until `predicate()` is truthy; return its value, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


def port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def http_status(url: str, *, timeout: float = 10) -> tuple[int, bytes]:
    """(status, body) of a GET; 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def database_url(settings_dict: dict) -> str:
    auth = quote(settings_dict["USER"] or "", safe="")
    if settings_dict.get("PASSWORD"):
        auth += ":" + quote(settings_dict["PASSWORD"], safe="")
    return (f"postgres://{auth}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
            f"{settings_dict['NAME']}")


class OwnRedis:
    """A redis-server of one test, stopped and started again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="privtraffic-fault-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--databases", "16"], stdout=subprocess.DEVNULL)
        wait_for(lambda: port_open(self.port), timeout=30, what="redis-server listening")

    def kill(self) -> None:
        """Gone at once, as a crashed or restarted Redis is: every client's connection breaks."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnPostgres(Postgres):
    """A throwaway cluster (tests/testenv.py's Postgres) that can be stopped and started again on its port."""

    def __init__(self):
        super().__init__()
        self.options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off")

    def start(self) -> str:
        url = super().start()
        return url.rsplit("/", 1)[0] + "/postgres"

    def halt(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", self.options, "-l", str(self.dir / "log"),
                 "-w", "start")

    def accepts(self) -> bool:
        import psycopg2

        try:
            psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False


def app_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a uvicorn or Celery subprocess: the test settings on the given servers."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privtraffic.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        **extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


class Asgi:
    """uvicorn on one port across kills and restarts."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/chat/"
        self.proc: subprocess.Popen | None = None

    def start(self, *, healthy: bool = True) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "privtraffic.asgi:application", "--host", "127.0.0.1", "--port",
             str(self.port), "--log-level", "warning", "--no-access-log", "--ws-per-message-deflate", "false"],
            cwd=ROOT, env=self.env)

        def up():
            assert self.proc.poll() is None, "uvicorn exited while starting"
            status, _ = http_status(f"{self.url}/healthz", timeout=5)
            return status == 200 if healthy else status != 0

        wait_for(up, timeout=60, what="uvicorn answering /healthz", interval=0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no close frames; clients see their connections drop."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
