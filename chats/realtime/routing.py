"""The chat socket's route, /ws/chat/ (gathered with every app's routes in privtraffic/routing.py)."""

from django.urls import path

from .consumers import ChatConsumer

websocket_urlpatterns = [path("ws/chat/", ChatConsumer.as_asgi())]
