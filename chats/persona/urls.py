from django.urls import path

from . import views

persona_urlpatterns: list = [
    path("b/<slug:slug>/persona/", views.PersonaView.as_view(), name="persona"),
    path("chat/persona/<int:persona_id>/avatar/", views.PersonaAvatarView.as_view(), name="persona_avatar"),
]
