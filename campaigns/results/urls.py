"""Routes of results (included from campaigns/urls.py, namespace "campaigns")."""

from django.urls import path

from . import views

urlpatterns = [
    path("b/<slug:slug>/campaigns/<int:campaign_id>/results/", views.CampaignResultsView.as_view(), name="results"),
    path("c/<str:token>/", views.CardClickView.as_view(), name="click"),
]
