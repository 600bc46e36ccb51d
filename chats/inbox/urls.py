"""Rep inbox pages under /b/<slug>/inbox/ and the quick replies they use (included by chats/urls.py, so
names are chats:inbox, chats:quick_replies, ...)."""

from django.urls import path

from . import views

inbox_urlpatterns: list = [
    path("b/<slug:slug>/quick-replies/", views.QuickReplyListView.as_view(), name="quick_replies"),
    path("b/<slug:slug>/inbox/", views.InboxView.as_view(), name="inbox"),
    path("b/<slug:slug>/inbox/<int:conversation_id>/", views.InboxConversationView.as_view(),
         name="inbox_conversation"),
]
