"""docs/api.md's curl examples run against a live server (uvicorn on the test database), so they cannot rot.

Each ```bash block holding a curl command starts with a comment naming the documented status
(`# 201 Created`), optionally `save the id as NAME` (later examples use `$NAME`). The block runs in
bash with BASE and API_KEY set; curl must exit 0 and answer that status. The socket example is
JavaScript and is not run here (tests/chats covers the socket).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests import factories
from tests.helpers import free_port

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"
BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)
HEADER = re.compile(r"#\s*(\d{3})\b[^\n]*?(?:save the id as (\w+))?\s*$", re.MULTILINE)


def examples() -> list[tuple[int, str | None, str]]:
    """(status, variable to save the answer's id in, command) of every curl block, in page order."""
    found = []
    for block in BLOCK.findall(DOC.read_text()):
        if "curl" not in block:
            continue
        first, _, command = block.partition("\n")
        header = HEADER.fullmatch(first.strip())
        assert header, f"a curl example must start with '# <status> ...': {first!r}"
        found.append((int(header.group(1)), header.group(2), command.strip()))
    return found


def test_the_guide_covers_what_integrators_need():
    text = DOC.read_text()
    for section in ("## Authentication", "## Pagination", "## Errors", "## Idempotency", "## Rate limits",
                    "## Chat sockets"):
        assert section in text
    assert '{type: "auth", token: answer.token}' in text  # the token goes in the first frame, not the URL
    statuses = {status for status, _, _ in examples()}
    assert {200, 201, 400, 401, 404, 409} <= statuses


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def live_base(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("tests/testenv.py provides PostgreSQL for the live server")
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "privtraffic.settings.test", "DATABASE_URL": _database_url(),
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "privtraffic.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "uvicorn exited while starting"
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("uvicorn did not answer /healthz within 30s")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_every_curl_example_answers_its_documented_status(live_base, tmp_path):
    assert shutil.which("curl"), "the examples need curl"
    brand = factories.make_brand("docs", name="Docs Beauty")
    variables = {"BASE": live_base, "API_KEY": factories.make_api_key(brand)}
    ran = 0
    for status, save_as, command in examples():
        body_file = tmp_path / "body"
        # Options after the URL are fine for curl: keep the body aside and print only the status.
        script = f"{command} --silent --show-error --output {body_file} --write-out '%{{http_code}}'"
        result = subprocess.run(["bash", "-c", script], env={**os.environ, **variables}, capture_output=True,
                                text=True, timeout=30)
        assert result.returncode == 0, (command, result.stderr)
        body = body_file.read_text()
        assert result.stdout == str(status), (command, result.stdout, body)
        if status >= 400:
            assert set(json.loads(body)) == {"error"}, body
        if save_as:
            variables[save_as] = str(json.loads(body)["id"])
        ran += 1
    assert ran >= 8
