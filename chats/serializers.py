from rest_framework import serializers

from .models import Conversation


class ConversationSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "kind", "group", "customer", "title", "last_seq", "last_message_at", "created_at"]


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=4000, allow_blank=True)
    client_msg_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=["text", "image", "product", "coupon", "order", "survey"], default="text")
    payload = serializers.DictField(required=False, default=dict)


class ChatTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    ws_url = serializers.CharField()
