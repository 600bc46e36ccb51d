"""Input parsing shared by every app's API views."""

from rest_framework.serializers import Serializer


def parse_input(serializer_class: type[Serializer], data, **kwargs) -> dict:
    """Validate a request body; failures become the `invalid` error object via the API handler."""
    serializer = serializer_class(data=data, **kwargs)
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
