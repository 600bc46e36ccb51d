"""The segment builder form: a name, an all/any switch and rows of (field, op, key, value).

Rows arrive as parallel lists (`field`, `op`, `key`, `value`, one entry per row, in order); empty rows
are skipped. The form only parses: crm.segments decides what is valid.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import MAX_NAME

MATCH_CHOICES = [("all", _("all of these conditions")), ("any", _("any of these conditions"))]
FIELD_CHOICES = [("", "—"), ("tag", _("Tag")), ("attribute", _("Attribute")), ("store", _("Home store")),
                 ("rep", _("Assigned rep")), ("group", _("Group")), ("active_within_days", _("Active within days")),
                 ("consent_promotions", _("Accepts promotions")), ("source", _("Source")),
                 ("lifecycle_stage", _("Lifecycle stage")), ("order_count", _("Number of orders")),
                 ("total_spent", _("Total spent")), ("ordered", _("Ordered")), ("survey_answer", _("Survey answer"))]
OP_CHOICES = [("has", _("has")), ("not_has", _("does not have")), ("eq", _("is")), ("neq", _("is not")),
              ("gt", _("greater than")), ("lt", _("less than")), ("exists", _("is set")),
              ("member_of", _("member of")), ("not_member_of", _("not member of")), ("lte", _("at most")),
              ("before", _("before")), ("after", _("after")), ("within_days", _("within the last days")),
              ("never", _("never")), ("includes", _("includes"))]
BLANK_ROWS = 3


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME)
    match = forms.ChoiceField(label=_("Customers matching"), choices=MATCH_CHOICES, initial="all")


def rows_from_post(data) -> list[dict]:
    """The non-empty builder rows of a POST as conditions (values still strings)."""
    fields, ops, keys, values = (data.getlist(name) for name in ("field", "op", "key", "value"))
    conditions = []
    for i, field in enumerate(fields):
        if not field:
            continue
        condition = {"field": field, "op": ops[i] if i < len(ops) else "",
                     "value": values[i] if i < len(values) else ""}
        if field == "attribute":
            condition["key"] = keys[i] if i < len(keys) else ""
        elif field == "survey_answer":  # the key column holds the question id
            condition["question"] = keys[i] if i < len(keys) else ""
        conditions.append(condition)
    return conditions


def definition_from_post(data) -> dict:
    match = data.get("match") if data.get("match") in ("all", "any") else "all"
    return {match: rows_from_post(data)}


def rows_for_display(definition: dict | None) -> list[dict]:
    """Rows to render: the definition's conditions, then a few blank ones."""
    conditions = []
    if isinstance(definition, dict) and definition:
        conditions = next(iter(definition.values()))
        conditions = conditions if isinstance(conditions, list) else []
    rows = []
    for c in conditions:
        if isinstance(c, dict):
            value = c.get("value", "")
            value = ("true" if value else "false") if isinstance(value, bool) else value
            key = c.get("question", "") if c.get("field") == "survey_answer" else c.get("key", "")
            rows.append({"field": c.get("field", ""), "op": c.get("op", ""), "key": str(key),
                         "value": "" if value is None else str(value)})
    return rows + [{"field": "", "op": "", "key": "", "value": ""} for _i in range(BLANK_ROWS)]


def match_of(definition: dict | None) -> str:
    return "any" if isinstance(definition, dict) and "any" in definition else "all"


def builder_catalog(catalog: list[dict]) -> dict:
    """The conditions registry's catalog for the builder's script, with labels: {field: {label, ops:
    [[op, label]], picker, key_picker, value, op_values, choices}}."""
    fields, ops = dict(FIELD_CHOICES), dict(OP_CHOICES)
    return {c["field"]: {**c, "label": str(fields.get(c["field"], c["field"])),
                         "ops": [[op, str(ops.get(op, op))] for op in c["ops"]]} for c in catalog}
