import pytest
from channels.layers import channel_layers
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part_ok_on_postgres_and_redis(client, settings):
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "channel_layer": {"ok": True}, "broker": {"ok": True}},
    }


def _dead_redis(settings) -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_healthz_is_503_when_the_channel_layer_is_down(client, settings):
    dead = _dead_redis(settings)
    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [dead]}}}
    with override_settings(CHANNEL_LAYERS=layers):
        response = client.get("/healthz")
    channel_layers.backends.clear()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["channel_layer"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_the_broker_is_down(client, settings):
    from privtraffic.celery import app as celery_app

    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = _dead_redis(settings)
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
