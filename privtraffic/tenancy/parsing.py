"""Input parsing shared by every app's API views."""

from django.http import QueryDict
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import Serializer

from .strict_input import json_type_errors


def parse_input(serializer_class: type[Serializer], data, **kwargs) -> dict:
    """Validate a request body; failures become the `invalid` error object via the API handler."""
    serializer = serializer_class(data=data, **kwargs)
    if not isinstance(data, QueryDict):  # a JSON body: its types must be the schema's (strict_input.py)
        type_errors = json_type_errors(serializer, data)
        if type_errors:
            raise ValidationError(type_errors)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def query_int(request, name: str) -> int | None:
    """An optional integer query parameter; anything else is a clear 400, not a 500."""
    from django.utils.translation import gettext as _

    from .errors import ApplicationError

    raw = request.query_params.get(name, "").strip() if hasattr(request, "query_params") else request.GET.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise ApplicationError("invalid", _("%(name)s must be a number.") % {"name": name},
                               fields={name: [_("Must be a number.")]})
    return int(raw)


def query_bool(request, name: str, default: bool) -> bool:
    """An optional boolean query parameter: true/false (or 1/0); anything else is a clear 400, as documented."""
    from django.utils.translation import gettext as _

    from .errors import ApplicationError

    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ApplicationError("invalid", _("%(name)s must be true or false.") % {"name": name},
                               fields={name: [_("Use true or false.")]})
    return value in ("true", "1")
