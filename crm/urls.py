"""Every crm page, mounted once by privtraffic/urls.py (`path("", include("crm.urls"))`).

Customers, consent and privacy pages share the `crm:` namespace (crm:customers, crm:contact_policy,
crm:customer_erase, ...); each other feature keeps its own (crm_profile:tags, crm_import:..., crm_segments:..., crm_surveys:...). This module has no
namespace itself, so those stay top-level.
"""

from django.urls import include, path

from .consent import urls as consent_urls
from .customers import urls as customer_urls
from .privacy import urls as privacy_urls

crm_patterns = [
    *customer_urls.urlpatterns,
    *consent_urls.urlpatterns,
    *privacy_urls.urlpatterns,
]

urlpatterns = [
    path("", include((crm_patterns, "crm"))),
    path("", include("crm.profile.urls")),
    path("", include("crm.imports.urls")),
    path("", include("crm.segments.urls")),
    path("", include("crm.surveys.urls")),
    path("", include("crm.products.urls")),
]
