from django.urls import path

from . import apis

urlpatterns = [
    path("conversations/", apis.ConversationListApi.as_view(), name="api-conversations"),
    path("conversations/<int:conversation_id>/", apis.ConversationDetailApi.as_view(), name="api-conversation-detail"),
    path("conversations/<int:conversation_id>/messages/", apis.MessageListApi.as_view(), name="api-messages"),
    path("customers/<int:customer_id>/chat-token/", apis.ChatTokenApi.as_view(), name="api-chat-token"),
]
