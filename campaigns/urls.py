"""Every campaigns page, mounted once by privtraffic/urls.py (`path("", include("campaigns.urls"))`), in the
`campaigns:` namespace (campaigns:results, campaigns:click, ...); each feature keeps its own urls.py."""

from django.urls import include, path

app_name = "campaigns"

urlpatterns = [
    path("", include("campaigns.results.urls")),
]
