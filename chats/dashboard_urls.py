"""Rep inbox pages under /b/<slug>/inbox/ (included by chats/urls.py, so names are chats:inbox...)."""

from django.urls import path

from . import inbox_views

inbox_urlpatterns: list = [
    path("b/<slug:slug>/inbox/", inbox_views.InboxView.as_view(), name="inbox"),
    path("b/<slug:slug>/inbox/<int:conversation_id>/", inbox_views.InboxConversationView.as_view(),
         name="inbox_conversation"),
]
