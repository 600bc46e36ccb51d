from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from privtraffic.health import healthz
from privtraffic.overview import urls as overview_urls
from privtraffic.tenancy import urls as tenancy_urls
from privtraffic.tenancy.errors import ApplicationError


def _admin_login(request, extra_context=None):
    """The Django admin signs in through the one staff login (allauth: rate-limited, verified email), never
    through a password form of its own that nothing limits."""
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect("admin:index")
        raise PermissionDenied
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    return redirect_to_login(next_url, login_url=reverse("account_login"))


admin.site.login = _admin_login

urlpatterns = [
    path("", lambda request: redirect("tenancy:brand_home"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # The brand home (privtraffic.overview) joins tenancy's pages in the `tenancy` namespace: tenancy:overview.
    path("b/", include(([*tenancy_urls.urlpatterns, *overview_urls.urlpatterns], tenancy_urls.app_name))),
    path("api/v1/", include("privtraffic.tenancy.api_urls")),
    path("api/v1/", include("crm.api_urls")),
    path("api/v1/", include("communities.api_urls")),
    path("api/v1/", include("chats.api_urls")),
    path("api/v1/", include("campaigns.api_urls")),
    path("", include("crm.urls")),
    path("", include("communities.urls")),
    path("", include("chats.urls")),
    path("", include("campaigns.urls")),
    path("", include("campaigns.coupons.urls")),  # namespace "coupons" (coupons:list, coupons:detail)
    path("", include("campaigns.events.urls")),  # namespace "events" (events:list, events:detail, ...)
    path("", include("campaigns.groupbuys.urls")),  # namespace "groupbuys" (groupbuys:list, ...)
    path("api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", authentication_classes=[], permission_classes=[]),
        name="api-docs",
    ),
]


def _api_aware(status: int, code: str, message: str, fallback):
    def handler(request, *args, **kwargs):
        if request.path.startswith("/api/"):
            return JsonResponse(ApplicationError(code, message).as_dict(), status=status)
        return fallback(request, *args, **kwargs)

    return handler


handler404 = _api_aware(404, "not_found", "No such resource.", defaults.page_not_found)
handler500 = _api_aware(500, "server_error", "Something went wrong on our side.", defaults.server_error)

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
