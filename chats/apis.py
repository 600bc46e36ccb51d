"""/api/v1/conversations/ and messages, and chat tokens for integrators embedding chat."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from crm.customers.selectors import customer_get
from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_int

from . import selectors
from .realtime.tokens import chat_token_issue, chat_token_revoke
from .serialization import message_to_dict
from .serializers import (
    ChatTokenSerializer,
    ConversationSerializer,
    MessageCreateSerializer,
    MessageSerializer,
)
from .services import Sender, message_send


class ConversationListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("group", int), OpenApiParameter("customer", int)],
                   responses=ConversationSerializer(many=True))
    def get(self, request):
        conversations = selectors.brand_conversation_list(
            brand=self.brand, actor=self.actor, group_id=query_int(request, "group"),
            customer_id=query_int(request, "customer"))
        return self.paginate(conversations, ConversationSerializer)


class ConversationDetailApi(BrandAPIView):
    @extend_schema(responses=ConversationSerializer)
    def get(self, request, conversation_id: int):
        conversation = selectors.brand_conversation_get(brand=self.brand, actor=self.actor,
                                                      conversation_id=conversation_id)
        return Response(ConversationSerializer(conversation).data)


class MessageListApi(BrandAPIView):
    schema_cursor_parameter = False  # pages by after_seq; `next` carries it

    @extend_schema(parameters=[OpenApiParameter("after_seq", int), OpenApiParameter("limit", int)],
                   responses=MessageSerializer(many=True))
    def get(self, request, conversation_id: int):
        """Messages after `after_seq`, oldest first; `next` continues from the last one returned."""
        conversation = selectors.brand_conversation_get(brand=self.brand, actor=self.actor,
                                                      conversation_id=conversation_id)
        after_seq = query_int(request, "after_seq") or 0
        limit = min(query_int(request, "limit") or selectors.SYNC_PAGE_SIZE, selectors.SYNC_PAGE_SIZE)
        page = selectors.message_list(conversation=conversation, after_seq=after_seq, limit=limit + 1)
        results = [message_to_dict(m, staff=True) for m in page[:limit]]  # the brand sees who sent persona messages
        next_url = None
        if len(page) > limit:
            next_url = request.build_absolute_uri(
                f"{request.path}?after_seq={results[-1]['seq']}&limit={limit}")
        return Response({"results": results, "next": next_url, "previous": None})

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer})
    def post(self, request, conversation_id: int):
        """Post as the brand (sender_type bot, named after the brand). A repeated client_msg_id returns the first."""
        conversation = selectors.brand_conversation_get(brand=self.brand, actor=self.actor,
                                                      conversation_id=conversation_id)
        data = parse_input(MessageCreateSerializer, request.data)
        message = message_send(conversation=conversation, sender=Sender.bot(self.brand.name, key="api"), body=data["body"],
                               kind=data["kind"], payload=data["payload"], client_msg_id=data["client_msg_id"])
        return Response(message_to_dict(message), status=status.HTTP_201_CREATED)


class ChatTokenApi(BrandAPIView):
    @extend_schema(request=None, responses={201: ChatTokenSerializer})
    def post(self, request, customer_id: int):
        """A short-lived token for one customer's socket: open `ws_url`, then send
        `{"type": "auth", "token": ...}` as the first frame. The token is never part of the URL."""
        customer = customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        token, expires_at = chat_token_issue(customer=customer, actor=self.actor)
        ws_url = request.build_absolute_uri("/ws/chat/").replace("http", "ws", 1)
        return Response({"token": token, "expires_at": expires_at, "ws_url": ws_url}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, customer_id: int):
        """Revoke every chat token of the customer now; sockets opened with them are closed with 4401."""
        customer = customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        chat_token_revoke(customer=customer, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)
