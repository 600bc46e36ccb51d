"""The message variables that quick replies and campaigns fill per recipient: {first_name} {rep_name} {store_name}.

One parser for both: unknown variables are refused when the text is saved (`template_check`), so filling it
in (`template_render`) never fails halfway through a send.
"""

import re

from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError

TEMPLATE_VARIABLES = ("first_name", "rep_name", "store_name")
_VARIABLE = re.compile(r"{([^{}]*)}")


def template_variables(body: str) -> set[str]:
    return set(_VARIABLE.findall(body or ""))


def template_check(body: str, *, field: str = "body") -> None:
    """Refuse a text that names a variable we cannot fill, saying which and what may be used."""
    unknown = sorted(name for name in template_variables(body) if name not in TEMPLATE_VARIABLES)
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + v + "}" for v in TEMPLATE_VARIABLES)
        raise ApplicationError(
            "unknown_variable", _("Unknown variable %(names)s. Use %(known)s.") % {"names": names, "known": known},
            fields={field: [_("Unknown variable: %(names)s") % {"names": names}]})


def template_render(body: str, values: dict[str, str]) -> str:
    """Fill the variables of a checked text; a variable without a value becomes empty."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1), ""), body).strip()
