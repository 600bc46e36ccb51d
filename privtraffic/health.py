"""/healthz: is each part this process depends on reachable right now?"""

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from privtraffic.celery import app as celery_app


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    channel = f"healthz.{uuid.uuid4().hex}"

    async def roundtrip():
        await layer.send(channel, {"type": "healthz"})
        message = await layer.receive(channel)
        if message.get("type") != "healthz":
            raise RuntimeError("channel layer returned a different message")

    async_to_sync(roundtrip)()


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


CHECKS = {"database": _check_database, "channel_layer": _check_channel_layer, "broker": _check_broker}


@never_cache
def healthz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "down"; the reason helps the operator
            results[name] = {"ok": False, "error": exc.__class__.__name__}
        else:
            results[name] = {"ok": True}
    healthy = all(r["ok"] for r in results.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": results}, status=200 if healthy else 503)
