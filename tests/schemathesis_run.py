#!/usr/bin/env python
"""Fuzz the served OpenAPI schema with schemathesis on a throwaway server (CI, `make schemathesis`).

Run through `python tests/testenv.py --schemathesis [-- extra schemathesis options]`, which provides
DATABASE_URL and REDIS_URL (a fresh PostgreSQL and redis-server). This script creates the database,
migrates, creates a brand with an API key, starts uvicorn with DEBUG off and the per-key throttle raised,
and runs schemathesis against http://127.0.0.1:PORT/api/schema/ with the key. Any finding fails the run.

Checks: not_a_server_error, status_code_conformance, response_schema_conformance, negative_data_rejection.
The schema's OpenAPI links (privtraffic/tenancy/schema.py) let the stateful phase go
create -> read -> update -> delete; it runs apart with a third of the time. SCHEMATHESIS_MAX_TIME (seconds,
default 120) bounds the whole, SCHEMATHESIS_SEED (default 1) seeds it; extra arguments go to schemathesis.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tests.helpers import free_port  # noqa: E402

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,negative_data_rejection"


def log(message: str) -> None:
    print(f"[schemathesis] {message}", flush=True)


def create_database(url: str) -> None:
    parts = urlsplit(url)
    connection = psycopg2.connect(host=parts.hostname, port=parts.port, user=parts.username or "postgres",
                                  dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
    connection.close()


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("[schemathesis] uvicorn exited while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"[schemathesis] {url} did not answer within {timeout}s")


def main(extra: list[str]) -> int:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privtraffic.settings.test",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The fuzzer sends thousands of requests a minute: the limit itself is tested elsewhere.
        "API_THROTTLE_RATE": "1000000/min",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    create_database(env["DATABASE_URL"])
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    created = subprocess.run(
        [python, "manage.py", "create_brand", "--name", "Fuzz Brand", "--slug", "fuzz",
         "--owner-email", "owner@fuzz.test", "--owner-password", "fuzz-owner-password-1", "--api-key"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout
    api_key = re.search(r"^API_KEY=(\S+)$", created, re.MULTILINE).group(1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Thousands of 4xx warnings would bury the report: the server's log goes to a file, shown on failure.
    server_log = tempfile.NamedTemporaryFile(prefix="privtraffic-schemathesis-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(
        [python, "-m", "uvicorn", "privtraffic.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"{base}/healthz", server)
        # Two runs share the time budget so the stateful phase (create -> read -> update -> delete along the
        # schema's links) gets its own share instead of what coverage and fuzzing leave over.
        budget = int(os.environ.get("SCHEMATHESIS_MAX_TIME", "120"))
        returncode = 0
        for phases, seconds in (("coverage,fuzzing", budget * 2 // 3), ("stateful", budget - budget * 2 // 3)):
            command = [
                str(Path(python).parent / "schemathesis"), "run", f"{base}/api/schema/",
                "--url", base,
                "--header", f"Authorization: Bearer {api_key}",
                "--checks", CHECKS,
                "--phases", phases,
                "--max-time", str(max(seconds, 1)),
                "--workers", "1",  # CPython 3.11.7 ast.parse is not thread safe (schemathesis "AST constructor recursion")
                "--seed", os.environ.get("SCHEMATHESIS_SEED", "1"),
                "--suppress-health-check", "too_slow,filter_too_much",
                "--output-sanitize", "true",
                # NUL bytes are generated too: the edge refuses them with a 400 (tenancy.parsing).
                "--generation-allow-x00", os.environ.get("SCHEMATHESIS_ALLOW_NUL", "true"),
                *extra,
            ]
            log(" ".join(command).replace(api_key, "<key>"))
            returncode = subprocess.run(command, cwd=ROOT, env=env).returncode or returncode
        if returncode:
            errors = [line for line in Path(server_log.name).read_text(errors="replace").splitlines()
                      if "WARNING django.request" not in line]
            log(f"server log ({server_log.name}), 4xx warnings left out:\n" + "\n".join(errors[-80:]))
        return returncode
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
