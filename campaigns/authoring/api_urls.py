"""API routes of campaign authoring: included from campaigns/api_urls.py."""

from django.urls import path

from . import apis

urlpatterns = [
    path("campaigns/", apis.CampaignListApi.as_view(), name="api-campaigns"),
    path("campaigns/<int:campaign_id>/", apis.CampaignDetailApi.as_view(), name="api-campaign-detail"),
    path("campaigns/<int:campaign_id>/schedule/", apis.CampaignScheduleApi.as_view(), name="api-campaign-schedule"),
    path("campaigns/<int:campaign_id>/cancel/", apis.CampaignCancelApi.as_view(), name="api-campaign-cancel"),
    path("campaigns/<int:campaign_id>/preview/", apis.CampaignPreviewApi.as_view(), name="api-campaign-preview"),
]
