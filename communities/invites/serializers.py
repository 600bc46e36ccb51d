from django.urls import reverse
from rest_framework import serializers

from ..models import InviteLink


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
