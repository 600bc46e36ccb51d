"""Every campaigns page, mounted once by privtraffic/urls.py (`path("", include("campaigns.urls"))`), in the
one `campaigns` namespace (campaigns:list, campaigns:create, campaigns:detail, ...). Each feature keeps its
own urls.py, included here."""

from django.urls import include, path

app_name = "campaigns"

urlpatterns = [
    path("", include("campaigns.authoring.urls")),
]
