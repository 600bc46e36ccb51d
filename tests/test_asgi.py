"""The ASGI entry point under persistent connections (bench S6: PostgreSQL ran out of connections)."""

import gc

import pytest
from asgiref.testing import ApplicationCommunicator
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


def _open_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


async def _get(application, path: str) -> int:
    communicator = ApplicationCommunicator(application, {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver")], "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
    })
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(10)
    await communicator.receive_output(10)  # the body
    await communicator.wait(10)
    return start["status"]


@pytest.mark.asyncio
async def test_http_requests_leave_no_database_connection_behind(settings):
    """Each HTTP request runs on a thread of its own: with DB_CONN_MAX_AGE > 0 its connection used to stay open
    (never to be reused) until garbage collection; now it is closed when the request ends."""
    from asgiref.sync import sync_to_async

    from privtraffic.asgi import application

    if connection.vendor != "postgresql":
        pytest.fail("make test runs on PostgreSQL")
    settings.ALLOWED_HOSTS = ["testserver"]
    default = connections.settings["default"]
    max_age, default["CONN_MAX_AGE"] = default["CONN_MAX_AGE"], 60
    gc.disable()  # what lingers must be what the request left open, not what a collection happened to close
    try:
        before = await sync_to_async(_open_connections)()
        statuses = [await _get(application, "/healthz") for _ in range(15)]
        after = await sync_to_async(_open_connections)()
    finally:
        gc.enable()
        default["CONN_MAX_AGE"] = max_age
    assert set(statuses) == {200}  # /healthz queried the database each time
    assert after <= before + 1
