"""Every crm API route, mounted once by privtraffic/urls.py (`path("api/v1/", include("crm.api_urls"))`).
Route names are global (api-customers, api-orders, ...)."""

from django.urls import include, path

urlpatterns = [
    path("", include("crm.customers.api_urls")),
    path("", include("crm.privacy.api_urls")),
    path("", include("crm.consent.api_urls")),
    path("", include("crm.profile.api_urls")),
    path("", include("crm.orders.api_urls")),
    path("", include("crm.imports.api_urls")),
    path("", include("crm.segments.api_urls")),
    path("", include("crm.surveys.api_urls")),
    path("", include("crm.products.api_urls")),
]
