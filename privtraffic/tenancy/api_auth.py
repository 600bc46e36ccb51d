"""Authentication, permission, throttling and pagination of the API, referenced from settings.

Kept apart from tenancy.api because DRF imports these while rest_framework.views loads.
"""

import copy
import hashlib
import logging
import math
import re
import time
from typing import NamedTuple

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

from ..cache import redis_client
from . import services
from .models import ApiKey
from .services import api_key_authenticate, api_key_touch

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


# Keys that authenticated in this process lately, by the SHA-256 of the raw key: a repeat call skips the
# PostgreSQL lookup. Every use still asks Redis, in the throttle's one round trip, whether the key was revoked
# since (services.api_key_revoke marks it), so a revoke holds at once; without Redis the entry is not used.
KEY_CACHE_SECONDS = 10.0
_key_cache: dict[str, tuple[float, ApiKey]] = {}
_KEY_CACHE_MAX = 10_000


def _fresh_copy(api_key: ApiKey) -> ApiKey:
    """A request's own instances: views may read and set attributes on the key and its brand."""
    copy_ = copy.copy(api_key)
    copy_.brand = copy.copy(api_key.brand)
    return copy_


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
        digest = hashlib.sha256(raw_key.encode()).hexdigest()
        api_key = self._cached(request, digest)
        if api_key is None:
            api_key = api_key_authenticate(raw_key=raw_key)
            if api_key is None:
                raise exceptions.AuthenticationFailed(_("The API key is not valid or has been revoked."))
            if len(_key_cache) >= _KEY_CACHE_MAX:
                _key_cache.clear()
            _key_cache[digest] = (time.monotonic(), _fresh_copy(api_key))
        return ApiClient(api_key), api_key

    @staticmethod
    def _cached(request, digest: str) -> ApiKey | None:
        """The key from this process's cache if it is fresh and Redis says it was not revoked since; its use
        is counted for the throttle in the same round trip."""
        entry = _key_cache.get(digest)
        if entry is None or time.monotonic() - entry[0] > KEY_CACHE_SECONDS:
            return None
        api_key = entry[1]
        try:
            hit = ApiKeyRateThrottle.count_use(api_key.prefix, check_revoked=True)
        except Exception:
            return None  # Redis is down: PostgreSQL decides (and the throttle fails open)
        if hit.revoked:
            _key_cache.pop(digest, None)
            return None
        request._api_key_throttle_hit = hit
        api_key = _fresh_copy(api_key)
        if api_key.last_used_at is None or (timezone.now() - api_key.last_used_at).total_seconds() > 60:
            api_key_touch(api_key=api_key)
            _key_cache[digest] = (entry[0], _fresh_copy(api_key))
        return api_key

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


class ThrottleHit(NamedTuple):
    key: str  # the counter's cache key (names the key's prefix, the window length and the window)
    count: int
    revoked: bool
    window_ends: float


# One round trip: count the use in the window's counter (it expires with the window) and say whether the key
# carries a revoke mark. INCR is atomic, so parallel requests cannot pass on one stale count.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local revoked = 0
if #KEYS > 1 then revoked = redis.call('EXISTS', KEYS[2]) end
return {count, revoked}
"""
_count_script = None


class ApiKeyRateThrottle(throttling.BaseThrottle):
    """Requests per API key in fixed windows, counted atomically in the cache.

    On Redis one script counts the use and reads the key's revoke mark in one round trip (the authentication
    of a cached key makes that call, and the throttle uses its count); other caches use `cache.add` and
    `cache.incr` (atomic under the local-memory cache's lock). The rate is `DEFAULT_THROTTLE_RATES["api_key"]`
    (API_THROTTLE_RATE).
    """

    scope = "api_key"
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    timer = staticmethod(time.time)

    def __init__(self):
        self._wait: float | None = None

    @classmethod
    def count_use(cls, prefix: str, *, check_revoked: bool = False) -> ThrottleHit:
        """Count one use of the key in its current window (when a rate is set) and, if asked, read its revoke
        mark. Raises when the cache is unavailable."""
        rate = cls.THROTTLE_RATES.get(cls.scope)
        mark = services.api_key_revoked_mark(prefix) if check_revoked else None
        if not rate:
            return ThrottleHit("", 0, bool(mark and cache.get(mark) is not None), 0.0)
        limit, window = rate_parse(rate)
        now = cls.timer()
        window_index = int(now // window)
        key = f"throttle:{cls.scope}:{prefix}:{window}:{window_index}"
        window_ends = (window_index + 1) * window
        client = redis_client()
        if client is not None:
            global _count_script
            if _count_script is None:
                _count_script = client.register_script(_COUNT_SCRIPT)
            keys = [cache.make_and_validate_key(key)] + ([cache.make_and_validate_key(mark)] if mark else [])
            count, revoked = _count_script(keys=keys, args=[window + 1], client=client)
            return ThrottleHit(key, int(count), bool(revoked), window_ends)
        return ThrottleHit(key, cls._count(key, window), bool(mark and cache.get(mark) is not None), window_ends)

    def allow_request(self, request, view) -> bool:
        rate = self.THROTTLE_RATES.get(self.scope)
        if not rate or not isinstance(request.auth, ApiKey):
            return True
        limit, _window = rate_parse(rate)
        hit = getattr(request, "_api_key_throttle_hit", None)
        if hit is None or not hit.key:
            try:
                hit = self.count_use(request.auth.prefix)
            except Exception:
                # The cache (Redis) is down: the limit cannot be counted. Serve rather than fail every call while
                # PostgreSQL, where the writes go, is fine (tests/faults/test_redis_stopped.py).
                logger.warning("API throttle skipped: the cache is unavailable", exc_info=True)
                return True
        if hit.count <= limit:
            return True
        self._wait = hit.window_ends - self.timer()
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
