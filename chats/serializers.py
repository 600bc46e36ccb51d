from rest_framework import serializers

from .models import Conversation, MessageKind, SenderType


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


class PersonaRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    bio = serializers.CharField(allow_blank=True)
    avatar_url = serializers.CharField(allow_null=True)


class RealSenderSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(allow_blank=True)



class MessageSerializer(serializers.Serializer):
    """The MESSAGE object of CONTRACT.md as `serialization.message_to_dict` answers it (for the schema)."""

    id = serializers.IntegerField()
    conversation = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender_type = serializers.ChoiceField(choices=SenderType.choices)
    sender_name = serializers.CharField()
    sender_key = serializers.CharField()
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    body = serializers.CharField(allow_blank=True)
    payload = serializers.DictField()
    client_msg_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
    hidden = serializers.BooleanField()
    persona = PersonaRefSerializer(allow_null=True)
    sent_by = RealSenderSerializer(required=False, help_text="On persona messages: who really sent it.")
