"""WebSocket routes of every app, gathered for privtraffic.asgi."""

from chats.realtime.routing import websocket_urlpatterns as chat_patterns

websocket_urlpatterns = [*chat_patterns]
