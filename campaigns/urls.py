"""Every campaigns page (under /b/<slug>/, and the public card-click redirect /c/<token>/), namespace
"campaigns", mounted once by privtraffic/urls.py; each feature keeps its own urls.py."""

from django.urls import include, path

app_name = "campaigns"

urlpatterns = [
    path("", include("campaigns.confirmations.urls")),
    path("", include("campaigns.authoring.urls")),
    path("", include("campaigns.results.urls")),
    path("", include("campaigns.webhooks.urls")),
]
