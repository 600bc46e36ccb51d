"""The one parser of attribute values, shared by the profile (setting a customer's attributes, persona
rules) and segment conditions (comparing against them). Each caller words the refusal its own way."""

import datetime
import math
import re
from typing import Any

from ..models import AttributeType

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AttributeValueError(ValueError):
    """A value that does not fit the attribute; `kind` says why: number, date, text or choice."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def attribute_value_parse(*, type: str, value: Any, choices: list | None = None) -> Any:
    """The stored form of `value` for an attribute of `type`: numbers as numbers, dates as YYYY-MM-DD, text
    and choices stripped. Raises AttributeValueError(kind)."""
    if type == AttributeType.NUMBER:
        if isinstance(value, bool):
            raise AttributeValueError("number")
        if isinstance(value, int | float) and math.isfinite(value):
            return value
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
            if number is not None and math.isfinite(number):
                return int(number) if number.is_integer() and "." not in value else number
        raise AttributeValueError("number")
    if type == AttributeType.DATE:
        if isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                return datetime.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise AttributeValueError("date")
    if not isinstance(value, str) or not value.strip():
        raise AttributeValueError("text")
    value = value.strip()
    if type == AttributeType.CHOICE and value not in (choices or []):
        raise AttributeValueError("choice")
    return value
