"""JSON request bodies must have the types the served schema documents.

DRF coerces quietly: `{"name": 0}` becomes "0", `{"capacity": "10"}` becomes 10, `{"active": "yes"}`
becomes True. A generated client relies on the schema, so a body that violates it is refused with the
`invalid` error object (400) instead of being half-understood. `parse_input` calls `json_type_errors`
on JSON bodies; form and multipart bodies are text by nature and are left to the serializer.
"""

from django.utils.translation import gettext as _
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers

_EXPECTED = (
    # The order matters: subclasses before their bases.
    (drf_fields.BooleanField, (bool,), "a boolean"),
    (drf_fields.IntegerField, (int,), "an integer"),
    (drf_fields.FloatField, (int, float), "a number"),
    (drf_fields.DecimalField, (str,), "a decimal string"),
    (drf_fields.FileField, None, ""),
    (drf_fields.ChoiceField, None, ""),  # the choices decide; checked below
    (drf_fields.CharField, (str,), "a string"),
    (drf_fields.DateTimeField, (str,), "a date-time string"),
    (drf_fields.DateField, (str,), "a date string"),
    (drf_fields.TimeField, (str,), "a time string"),
    (drf_fields.DurationField, (str,), "a duration string"),
    (drf_fields.UUIDField, (str,), "a UUID string"),
    (drf_fields.DictField, (dict,), "an object"),
    (drf_fields.HStoreField, (dict,), "an object"),
    (drf_fields.ListField, (list,), "a list"),
    (relations.ManyRelatedField, (list,), "a list"),
    (relations.PrimaryKeyRelatedField, (int,), "an integer id"),
    (relations.SlugRelatedField, (str,), "a string"),
)


def json_type_errors(serializer: serializers.BaseSerializer, data) -> dict:
    """Field errors for values of the wrong JSON type (bool is not an integer), nested; {} when none."""
    if isinstance(serializer, serializers.ListSerializer):
        if not isinstance(data, list):
            return {"non_field_errors": [_("Expected a list.")]}
        errors = {str(i): e for i, item in enumerate(data) if (e := json_type_errors(serializer.child, item))}
        return errors
    if not isinstance(data, dict):
        return {"non_field_errors": [_("Expected an object.")]}
    errors: dict = {}
    for name, field in serializer.fields.items():
        if field.read_only or name not in data:
            continue
        problem = _field_errors(field, data[name])
        if problem:
            errors[name] = problem
    return errors


def _field_errors(field, value):
    if value is None:
        return None  # allow_null is the serializer's to judge, with its own message
    if isinstance(field, serializers.BaseSerializer):
        return json_type_errors(field, value) or None
    if isinstance(field, drf_fields.ChoiceField) and not isinstance(field, drf_fields.MultipleChoiceField):
        kinds = {type(choice) for choice in field.choices}
        if kinds == {str} and not isinstance(value, str):
            return [_("Must be a string.")]
        return None
    for field_class, types, label in _EXPECTED:
        if isinstance(field, field_class):
            if types is None or (isinstance(value, types) and not (isinstance(value, bool) and bool not in types)):
                break
            return [_("Must be %(type)s.") % {"type": label}]
    if isinstance(field, drf_fields.ListField) and field.child is not None and isinstance(value, list):
        errors = {str(i): e for i, item in enumerate(value) if (e := _field_errors(field.child, item))}
        return errors or None
    if isinstance(field, drf_fields.DictField) and field.child is not None and isinstance(value, dict):
        errors = {key: e for key, item in value.items() if (e := _field_errors(field.child, item))}
        return errors or None
    return None
