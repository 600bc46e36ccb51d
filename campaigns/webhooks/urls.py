"""Dashboard routes of webhooks (campaigns:webhooks:list, campaigns:webhooks:detail, ...)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("b/<slug:slug>/webhooks/", views.WebhookListView.as_view(), name="list"),
    path("b/<slug:slug>/webhooks/<int:endpoint_id>/", views.WebhookDetailView.as_view(), name="detail"),
    path("b/<slug:slug>/webhooks/<int:endpoint_id>/rotate/", views.WebhookRotateView.as_view(), name="rotate"),
    path("b/<slug:slug>/webhooks/<int:endpoint_id>/active/", views.WebhookActiveView.as_view(), name="active"),
    path("b/<slug:slug>/webhooks/<int:endpoint_id>/delete/", views.WebhookDeleteView.as_view(), name="delete"),
    path("b/<slug:slug>/webhooks/<int:endpoint_id>/test/", views.WebhookTestView.as_view(), name="test"),
    path("b/<slug:slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
         views.WebhookRedeliverView.as_view(), name="redeliver"),
]
