"""/api/v1/webhooks/: integrators register endpoints, read the delivery log, rotate secrets, redeliver."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_choice

from . import selectors, services
from .models import WebhookDeliveryStatus
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSecretSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)

SIGNING = """
Every delivery is a POST of `{"type": "<event type>", "timestamp": "<ISO 8601>", "data": {...}}` signed per the
Standard Webhooks spec (https://www.standardwebhooks.com/):

- `webhook-id`: the message id (`msg_...`), the same on every retry and redelivery: deduplicate on it;
- `webhook-timestamp`: seconds since the epoch when this attempt was signed; refuse ones older than 5 minutes;
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` keyed with the
  base64-decoded part of the secret after `whsec_`; for 24 hours after a rotation it carries two signatures,
  space-separated, one per secret.

Verify with the `standardwebhooks` package: `Webhook(secret).verify(body, headers)`. Answer 2xx within 10 s;
anything else is retried (immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h), and 410 Gone
disables the endpoint. Targets must resolve to public addresses.
"""


class WebhookListApi(BrandAPIView):
    @extend_schema(responses=WebhookEndpointSerializer(many=True), description=SIGNING)
    def get(self, request):
        return self.paginate(selectors.webhook_endpoint_list(brand=self.brand), WebhookEndpointSerializer)

    @extend_schema(request=WebhookEndpointInputSerializer, responses={201: WebhookEndpointSecretSerializer},
                   description="Register an endpoint; the answer carries its `secret`, the only time it is shown."
                               + SIGNING)
    def post(self, request):
        data = parse_input(WebhookEndpointInputSerializer, request.data)
        endpoint, secret = services.webhook_endpoint_create(brand=self.brand, actor=self.actor, **data)
        endpoint.secret = secret
        return Response(WebhookEndpointSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(BrandAPIView):
    def _endpoint(self, endpoint_id):
        return selectors.webhook_endpoint_get(brand=self.brand, endpoint_id=endpoint_id)

    @extend_schema(responses=WebhookEndpointSerializer)
    def get(self, request, endpoint_id: int):
        return Response(WebhookEndpointSerializer(self._endpoint(endpoint_id)).data)

    @extend_schema(request=WebhookEndpointUpdateSerializer, responses=WebhookEndpointSerializer)
    def patch(self, request, endpoint_id: int):
        """Change the URL, the events or the description; `active` disables (false) or enables (true) it."""
        endpoint = self._endpoint(endpoint_id)
        data = parse_input(WebhookEndpointUpdateSerializer, request.data)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, actor=self.actor, **data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, endpoint_id: int):
        services.webhook_endpoint_delete(endpoint=self._endpoint(endpoint_id), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(BrandAPIView):
    @extend_schema(request=None, responses=WebhookEndpointSecretSerializer)
    def post(self, request, endpoint_id: int):
        """A new secret, answered once; the previous one keeps signing alongside it for 24 hours."""
        endpoint = selectors.webhook_endpoint_get(brand=self.brand, endpoint_id=endpoint_id)
        services.webhook_secret_rotate(endpoint=endpoint, actor=self.actor)
        return Response(WebhookEndpointSecretSerializer(endpoint).data)


class WebhookTestApi(BrandAPIView):
    schema_extra_errors = {"post": (409,)}

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    def post(self, request, endpoint_id: int):
        """Send a `webhook.test` message to the endpoint now; its delivery is in the log."""
        endpoint = selectors.webhook_endpoint_get(brand=self.brand, endpoint_id=endpoint_id)
        delivery = services.webhook_test_send(endpoint=endpoint, actor=self.actor)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("status", str, enum=WebhookDeliveryStatus.values)],
                   responses=WebhookDeliverySerializer(many=True))
    def get(self, request, endpoint_id: int):
        """The delivery log, newest first: what was sent (headers, body) and what came back."""
        endpoint = selectors.webhook_endpoint_get(brand=self.brand, endpoint_id=endpoint_id)
        deliveries = selectors.webhook_delivery_list(
            brand=self.brand, endpoint=endpoint,
            status=query_choice(request, "status", WebhookDeliveryStatus.values))
        return self.paginate(deliveries, WebhookDeliverySerializer)


class WebhookRedeliverApi(BrandAPIView):
    schema_extra_errors = {"post": (409,)}

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    def post(self, request, endpoint_id: int, delivery_id: int):
        """Send the delivery's message again (same `webhook-id` and body), as a new delivery."""
        endpoint = selectors.webhook_endpoint_get(brand=self.brand, endpoint_id=endpoint_id)
        delivery = selectors.webhook_delivery_get(brand=self.brand, endpoint=endpoint, delivery_id=delivery_id)
        again = services.webhook_delivery_redeliver(delivery=delivery, actor=self.actor)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
