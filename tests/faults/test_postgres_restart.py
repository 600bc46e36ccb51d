"""PostgreSQL restarted while the app runs: /healthz says 503 while it is down and 200 after, and the same uvicorn
process serves again without a restart, also on the persistent connections a deployment uses (DB_CONN_MAX_AGE)."""

import json

from tests.faults.servers import Asgi, OwnPostgres, app_env, http_status, wait_for


def _health(asgi: Asgi) -> tuple[int, dict]:
    status, body = http_status(f"{asgi.url}/healthz")
    return status, (json.loads(body) if body else {})


def test_the_app_recovers_from_a_postgres_restart_and_healthz_is_503_in_between(settings):
    postgres = OwnPostgres()
    asgi = None
    try:
        database_url = postgres.start()
        asgi = Asgi(app_env(database_url=database_url, redis_url=settings.REDIS_URL, DB_CONN_MAX_AGE="60"))
        asgi.start()
        status, body = _health(asgi)
        assert status == 200 and body["checks"]["database"] == {"ok": True}

        # Restarted while nobody asks: the first request after it must not trip over the dead persistent connection.
        postgres.halt()
        postgres.resume()
        assert _health(asgi)[0] == 200

        # Down for a while: 503 naming the database, the other parts still fine.
        postgres.halt()
        status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(_health(asgi)), timeout=30,
                                what="/healthz answering 503 while PostgreSQL is down")
        assert body["status"] == "unavailable"
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["channel_layer"] == {"ok": True}
        assert _health(asgi)[0] == 503  # and stays so

        postgres.resume()
        wait_for(postgres.accepts, timeout=30, what="PostgreSQL accepting connections again")
        status, body = _health(asgi)
        assert status == 200, body
        assert body["checks"]["database"] == {"ok": True}
        assert asgi.proc.poll() is None  # the same process: no restart was needed
    finally:
        if asgi is not None:
            asgi.stop()
        postgres.stop()


# A long-lived thread reusing its persistent connection across requests or tasks, as a WSGI worker thread or a
# Celery worker does (Celery's Django fixup runs the same close_if_unusable_or_obsolete around each task).
_REUSER = """
import sys
import django
django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection

for line in sys.stdin:
    request_started.send(sender=None)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            print("ok", cursor.fetchone()[0], flush=True)
    except Exception as exc:
        print("error", type(exc).__name__, flush=True)
    finally:
        request_finished.send(sender=None)
"""


def test_a_persistent_connection_is_checked_before_reuse_after_a_restart(settings):
    import subprocess
    import sys

    from tests.faults.servers import ROOT

    postgres = OwnPostgres()
    reuser = None
    try:
        database_url = postgres.start()
        reuser = subprocess.Popen([sys.executable, "-c", _REUSER], cwd=ROOT, text=True, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  env=app_env(database_url=database_url, redis_url=settings.REDIS_URL,
                                              DB_CONN_MAX_AGE="600"))

        def ask() -> list[str]:
            reuser.stdin.write("go\n")
            reuser.stdin.flush()
            return reuser.stdout.readline().split()

        first, again = ask(), ask()
        assert first[0] == "ok" and again == first  # the same backend: the connection is persistent
        postgres.halt()
        postgres.resume()
        after = ask()
        assert after[0] == "ok", after  # reconnected on first use, not failed
        assert after[1] != first[1]
    finally:
        if reuser is not None:
            reuser.stdin.close()
            reuser.wait(10)
        postgres.stop()
