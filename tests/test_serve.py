"""`make run`'s serve command boots the embedded default on a fresh var/ dir."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_boots_embedded_and_stops_on_signal(tmp_path, stop_signal):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env["PRIVTRAFFIC_VAR_DIR"] = str(tmp_path / "var")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read()
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, body
        assert json.loads(body)["status"] == "ok"
        status, login_page = _get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200 and 'name="password"' in login_page
        assert (tmp_path / "var" / "privtraffic.sqlite3").exists()
    finally:
        proc.send_signal(stop_signal)
        output, _ = proc.communicate(timeout=30)
    # A graceful shutdown, then the process ends as the signal asked (0 after Ctrl-C, -15 for SIGTERM).
    assert "Shutting down" in output and "Finished server process" in output, output
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert f"http://127.0.0.1:{port}/" in output and "owner@demo.test" in output
