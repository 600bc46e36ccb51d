"""The app's routes plus the baselines that benchmarks compare with, served by the same process."""

import threading
from functools import cache

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from crm.customers.serializers import CustomerSerializer
from crm.segments import selectors as segments
from privtraffic.tenancy import selectors as tenancy
from privtraffic.tenancy.actors import ApiKeyActor
from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.models import ApiKey
from privtraffic.tenancy.parsing import query_int
from privtraffic.tenancy.serializers import StoreSerializer
from privtraffic.urls import urlpatterns as app_patterns


def minimal_json(request):
    return JsonResponse({"ok": True})


_table_lock = threading.Lock()
_table_made = False


def _bench_table() -> None:
    """Created once per process (concurrent CREATE TABLE IF NOT EXISTS races on PostgreSQL's catalog)."""
    global _table_made
    with _table_lock:
        if not _table_made:
            with connection.cursor() as cursor:
                cursor.execute("CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, body text NOT NULL)")
            _table_made = True


@csrf_exempt
def bare_insert(request):
    """One INSERT in autocommit and a JSON answer: the floor for an API write."""
    _bench_table()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (body) VALUES (%s) RETURNING id", [request.body.decode()[:4000]])
        row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)


@cache
def _brand_key(slug: str) -> ApiKey:
    """The brand's first key, read once per process: the auth-off views act as it without checking anything."""
    return ApiKey.objects.select_related("brand").filter(brand__slug=slug, revoked_at__isnull=True).earliest("pk")


class _NoAuthApi(APIView):
    """The API view's body with authentication, permission and throttling off: what the key check adds is the
    difference to the real route (S7)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    pagination_class = BrandAPIView.pagination_class
    paginate = BrandAPIView.paginate


class CustomersNoAuth(_NoAuthApi):
    """Body of crm.customers.apis.CustomerListApi.get."""

    def get(self, request, slug: str):
        key = _brand_key(slug)
        customers = segments.customer_list_filtered(
            brand=key.brand, actor=ApiKeyActor(api_key=key), search=request.query_params.get("search", ""),
            tag=request.query_params.get("tag", ""), segment_id=query_int(request, "segment"))
        return self.paginate(customers, CustomerSerializer)


class StoresNoAuth(_NoAuthApi):
    """Body of privtraffic.tenancy.apis.StoreListApi.get."""

    def get(self, request, slug: str):
        return self.paginate(tenancy.store_list(brand=_brand_key(slug).brand), StoreSerializer)


urlpatterns = [
    path("bench/json", minimal_json), path("bench/insert", bare_insert),
    path("bench/noauth/<slug:slug>/customers/", CustomersNoAuth.as_view()),
    path("bench/noauth/<slug:slug>/stores/", StoresNoAuth.as_view()),
    *app_patterns,
]
