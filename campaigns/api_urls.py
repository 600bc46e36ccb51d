"""Every campaigns API route, mounted once by privtraffic/urls.py (`path("api/v1/", include("campaigns.api_urls"))`).
Route names are global (api-campaigns, api-campaign-stats, ...)."""

from django.urls import include, path

urlpatterns = [
    path("", include("campaigns.authoring.api_urls")),
    path("", include("campaigns.results.api_urls")),
    path("", include("campaigns.webhooks.api_urls")),
    path("", include("campaigns.coupons.api_urls")),
    path("", include("campaigns.events.api_urls")),
    path("", include("campaigns.groupbuys.api_urls")),
]
