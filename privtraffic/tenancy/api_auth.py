"""Authentication, permission, throttling and pagination of the API, referenced from settings.

Kept apart from tenancy.api because DRF imports these while rest_framework.views loads.
"""

import logging
import math
import re
import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

from .models import ApiKey
from .services import api_key_authenticate

logger = logging.getLogger(__name__)


class ApiClient:
    """The `request.user` of an API call: the integrator behind one brand's key."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.brand = api_key.brand

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Use the header Authorization: Bearer <api key>."))
        try:
            raw_key = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The API key is not valid."))
        api_key = api_key_authenticate(raw_key=raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid or has been revoked."))
        return ApiClient(api_key), api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasBrandApiKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


_RATE_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
               "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


def rate_parse(rate: str) -> tuple[int, int]:
    """`"100/s"`, `"6000/min"`, `"1000/hour"` -> (requests, seconds)."""
    match = _RATE.match(rate or "")
    unit = _RATE_UNITS.get(match.group(2).lower().removesuffix("s") or "s") if match else None
    if match is None or unit is None:
        raise ImproperlyConfigured(f"A rate is N/s, N/min, N/hour or N/day, not {rate!r}.")
    return int(match.group(1)), unit


class ApiKeyRateThrottle(throttling.BaseThrottle):
    """Requests per API key in fixed windows, counted atomically in the cache.

    `cache.add` starts a window's counter and `cache.incr` counts (one atomic INCR on Redis, under a lock
    in the local-memory cache), so parallel requests cannot all read the same count and pass together, as
    a read-then-write history does. The rate is `DEFAULT_THROTTLE_RATES["api_key"]` (API_THROTTLE_RATE).
    """

    scope = "api_key"
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    timer = staticmethod(time.time)

    def __init__(self):
        self._wait: float | None = None

    def allow_request(self, request, view) -> bool:
        rate = self.THROTTLE_RATES.get(self.scope)
        if not rate or not isinstance(request.auth, ApiKey):
            return True
        limit, window = rate_parse(rate)
        now = self.timer()
        window_index = int(now // window)
        key = f"throttle:{self.scope}:{request.auth.prefix}:{window}:{window_index}"
        try:
            count = self._count(key, window)
        except Exception:
            # The cache (Redis) is down: the limit cannot be counted. Serve rather than fail every call while
            # PostgreSQL, where the writes go, is fine (tests/faults/test_redis_stopped.py).
            logger.warning("API throttle skipped: the cache is unavailable", exc_info=True)
            return True
        if count <= limit:
            return True
        self._wait = (window_index + 1) * window - now
        return False

    @staticmethod
    def _count(key: str, window: int) -> int:
        for _attempt in range(3):
            cache.add(key, 0, timeout=window + 1)
            try:
                return cache.incr(key)
            except ValueError:  # the window expired between add and incr: start it again
                continue
        return 1

    def wait(self) -> float | None:
        return None if self._wait is None else max(1, math.ceil(self._wait))


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request):
        # DRF ignores a bad `limit` quietly; the schema says an integer 1..max_page_size, so that is checked.
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        value = raw[-1].strip()
        if len(raw) > 1 or not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= self.max_page_size:
            raise exceptions.ValidationError({self.page_size_query_param: [
                _("Use a whole number from 1 to %(max)d.") % {"max": self.max_page_size}]})
        return int(value)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters

    def decode_cursor(self, request):
        # DRF answers a bad cursor with 404 on a list that exists: it is bad input, so 400.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({self.cursor_query_param: [_("This cursor is not valid.")]})
