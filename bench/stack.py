"""A throwaway full stack for one benchmark module: PostgreSQL, Redis, uvicorn and a Celery worker.

PostgreSQL and Redis are started as `make test` starts them (tests/testenv.py); uvicorn and the worker run as
subprocesses with the production settings module (bench/settings.py adds the benchmark-only views).
Seeding runs in a subprocess too (bench/seed.py), so each module's stack is independent.

Under bench/run.py the modules share one PostgreSQL cluster whose schema was migrated once into a template
database (`SharedPostgres`, announced to the modules through BENCH_POSTGRES); each module gets a database of its
own cloned from it (`database()`: CREATE DATABASE ... TEMPLATE), so nothing leaks from one module to the next and
none of them initialises a cluster or migrates. A module run alone starts a cluster of its own. Either way the
migrated schema comes from `pg_restore` of the dump an earlier migrate left in var/bench-schema/ when the migration
files, constraints.txt and PostgreSQL are the same (`migrated_database`), else from `manage.py migrate`.

    with Stack() as stack:
        data = stack.seed("group", members=499)
        url = stack.ws_url
"""

import contextlib
import hashlib
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
SHARED = "BENCH_POSTGRES"  # postgres://user@host:port of bench/run.py's cluster (no database name)
TEMPLATE = "bench_template"  # the migrated database on it that each module's database is cloned from


def log(message: str) -> None:
    print(f"[stack] {message}", flush=True)


def _admin(server: str, statement: str) -> None:
    """One statement (CREATE/DROP DATABASE) on the cluster's `postgres` database, outside a transaction."""
    import psycopg2

    conn = psycopg2.connect(f"{server}/postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def migrate(database_url: str) -> None:
    """`manage.py migrate` into an empty database (the schema does not depend on Redis or the settings module)."""
    began = time.monotonic()
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "privtraffic.settings.base",
           "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    log(f"migrated in {time.monotonic() - began:.1f} s")


SCHEMA_CACHE = ROOT / "var" / "bench-schema"  # pg_dump of a freshly migrated database, named by _schema_key()


def _pg_tools(pg_bin: Path) -> Path:
    """The directory of the PostgreSQL binaries themselves (pg_dump and pg_restore beside initdb; its path names
    the major version), wherever a link to initdb was found."""
    return Path(os.path.realpath(pg_bin / "initdb")).parent


def _schema_key(pg_bin: Path) -> str:
    """What a migrated schema depends on: the project's migration files, the pinned packages (their migrations)
    and the PostgreSQL binaries."""
    digest = hashlib.sha256(str(_pg_tools(pg_bin)).encode())
    digest.update((ROOT / "constraints.txt").read_bytes())
    files = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in ("var", "node_modules", "__pycache__")]
        if Path(dirpath).name == "migrations":
            files += [Path(dirpath) / f for f in filenames if f.endswith(".py")]
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def migrated_database(server: str, name: str, pg_bin: Path) -> str:
    """Create NAME with the migrated schema and return its URL: restored (pg_restore, a second or two) from the
    dump a previous run wrote for the same migrations, packages and PostgreSQL, else `manage.py migrate`, which
    then writes that dump (var/bench-schema/; delete it to migrate again)."""
    began = time.monotonic()
    url = f"{server}/{name}"
    _admin(server, f'CREATE DATABASE "{name}"')
    dump = SCHEMA_CACHE / f"{_schema_key(pg_bin)}.dump"
    if dump.exists():
        subprocess.run([str(_pg_tools(pg_bin) / "pg_restore"), "--no-owner", "--exit-on-error", "-d", url, str(dump)],
                       check=True)
        log(f"{name}: migrated schema restored from {dump.relative_to(ROOT)} in {time.monotonic() - began:.1f} s")
        return url
    migrate(url)
    SCHEMA_CACHE.mkdir(parents=True, exist_ok=True)
    partial = dump.with_name(f"{dump.stem}.{os.getpid()}.partial")
    subprocess.run([str(_pg_tools(pg_bin) / "pg_dump"), "-Fc", "-f", str(partial), url], check=True)
    for old in SCHEMA_CACHE.glob("*.dump"):  # another schema's: not needed any more
        old.unlink()
    partial.replace(dump)
    log(f"{name}: migrated in {time.monotonic() - began:.1f} s (schema saved to {dump.relative_to(ROOT)})")
    return url


class SharedPostgres:
    """bench/run.py's one PostgreSQL cluster for the whole run, with the migrated schema in TEMPLATE; `start()`
    returns what the module processes need to find it (their databases are clones: `database()`)."""

    def __init__(self):
        self.postgres = Postgres()
        self.server = ""

    def start(self) -> dict[str, str]:
        began = time.monotonic()
        self.server = self.postgres.start().rsplit("/", 1)[0]
        migrated_database(self.server, TEMPLATE, self.postgres.bin)
        log(f"shared PostgreSQL with a migrated template database in {time.monotonic() - began:.1f} s")
        return {SHARED: self.server}

    def stop(self) -> None:
        self.postgres.stop()


@contextlib.contextmanager
def database(name: str):
    """A migrated PostgreSQL database of one module's own; yields its DATABASE_URL. Under bench/run.py a clone of
    the run's template (a file copy: a second or two), dropped at the end; run alone, a throwaway cluster of its
    own with the migrated schema (`migrated_database`)."""
    began = time.monotonic()
    server = os.environ.get(SHARED)
    if server:
        _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        log(f"database {name} cloned from {TEMPLATE} in {time.monotonic() - began:.1f} s")
        try:
            yield f"{server}/{name}"
        finally:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    postgres = Postgres()
    try:
        url = migrated_database(postgres.start().rsplit("/", 1)[0], name, postgres.bin)
        log(f"PostgreSQL of its own with the migrated schema in {time.monotonic() - began:.1f} s")
        yield url
    finally:
        postgres.stop()


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
        self.redis = self.seeder = None
        self.resources = contextlib.ExitStack()
        self.port = free_port()

    def __enter__(self) -> "Stack":
        raise_fd_limit()
        database_url = self.resources.enter_context(database("bench_live"))
        self.redis = Redis()
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
        self.start_web()
        if self.worker:
            self.procs.append(subprocess.Popen(
                [PYTHON, "-m", "celery", "-A", "privtraffic", "worker", "--loglevel=warning", "--concurrency=2"],
                cwd=self.app_root, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return self

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
        """bench/seed.py's KIND in one seeding process kept for the stack (started at the first seed: Django's
        start is paid once, not once per scenario)."""
        if self.seeder is None:
            self.seeder = subprocess.Popen([PYTHON, str(ROOT / "bench" / "seed.py"), "--serve"], cwd=ROOT,
                                           env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.procs.insert(0, self.seeder)  # stopped last, after the servers
        self.seeder.stdin.write(json.dumps({"kind": kind, "options": options}) + "\n")
        self.seeder.stdin.flush()
        for line in self.seeder.stdout:
            if line.startswith("@@seed@@"):
                return json.loads(line[len("@@seed@@"):])
            print(line, end="", flush=True)
        raise RuntimeError(f"the seeding process exited ({self.seeder.wait()})")

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
        self.resources.close()


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
