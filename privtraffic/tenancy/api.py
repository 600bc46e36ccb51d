"""The API base: one place resolves the brand from the key and checks it.

Every API view subclasses BrandAPIView. It authenticates the Bearer key, sets
`self.brand` once, applies throttling per key, replays Idempotency-Key POSTs,
and renders every failure as the CONTRACT.md error object. Subclasses cannot
swap the authentication or permission classes: that is checked at import.
"""

import hashlib
import json
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .actors import ApiKeyActor
from .errors import ApplicationError
from .models import Brand, IdempotencyRecord
from .parsers import JSONParser

_ERROR_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def _flatten_fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {key: _flatten_fields(value) if isinstance(value, dict) else [str(v) for v in _as_list(value)]
                for key, value in detail.items()}
    return {"non_field_errors": [str(v) for v in _as_list(detail)]}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def api_exception_handler(exc, context):
    """The single mapping from failures to `{"error": {code, message, fields}}`."""
    if isinstance(exc, _IdempotentReplay):
        return Response(exc.body, status=exc.status, headers={"Idempotent-Replayed": "true"})
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        body = ApplicationError("invalid", _("Some fields are not valid."), fields=_flatten_fields(exc.detail)).as_dict()
        return Response(body, status=400)
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _ERROR_CODES.items() if isinstance(exc, cls)), exc.default_code)
        headers = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
            status = 401
        else:
            status = exc.status_code
        message = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
        return Response(ApplicationError(code, str(message)).as_dict(), status=status, headers=headers)
    return None


class _IdempotentReplay(Exception):
    def __init__(self, status: int, body: Any):
        self.status = status
        self.body = body


_LOCKED_ATTRIBUTES = (
    "authentication_classes", "permission_classes", "throttle_classes",
    "get_authenticators", "get_permissions", "check_permissions", "check_object_permissions", "dispatch",
    "perform_authentication",
)


class BrandAPIView(APIView):
    """Base of every /api/v1/ view. `self.brand` is the key's brand; nothing else is trusted."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _LOCKED_ATTRIBUTES:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} may not override {name}: the brand API base enforces it.")
        if "initial" in cls.__dict__:
            raise TypeError(f"{cls.__name__} may not override initial(): brand resolution happens there.")

    @property
    def brand(self) -> Brand:
        return self.request.auth.brand

    @property
    def actor(self) -> ApiKeyActor:
        """Who the services see acting: the integrator behind this key (an admin's authority)."""
        return ApiKeyActor(api_key=self.request.auth)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency_record = None
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key:
            self._idempotency_record = self._reserve_idempotency_key(request, key)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            request.data  # noqa: B018 -- parse now: a hostile body (tenancy.parsers) is a 400 before the view runs

    def _reserve_idempotency_key(self, request, key: str) -> IdempotencyRecord:
        if len(key) > 255:
            raise ApplicationError("invalid_idempotency_key", _("Idempotency-Key must be at most 255 characters."))
        digest = self._request_digest(request)
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(brand=self.brand, key=key, request_hash=digest)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(brand=self.brand, key=key).first()
        if existing is None:  # the first request failed and let go of the key just now
            raise ApplicationError("idempotency_in_progress", _("Retry this request."), status=409)
        if existing.request_hash != digest:
            raise ApplicationError(
                "idempotency_conflict",
                _("This Idempotency-Key was already used with a different request."),
                status=409,
            )
        if existing.response_status is None:
            raise ApplicationError(
                "idempotency_in_progress", _("A request with this Idempotency-Key is still being processed."), status=409
            )
        raise _IdempotentReplay(existing.response_status, existing.response_body)

    def handle_exception(self, exc):
        try:
            return super().handle_exception(exc)
        except Exception:
            # An unexpected failure is not an answer: free the key so the client can retry.
            record = getattr(self, "_idempotency_record", None)
            if record is not None:
                record.delete()
                self._idempotency_record = None
            raise

    @staticmethod
    def _request_digest(request) -> str:
        try:
            body = request.body
        except RequestDataTooBig:
            # A large upload (CSV import) is streamed, not held in memory: fingerprint it by its headers.
            meta = request.META
            content_type = meta.get('CONTENT_TYPE', '').split(';')[0]  # the multipart boundary changes per try
            body = f"{content_type}|{meta.get('CONTENT_LENGTH', '')}".encode()
        return hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()

    def finalize_response(self, request, response, *args, **kwargs):
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            if response.status_code >= 500:
                record.delete()  # a server failure is not an answer: let the client retry
            else:
                record.response_status = response.status_code
                record.response_body = json.loads(json.dumps(response.data, default=str))
                record.save(update_fields=["response_status", "response_body"])
        return super().finalize_response(request, response, *args, **kwargs)

    # JSON in (CONTRACT.md): the schema documents application/json bodies, so that is what is parsed; a view
    # taking an upload (the CSV import) sets `parser_classes = [MultiPartParser]` itself. Anything else is 415.
    parser_classes = [JSONParser]
    # Read by paginate() and by the schema: a `responses=X(many=True)` operation is described as its cursor page.
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    def paginate(self, queryset, serializer_class, **serializer_kwargs) -> Response:
        """One cursor page `{"results", "next", "previous"}` (document the view with `responses=X(many=True)`)."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True, **serializer_kwargs).data)
