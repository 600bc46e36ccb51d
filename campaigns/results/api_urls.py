"""API routes of campaign results: included from campaigns/api_urls.py."""

from django.urls import path

from . import apis

urlpatterns = [
    path("campaigns/<int:campaign_id>/stats/", apis.CampaignStatsApi.as_view(), name="api-campaign-stats"),
    path("campaigns/<int:campaign_id>/recipients/", apis.CampaignRecipientsApi.as_view(),
         name="api-campaign-recipients"),
]
