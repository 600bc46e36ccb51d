from django.urls import reverse
from rest_framework import serializers

from .models import MAX_GROUP_CAPACITY, GroupMember, InviteLink, VipGroup


class GroupSerializer(serializers.ModelSerializer):
    is_full = serializers.BooleanField(read_only=True)

    class Meta:
        model = VipGroup
        fields = ["id", "name", "store", "topic", "description", "rules", "welcome_message", "capacity", "member_count",
                  "is_full", "overflow_group", "series_root", "series_number", "announce_only", "system_messages",
                  "archived", "created_at"]


class GroupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    store = serializers.IntegerField(required=False, allow_null=True)
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    rules = serializers.CharField(required=False, allow_blank=True)
    welcome_message = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_GROUP_CAPACITY, required=False)
    overflow_group = serializers.IntegerField(required=False, allow_null=True)
    announce_only = serializers.BooleanField(required=False)
    system_messages = serializers.BooleanField(required=False)
    archived = serializers.BooleanField(required=False)


class MemberSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = GroupMember
        fields = ["id", "group", "customer", "customer_name", "role", "joined_at", "muted_until", "is_active",
                  "left_at", "leave_reason"]


class MemberAddSerializer(serializers.Serializer):
    customer = serializers.IntegerField()


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["member", "moderator"], required=False)
    muted_until = serializers.DateTimeField(required=False, allow_null=True)


class InviteSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    qr_svg_url = serializers.SerializerMethodField()
    qr_png_url = serializers.SerializerMethodField()
    is_usable = serializers.SerializerMethodField()

    class Meta:
        model = InviteLink
        fields = ["id", "kind", "group", "rep", "store", "label", "campaign_label", "url", "qr_svg_url", "qr_png_url",
                  "expires_at", "max_uses", "use_count", "revoked_at", "is_usable", "created_at"]

    def _absolute(self, name: str, invite: InviteLink) -> str:
        path = reverse(name, kwargs={"token": invite.token})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, invite) -> str:
        return self._absolute("communities:join", invite)

    def get_qr_svg_url(self, invite) -> str:
        return self._absolute("communities:join_qr_svg", invite)

    def get_qr_png_url(self, invite) -> str:
        return self._absolute("communities:join_qr_png", invite)

    def get_is_usable(self, invite) -> bool:
        return invite.unusable_reason() is None


class InviteCreateSerializer(serializers.Serializer):
    group = serializers.IntegerField(required=False)
    rep = serializers.IntegerField(required=False)
    store = serializers.IntegerField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    max_uses = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)
    label = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    campaign_label = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if ("group" in attrs) == ("rep" in attrs):
            raise serializers.ValidationError({"group": ["Give exactly one of group or rep."]})
        return attrs
