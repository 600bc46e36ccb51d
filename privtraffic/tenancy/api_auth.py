"""Authentication, permission, throttling and pagination of the API, referenced from settings.

Kept apart from tenancy.api because DRF imports these while rest_framework.views loads.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from .models import ApiKey
from .services import api_key_authenticate


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


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


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
