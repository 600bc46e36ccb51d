"""ASGI entry point: Django for HTTP, Channels for WebSockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privtraffic.settings.base")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from chats.realtime.socket_auth import SocketAuthMiddleware  # noqa: E402
from privtraffic.routing import websocket_urlpatterns  # noqa: E402


def _close_request_db_connections(**_kwargs) -> None:
    """Under ASGI every HTTP request runs its sync code on a thread of its own that ends with the request, so a
    connection kept for reuse (DB_CONN_MAX_AGE > 0) is never reused: it lingers until garbage collection, and
    200 concurrent API senders ran PostgreSQL out of connections (bench S6). Close it when the request ends;
    the socket path's one sync thread keeps its persistent connection (consumers send no request_finished)."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


from django.core.signals import request_finished  # noqa: E402

request_finished.connect(_close_request_db_connections, dispatch_uid="privtraffic.asgi.close_request_db")

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(SocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
