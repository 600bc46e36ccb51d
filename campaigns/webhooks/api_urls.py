from django.urls import path

from . import apis

urlpatterns = [
    path("webhooks/", apis.WebhookListApi.as_view(), name="api-webhooks"),
    path("webhooks/<int:endpoint_id>/", apis.WebhookDetailApi.as_view(), name="api-webhook-detail"),
    path("webhooks/<int:endpoint_id>/rotate-secret/", apis.WebhookRotateSecretApi.as_view(),
         name="api-webhook-rotate-secret"),
    path("webhooks/<int:endpoint_id>/test/", apis.WebhookTestApi.as_view(), name="api-webhook-test"),
    path("webhooks/<int:endpoint_id>/deliveries/", apis.WebhookDeliveryListApi.as_view(),
         name="api-webhook-deliveries"),
    path("webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/", apis.WebhookRedeliverApi.as_view(),
         name="api-webhook-redeliver"),
]
