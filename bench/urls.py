"""The app's routes plus the baselines that benchmarks compare with, served by the same process."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from privtraffic.urls import urlpatterns as app_patterns


def minimal_json(request):
    return JsonResponse({"ok": True})


@csrf_exempt
def bare_insert(request):
    """One INSERT in autocommit and a JSON answer: the floor for an API write."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, body text NOT NULL)")
        cursor.execute("INSERT INTO bench_insert (body) VALUES (%s) RETURNING id", [request.body.decode()[:4000]])
        row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/json", minimal_json), path("bench/insert", bare_insert), *app_patterns]
