"""WebSocket routes of the chat app (the /ws/chat/ consumer lands with the real-time chat issue)."""

websocket_urlpatterns: list = []
