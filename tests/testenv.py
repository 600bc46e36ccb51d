#!/usr/bin/env python
"""Run the test suite (or the benchmarks) against a throwaway PostgreSQL and redis-server.

Each server gets a free local port and a temp dir, and both are stopped when the
run ends. Missing servers (and Chromium for the browser tests, gettext for the
translation completeness test) are installed with apt-get when running as root.
PostgreSQL refuses to run as root, so then initdb and pg_ctl run as the system
`postgres` user in a dir it owns.

    python tests/testenv.py -- [pytest args]
    python tests/testenv.py --bench
    python tests/testenv.py --schemathesis [-- schemathesis options]   (tests/schemathesis_run.py)
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: tests/ is on the path, the checkout is not
    sys.path.insert(0, str(ROOT))
from tests.helpers import free_port  # noqa: E402  (stdlib only at import)

IS_ROOT = os.geteuid() == 0
_apt_updated = False


def log(message: str) -> None:
    print(f"[testenv] {message}", flush=True)


def apt_install(*packages: str) -> None:
    global _apt_updated
    if not IS_ROOT or not shutil.which("apt-get"):
        sys.exit(f"[testenv] missing {', '.join(packages)}: install it (apt-get install {' '.join(packages)})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        _apt_updated = True
    log(f"installing {' '.join(packages)} with apt-get")
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def find_pg_bin() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {timeout}s")


class Postgres:
    def __init__(self):
        pg_bin = find_pg_bin()
        if pg_bin is None:
            apt_install("postgresql")
            pg_bin = find_pg_bin()
        self.bin = pg_bin
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="privtraffic-pg-"))
        self.data = self.dir / "data"
        self.prefix: list[str] = []
        if IS_ROOT:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.dir, postgres.pw_uid, postgres.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, stdout=subprocess.DEVNULL, cwd=self.dir)

    def start(self) -> str:
        self.run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--no-sync")
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB"
        )
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")
        log(f"PostgreSQL on 127.0.0.1:{self.port}")
        return f"postgres://postgres@127.0.0.1:{self.port}/privtraffic"

    def stop(self) -> None:
        try:
            self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        except Exception as exc:  # the run's result matters more than a failed teardown
            log(f"PostgreSQL stop failed: {exc}")
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self):
        if not shutil.which("redis-server"):
            apt_install("redis-server")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="privtraffic-redis-"))
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--databases", "16"],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        log(f"redis-server on 127.0.0.1:{self.port}")
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def ensure_chromium() -> None:
    if not Path("/usr/bin/chromium").exists():
        apt_install("chromium")


def ensure_gettext() -> None:
    """xgettext/msgmerge for the translation completeness test, which skips without them."""
    if shutil.which("xgettext") and shutil.which("msgmerge"):
        return
    if IS_ROOT and shutil.which("apt-get"):
        apt_install("gettext")
    else:
        log("gettext is missing (apt-get install gettext): the translation completeness test will skip")


def main(argv: list[str]) -> int:
    bench = "--bench" in argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    fuzz = "--schemathesis" in argv
    if not bench and not fuzz:
        ensure_chromium()
        ensure_gettext()
    postgres, redis = Postgres(), Redis()
    try:
        env = {**os.environ, "DATABASE_URL": postgres.start(), "REDIS_URL": redis.start()}
        python = sys.executable
        if bench:
            command = [python, str(ROOT / "bench" / "run.py"), *extra]
        elif fuzz:
            command = [python, str(ROOT / "tests" / "schemathesis_run.py"), *extra]
        else:
            # One worker by default: three whole-suite runs on 2 workers this session stalled near the end (a worker
            # waiting in an async test's teardown while the other idled); every single-worker run finished.
            # TEST_WORKERS=2 still works for quick local runs of a few directories.
            workers = os.environ.get("TEST_WORKERS", "1")
            command = [python, "-m", "pytest", "-n", workers, "--dist", "loadfile", *extra]
        log(" ".join(command))
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    finally:
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
