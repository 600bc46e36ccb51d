"""The edge check for every HTTP request: no NUL byte or lone surrogate gets past it.

PostgreSQL cannot store a NUL in text and UTF-8 cannot encode a lone surrogate, so such input can
only ever fail, and late (a 500 from the database). This middleware refuses it first, changing
nothing: in the URL path, in any query parameter, and in the fields of a dashboard or customer
page form (uploaded files are not text and are not scanned). The API answers with the CONTRACT.md
error object; pages with the friendly error page. API bodies are checked by the API's parsers
(`tenancy.parsers`), where DRF reads them.
"""

from django.http import JsonResponse
from django.shortcuts import render

from .parsing import bad_text, bad_text_error

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _bad_field(params) -> str | None:
    for key, values in params.lists():
        if bad_text(key):
            return "query"
        if any(isinstance(v, str) and bad_text(v) for v in values):
            return key
    return None


class RefuseBadTextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self._where(request)
        if where is None:
            return self.get_response(request)
        error = bad_text_error(where)
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=400)
        return render(request, "customer_error.html", {"message": error.message}, status=400)

    @staticmethod
    def _where(request) -> str | None:
        if bad_text(request.path_info) or bad_text(request.path):
            return "path"
        where = _bad_field(request.GET)
        if where is not None:
            return where
        is_form = request.content_type in _FORM_TYPES
        if is_form and request.method in ("POST", "PUT", "PATCH") and not request.path.startswith("/api/"):
            return _bad_field(request.POST)  # request.POST holds the text fields only, never a file
        return None
