"""Input parsing shared by every surface: the API, dashboard pages, customer pages and socket frames.

The one place that decides what an id or a whole number from outside looks like (`parse_int`,
`query_int`), which text may enter at all (`bad_text`: no NUL bytes, no lone surrogates, which
PostgreSQL and UTF-8 refuse), and how deep a JSON document may nest (`json_loads`, `check_json`).
Each refusal is an ApplicationError with status 400, never a 500.
"""

import json
import re
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import Serializer

from .errors import ApplicationError
from .strict_input import json_type_errors

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
# Deeper than any document this API takes (a segment definition nests a few levels).
JSON_MAX_DEPTH = 32

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)  # ASCII digits only: "²" and "١" pass isdigit(), not this
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def parse_input(serializer_class: type[Serializer], data, **kwargs) -> dict:
    """Validate a request body; failures become the `invalid` error object via the API handler."""
    serializer = serializer_class(data=data, **kwargs)
    if not isinstance(data, QueryDict):  # a JSON body: its types must be the schema's (strict_input.py)
        type_errors = json_type_errors(serializer, data)
        if type_errors:
            raise ValidationError(type_errors)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _not_a_number(name: str, minimum: int) -> ApplicationError:
    hint = _("Must be a whole number of at least %(min)d.") % {"min": minimum} if minimum > INT64_MIN \
        else _("Must be a whole number.")
    return ApplicationError("invalid", _("%(name)s must be a number.") % {"name": name}, fields={name: [hint]})


def parse_int(value: Any, name: str, *, minimum: int = 0, maximum: int = INT64_MAX, strings: bool = True) -> int:
    """A whole number from outside: an int (never a bool) or, when `strings`, ASCII digits with an optional
    sign, within [minimum, maximum] (by default an id: 0 .. 2**63-1, PostgreSQL's bigint)."""
    if isinstance(value, bool):
        raise _not_a_number(name, minimum)
    if isinstance(value, str) and strings:
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise _not_a_number(name, minimum)
        value = int(text)
    if not isinstance(value, int):
        raise _not_a_number(name, minimum)
    if not max(minimum, INT64_MIN) <= value <= min(maximum, INT64_MAX):
        raise ApplicationError("invalid", _("%(name)s is out of range.") % {"name": name},
                               fields={name: [_("Out of range.")]})
    return value


def is_int(value: Any, *, minimum: int = 0, maximum: int = INT64_MAX) -> bool:
    """Whether `parse_int` would accept the value (for pages that ignore a bad filter instead of refusing it)."""
    try:
        parse_int(value, "value", minimum=minimum, maximum=maximum)
    except ApplicationError:
        return False
    return True


def _query_params(request):
    """The query string of a DRF request (the API) or a Django one (pages), and whether it is the API's."""
    if hasattr(request, "query_params"):
        return request.query_params, True
    return request.GET, False


def _blank(params, name: str, api: bool) -> bool:
    """Whether an optional query parameter counts as absent. A page's filter form sends `?store=` for "all";
    the API documents each parameter's type, so `?customer=` there is a wrong value, not a missing one."""
    raw = params.get(name)
    if raw is None:
        return True
    if raw.strip() == "":
        if api:
            raise ApplicationError("invalid", _("%(name)s must not be empty.") % {"name": name},
                                   fields={name: [_("Leave the parameter out instead of sending it empty.")]})
        return True
    return False


def query_int(request, name: str, *, minimum: int = 0) -> int | None:
    """An optional integer query parameter; anything else is a clear 400, not a 500."""
    params, api = _query_params(request)
    if _blank(params, name, api):
        return None
    return parse_int(params[name], name, minimum=minimum)


def query_bool(request, name: str, default: bool) -> bool:
    """An optional boolean query parameter: true/false (or 1/0); anything else is a clear 400, as documented."""
    params, api = _query_params(request)
    if _blank(params, name, api):
        return default
    value = params[name].strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ApplicationError("invalid", _("%(name)s must be true or false.") % {"name": name},
                               fields={name: [_("Use true or false.")]})
    return value in ("true", "1")


def query_choice(request, name: str, choices) -> str | None:
    """An optional query parameter that takes one of `choices`; anything else is a clear 400."""
    params, api = _query_params(request)
    if _blank(params, name, api):
        return None
    value = params[name].strip()
    if value not in choices:
        raise ApplicationError("invalid", _("%(name)s must be one of: %(choices)s.")
                               % {"name": name, "choices": ", ".join(choices)},
                               fields={name: [_("Not one of the allowed values.")]})
    return value


# --- text and JSON -----------------------------------------------------------------------------------


def bad_text(value: str) -> bool:
    """True when the text holds a NUL byte or a lone surrogate: neither can be stored, so neither is taken."""
    return _BAD_TEXT.search(value) is not None


def bad_text_error(where: str) -> ApplicationError:
    return ApplicationError("invalid_characters",
                            _("%(where)s contains characters that are not allowed (NUL bytes or broken Unicode).")
                            % {"where": where}, fields={where: [_("Contains characters that are not allowed.")]})


def check_json(data: Any, *, where: str = "body", max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Walk a decoded JSON document (without recursion): refuse nesting deeper than `max_depth` and any
    key or string holding a NUL byte or a lone surrogate."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                raise ApplicationError("too_deep", _("The JSON document nests deeper than %(n)d levels.")
                                       % {"n": max_depth}, fields={where: [_("Nested too deeply.")]})
            items = node.items() if isinstance(node, dict) else ((None, v) for v in node)
            for key, child in items:
                if isinstance(key, str) and bad_text(key):
                    raise bad_text_error(where)
                stack.append((child, depth + 1))
        elif isinstance(node, str) and bad_text(node):
            raise bad_text_error(where)
    return data


def json_loads(text: str | bytes, *, where: str = "body", max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Decode JSON from outside (a socket frame): malformed, too deep or bad text is a 400 ApplicationError."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (TypeError, ValueError, RecursionError):
        raise ApplicationError("parse_error", _("Not valid JSON."), fields={where: [_("Not valid JSON.")]})
    return check_json(data, where=where, max_depth=max_depth)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
