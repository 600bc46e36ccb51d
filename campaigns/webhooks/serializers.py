from rest_framework import serializers

from .catalogue import ALL, EVENT_TYPES
from .models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from .targets import MAX_URL_LENGTH

EVENT_CHOICES = [ALL, *EVENT_TYPES]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "disabled_at", "disabled_reason",
                  "previous_secret_expires_at", "created_at", "updated_at"]
        extra_kwargs = {"events": {"help_text": "Event types, or [\"*\"] for all."},
                        "previous_secret_expires_at": {
                            "help_text": "After a rotation: until then the previous secret signs too."}}


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    """The endpoint with its signing secret: answered only on creation and on rotation."""

    secret = serializers.CharField(help_text="`whsec_<base64>`: keep it; it is not shown again.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=MAX_URL_LENGTH, help_text="An http(s) URL on a public address.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1,
                                   max_length=len(EVENT_CHOICES))
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=MAX_URL_LENGTH, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1,
                                   max_length=len(EVENT_CHOICES), required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, help_text="false disables the endpoint, true enables it.")


class WebhookRequestSerializer(serializers.Serializer):
    headers = serializers.DictField(child=serializers.CharField(), source="request_headers",
                                    help_text="The headers of the last attempt (empty before the first).")
    body = serializers.CharField(help_text="The exact JSON body signed and sent.")


class WebhookResponseSerializer(serializers.Serializer):
    status = serializers.IntegerField(source="response_status", allow_null=True)
    body = serializers.CharField(source="response_body", help_text="The first 2,000 characters.")
    duration_ms = serializers.IntegerField(source="response_ms", allow_null=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="msg_id", help_text="The `webhook-id` header.")
    status = serializers.ChoiceField(choices=WebhookDeliveryStatus.choices)
    request = WebhookRequestSerializer(source="*")
    response = WebhookResponseSerializer(source="*")
    error = serializers.CharField(source="last_error")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "event_id", "event_type", "webhook_id", "status", "attempts", "next_attempt_at",
                  "last_attempt_at", "finished_at", "redelivery_of", "request", "response", "error", "created_at"]
