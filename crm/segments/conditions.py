"""Segment conditions: a registry of small classes, one per condition `field`.

A definition is one level of conditions joined by "all" (AND) or "any" (OR):

    {"all": [{"field": "tag", "op": "has", "value": "oily-skin"},
             {"field": "attribute", "key": "age", "op": "gt", "value": 30},
             {"field": "group", "op": "member_of", "value": 12}]}

Fields and their operators:

    tag                 has | not_has            value: tag name
    attribute           eq | neq | gt | lt | exists   key: attribute key; value typed by the attribute
                        (gt/lt only for number and date attributes; exists takes true/false, default true)
    store               eq                       value: store id (home store)
    rep                 eq                       value: membership id (assigned rep)
    group               member_of | not_member_of value: group id (current members only; from communities)
    active_within_days  lte                      value: days (last_active_at within the last N days)
    consent_promotions  eq                       value: true | false
    source              eq                       value: a customer source
    lifecycle_stage     eq                       value: a lifecycle stage
    order_count         eq | gt | lt             value: a whole number (orders that count: not cancelled/refunded)
    total_spent         gt | lt                  value: an amount in the brand's currency (lifetime value)
    ordered             before | after | within_days | never
                                                 value: a date YYYY-MM-DD (brand time) / days / none
    survey_answer       eq | includes            question: survey question id; value typed by the question
                        (includes only for several-choices questions; eq for the others)

Each class also says how the builder offers it (one source of truth for the page and the checks): `ops`
(and `ops_for(ref)` where the operators depend on the picked attribute's type or question's kind), the
`picker` the value is chosen from by name (stores, reps, groups, tags) and the `key_picker` of the key
column (attributes, survey questions): `condition_catalog()`. Pickers are searched through
`picker_search` (a registry: crm registers its own in crm/segments/pickers.py, communities "groups").

Each class validates its own condition (`normalize`) and turns it into a Q on the brand's customers
(`q`); relations are EXISTS subqueries so counting stays one indexed query. Higher apps add their
fields with `condition_register` from their AppConfig.ready() (communities adds `group`). A class may
offer `choices(brand, actor)`: the reference list the builder shows for it.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.db.models import Exists, OuterRef, Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import Actor, SystemActor
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import INT64_MIN
from privtraffic.tenancy.parsing import parse_int as strict_int
from privtraffic.tenancy.selectors import brand_get_object, member_get, store_get

from ..models import (
    AttributeDefinition,
    AttributeType,
    CustomerSource,
    CustomerTag,
    LifecycleStage,
    Order,
    SurveyAnswer,
    SurveyQuestion,
    Tag,
)
from ..orders.services import NOT_COUNTED
from ..profile.attributes import AttributeValueError, attribute_value_parse
from ..surveys.answering import answer_clean

MAX_CONDITIONS = 50
MAX_DAYS = 3650
MAX_AMOUNT = Decimal("1e12")


class Invalid(Exception):
    """A condition's problem, worded for the person editing it."""


def invalid_definition(errors: list[str]) -> ApplicationError:
    return ApplicationError("invalid", _("The segment definition is not valid."), fields={"definition": errors})


# --- value parsers shared by the conditions -----------------------------------------------------------


def parse_int(value: Any, what: str, *, minimum: int = 0) -> int:
    """An id or a count: an int, or a string of ASCII digits (what an HTML form sends), within 64 bits."""
    if isinstance(value, bool):
        raise Invalid(_("%(what)s must be a whole number, not true/false") % {"what": what})
    try:
        return strict_int(value, str(what), minimum=minimum)
    except ApplicationError:
        raise Invalid(_("%(what)s must be a whole number") % {"what": what})


def parse_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise Invalid(_("%(what)s must be true or false") % {"what": what})


def parse_days(value: Any) -> int:
    days = parse_int(value, _("days"), minimum=INT64_MIN)
    if not 0 <= days <= MAX_DAYS:
        raise Invalid(_("days must be between 0 and %(max)s") % {"max": MAX_DAYS})
    return days


# --- the registry ---------------------------------------------------------------------------------------


@dataclass
class CheckContext:
    """What normalising one definition shares between its conditions."""

    brand: Brand
    check_refs: bool
    prepared: dict[str, Any] = field(default_factory=dict)  # per field: what `prepare` looked up once


@dataclass
class QueryContext:
    brand: Brand
    index: int
    aliases: dict


class Condition:
    """One condition field. Subclasses set `field`, `ops` and `position` (the field's place in lists and
    messages) and override `clean_value` and `q`."""

    field: ClassVar[str]
    ops: ClassVar[tuple[str, ...]]
    position: ClassVar[int]
    choice_name: ClassVar[str | None] = None  # the builder's name for `choices()` (e.g. "groups")
    picker: ClassVar[str | None] = None  # the value is picked by name from this picker (its ids are saved)
    key_picker: ClassVar[str | None] = None  # the key column (attribute key, question id) is picked from this
    value_kind: ClassVar[str] = "text"  # how the builder asks for the value: text, number, date, bool, none
    op_values: ClassVar[dict[str, str]] = {}  # a different value kind for some operators

    def ops_for(self, ref: Any) -> tuple[str, ...]:
        """The operators that fit the key picked for this condition (an attribute, a question)."""
        return self.ops

    def value_choices(self) -> list[str]:
        """Fixed values the builder offers (sources, stages, true/false)."""
        return ["true", "false"] if self.value_kind == "bool" else []

    def prepare(self, *, brand: Brand, conditions: list[dict], check_refs: bool) -> Any:
        """Look up, once per definition, what validating this field's conditions needs."""
        return None

    def normalize(self, condition: dict, op: str, ctx: CheckContext) -> dict:
        """The condition in canonical form; raises Invalid with a message, or not_found for foreign ids."""
        out: dict[str, Any] = {"field": self.field, "op": op}
        out["value"] = self.clean_value(condition, op, condition.get("value"), ctx, out)
        return out

    def clean_value(self, condition: dict, op: str, value: Any, ctx: CheckContext, out: dict) -> Any:
        return value

    def q(self, condition: dict, ctx: QueryContext) -> Q:
        raise NotImplementedError

    def choices(self, brand: Brand, actor: Actor) -> Any:
        """The reference list the builder offers for this field (None: none)."""
        return None


_REGISTRY: dict[str, Condition] = {}


def condition_register(cls: type[Condition]) -> type[Condition]:
    """Add a condition field (a class decorator; higher apps call it from AppConfig.ready())."""
    _REGISTRY[cls.field] = cls()
    return cls


def condition_fields() -> list[Condition]:
    return sorted(_REGISTRY.values(), key=lambda c: c.position)


def condition_for(field_name: str) -> Condition | None:
    return _REGISTRY.get(field_name)


def condition_catalog() -> list[dict[str, Any]]:
    """What the builder needs to offer each field: its operators, pickers and value kind."""
    return [{"field": c.field, "ops": list(c.ops), "picker": c.picker, "key_picker": c.key_picker,
             "value": c.value_kind, "op_values": c.op_values, "choices": c.value_choices()}
            for c in condition_fields()]


# --- pickers: search the brand's stores, reps, groups, tags, attributes and questions by name ------------

PICKER_LIMIT = 20
PickerFn = Callable[..., list[dict[str, Any]]]
_PICKERS: dict[str, PickerFn] = {}


def picker_register(name: str) -> Callable[[PickerFn], PickerFn]:
    """Add a picker: fn(brand, actor, *, query, ids) -> [{"id", "name", "detail"?, "ops"?}], at most
    PICKER_LIMIT, through selectors (scoped to the brand and what the actor may see). With `ids`, the
    items of those ids (to show saved ids by name)."""

    def register(fn: PickerFn) -> PickerFn:
        _PICKERS[name] = fn
        return fn

    return register


def picker_names() -> list[str]:
    return sorted(_PICKERS)


def picker_search(name: str, *, brand: Brand, actor: Actor, query: str = "", ids: list | None = None) -> list[dict]:
    picker = _PICKERS.get(name)
    if picker is None:
        raise ApplicationError.not_found("picker")
    return picker(brand, actor, query=query.strip()[:100], ids=ids)


# --- crm's own fields -----------------------------------------------------------------------------------


@condition_register
class TagCondition(Condition):
    field, ops, position = "tag", ("has", "not_has"), 10
    picker, value_kind = "tags", "none"

    def clean_value(self, condition, op, value, ctx, out):
        if not isinstance(value, str) or not value.strip():
            raise Invalid(_("a tag name is required"))
        value = value.strip()
        if ctx.check_refs and not Tag.objects.filter(brand=ctx.brand, name=value).exists():
            raise Invalid(_("unknown tag '%(tag)s'") % {"tag": value})
        return value

    def q(self, condition, ctx):
        tagged = Exists(CustomerTag.objects.filter(brand=ctx.brand, customer_id=OuterRef("pk"),
                                                   tag__name=condition["value"]))
        return Q(tagged) if condition["op"] == "has" else ~Q(tagged)


@condition_register
class AttributeCondition(Condition):
    field, ops, position = "attribute", ("eq", "neq", "gt", "lt", "exists"), 20
    key_picker, op_values = "attributes", {"exists": "bool"}

    def ops_for(self, ref):
        """gt/lt only for number and date attributes."""
        if ref is not None and ref.type not in (AttributeType.NUMBER, AttributeType.DATE):
            return tuple(op for op in self.ops if op not in ("gt", "lt"))
        return self.ops

    def prepare(self, *, brand, conditions, check_refs):
        keys = [c.get("key") for c in conditions if c.get("field") == self.field]
        keys = [k for k in keys if isinstance(k, str)]
        if not keys or not check_refs:
            return {}
        return {a.key: a for a in AttributeDefinition.objects.filter(brand=brand, key__in=keys)}

    def normalize(self, condition, op, ctx):
        key = condition.get("key")
        if not isinstance(key, str) or not key.strip():
            raise Invalid(_("an attribute 'key' is required"))
        key = key.strip()
        out: dict[str, Any] = {"field": self.field, "op": op, "key": key}
        definition = ctx.prepared.get(self.field, {}).get(key)
        value = condition.get("value")
        if ctx.check_refs and definition is None:
            raise Invalid(_("unknown attribute '%(key)s'") % {"key": key})
        if op == "exists":
            value = True if value is None or value == "" else parse_bool(value, "value")
        elif definition is not None:  # None: compiling an already validated definition, values are canonical
            if op not in self.ops_for(definition):
                raise Invalid(_("'%(op)s' works only on number and date attributes; '%(key)s' is %(type)s") % {
                    "op": op, "key": key, "type": definition.type})
            value = self._value(definition, value)
        out["value"] = value
        return out

    @staticmethod
    def _value(definition: AttributeDefinition, value: Any) -> Any:
        key = definition.key
        try:
            return attribute_value_parse(type=definition.type, value=value, choices=definition.choices)
        except AttributeValueError as exc:
            if exc.kind == "number":
                raise Invalid(_("attribute '%(key)s' is a number") % {"key": key})
            if exc.kind == "date":
                raise Invalid(_("attribute '%(key)s' is a date (YYYY-MM-DD)") % {"key": key})
            if exc.kind == "text":
                raise Invalid(_("attribute '%(key)s' needs a text value") % {"key": key})
            raise Invalid(_("'%(value)s' is not one of the choices of attribute '%(key)s' (%(choices)s)") % {
                "value": value.strip(), "key": key, "choices": ", ".join(map(str, definition.choices or []))})

    def q(self, condition, ctx):
        # An alias per condition: the key is used as data, never parsed as a lookup path.
        op, value = condition["op"], condition["value"]
        alias = f"_segment_attr_{ctx.index}"
        ctx.aliases[alias] = KeyTransform(condition["key"], "attributes")
        if op == "exists":
            present = Q(**{f"{alias}__isnull": False})
            return present if value else ~present
        if op == "eq":
            return Q(**{alias: value})
        if op == "neq":
            return ~Q(**{alias: value}) | Q(**{f"{alias}__isnull": True})
        return Q(**{f"{alias}__{op}": value})


@condition_register
class StoreCondition(Condition):
    field, ops, position = "store", ("eq",), 30
    picker, value_kind = "stores", "none"

    def clean_value(self, condition, op, value, ctx, out):
        value = parse_int(value, _("store"))
        if ctx.check_refs:
            store_get(brand=ctx.brand, store_id=value)
        return value

    def q(self, condition, ctx):
        return Q(home_store_id=condition["value"])


@condition_register
class RepCondition(Condition):
    field, ops, position = "rep", ("eq",), 40
    picker, value_kind = "reps", "none"

    def clean_value(self, condition, op, value, ctx, out):
        value = parse_int(value, _("rep"))
        if ctx.check_refs:
            member_get(brand=ctx.brand, membership_id=value,
                       actor=SystemActor.for_brand(ctx.brand, "segments:check-rep"))
        return value

    def q(self, condition, ctx):
        return Q(assigned_rep_id=condition["value"])


@condition_register
class ActiveWithinDaysCondition(Condition):
    field, ops, position = "active_within_days", ("lte",), 60
    value_kind = "number"

    def clean_value(self, condition, op, value, ctx, out):
        return parse_days(value)

    def q(self, condition, ctx):
        return Q(last_active_at__gte=timezone.now() - datetime.timedelta(days=condition["value"]))


@condition_register
class ConsentPromotionsCondition(Condition):
    field, ops, position = "consent_promotions", ("eq",), 70
    value_kind = "bool"

    def clean_value(self, condition, op, value, ctx, out):
        return parse_bool(value, "value")

    def q(self, condition, ctx):
        return Q(consent_promotions=condition["value"])


class _ChoiceFieldCondition(Condition):
    ops = ("eq",)
    values: ClassVar[list[str]]
    value_kind = "choice"

    def value_choices(self):
        return list(self.values)

    def clean_value(self, condition, op, value, ctx, out):
        if value not in self.values:
            raise Invalid(_("%(field)s must be one of: %(choices)s") % {"field": self.field,
                                                                         "choices": ", ".join(self.values)})
        return value

    def q(self, condition, ctx):
        return Q(**{self.field: condition["value"]})


@condition_register
class SourceCondition(_ChoiceFieldCondition):
    field, position, values = "source", 80, CustomerSource.values


@condition_register
class LifecycleStageCondition(_ChoiceFieldCondition):
    field, position, values = "lifecycle_stage", 90, LifecycleStage.values


@condition_register
class OrderCountCondition(Condition):
    field, ops, position = "order_count", ("eq", "gt", "lt"), 100
    value_kind = "number"

    def clean_value(self, condition, op, value, ctx, out):
        return parse_int(value, _("the number of orders"))

    def q(self, condition, ctx):
        op = condition["op"]
        return Q(**{f"order_count__{op}" if op != "eq" else "order_count": condition["value"]})


@condition_register
class TotalSpentCondition(Condition):
    field, ops, position = "total_spent", ("gt", "lt"), 110
    value_kind = "number"

    def clean_value(self, condition, op, value, ctx, out):
        try:
            amount = Decimal(str(value).strip()) if not isinstance(value, bool) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
            raise Invalid(_("the amount must be a number such as 500 or 99.50"))
        return str(amount)

    def q(self, condition, ctx):
        return Q(**{f"lifetime_value__{condition['op']}": Decimal(condition["value"])})


@condition_register
class OrderedCondition(Condition):
    field, ops, position = "ordered", ("before", "after", "within_days", "never"), 120
    value_kind, op_values = "date", {"within_days": "number", "never": "none"}

    def clean_value(self, condition, op, value, ctx, out):
        if op == "never":
            return None
        if op == "within_days":
            return parse_days(value)
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise Invalid(_("the date must be YYYY-MM-DD"))

    def q(self, condition, ctx):
        """Orders that count (not cancelled or refunded), as EXISTS on the brand's orders; dates are brand-time
        days."""
        op, value = condition["op"], condition["value"]
        if op == "never":
            return Q(order_count=0)
        if op == "within_days":
            since = timezone.now() - datetime.timedelta(days=value)
        else:
            day = datetime.date.fromisoformat(value)
            since = datetime.datetime.combine(day if op == "before" else day + datetime.timedelta(days=1),
                                              datetime.time(0), tzinfo=ctx.brand.tzinfo)
        placed = {"placed_at__lt": since} if op == "before" else {"placed_at__gte": since}
        orders = Order.objects.filter(brand=ctx.brand, customer_id=OuterRef("pk"), **placed).exclude(
            status__in=NOT_COUNTED)
        return Q(Exists(orders))


@condition_register
class SurveyAnswerCondition(Condition):
    field, ops, position = "survey_answer", ("eq", "includes"), 130
    key_picker = "questions"

    def ops_for(self, ref):
        """"includes" for several-choices questions, "eq" for the others."""
        if ref is None:
            return self.ops
        return ("includes",) if ref.kind == "multiple" else ("eq",)

    def normalize(self, condition, op, ctx):
        question_id = parse_int(condition.get("question"), _("question"))
        out: dict[str, Any] = {"field": self.field, "op": op, "question": question_id}
        value = condition.get("value")
        if ctx.check_refs:
            value = self._value(ctx.brand, question_id, op, value)
        out["value"] = value
        return out

    @staticmethod
    def _value(brand: Brand, question_id: int, op: str, value: Any) -> Any:
        """The answer value as stored, checked like a customer's answer; another brand's question is a 404."""
        question = brand_get_object(SurveyQuestion.objects.all(), brand=brand, what="survey question",
                                    pk=question_id)
        if op not in _REGISTRY["survey_answer"].ops_for(question):
            raise Invalid(_("use 'includes' for several-choices questions and 'eq' for the others"))
        try:
            values = answer_clean(question, value)
        except ValueError as exc:
            raise Invalid(_("question %(id)s: %(message)s") % {"id": question_id, "message": exc})
        if len(values) != 1:
            raise Invalid(_("question %(id)s: give one value") % {"id": question_id})
        return values[0]

    def q(self, condition, ctx):
        # Several choices are stored one row per choice, so "includes" is the same equality lookup.
        value = condition["value"]
        answered = SurveyAnswer.objects.filter(brand=ctx.brand, question_id=condition["question"],
                                               customer_id=OuterRef("pk"))
        if isinstance(value, int | float) and not isinstance(value, bool):
            answered = answered.filter(number=value)
        else:
            answered = answered.filter(value=value)
        return Q(Exists(answered))


# --- the normaliser and the compiler: loops over the registry --------------------------------------------


def _normalize_condition(condition: Any, ctx: CheckContext) -> dict:
    if not isinstance(condition, dict):
        raise Invalid(_("must be an object with field, op and value"))
    field_name = condition.get("field")
    if not isinstance(field_name, str) or not field_name:
        raise Invalid(_("'field' is missing"))
    kind = condition_for(field_name)
    if kind is None:
        raise Invalid(_("unknown field '%(field)s' (use one of: %(fields)s)") % {
            "field": field_name, "fields": ", ".join(c.field for c in condition_fields())})
    op = condition.get("op")
    if op not in kind.ops:
        raise Invalid(_("unknown op '%(op)s' for field '%(field)s' (use one of: %(ops)s)") % {
            "op": op, "field": field_name, "ops": ", ".join(kind.ops)})
    return kind.normalize(condition, op, ctx)


def definition_normalize(*, brand: Brand, definition: Any, check_refs: bool) -> dict:
    """The definition in canonical form. With `check_refs`, referenced tags, attributes, stores, reps,
    groups and questions must exist in this brand (another brand's id: not_found)."""
    if not isinstance(definition, dict) or len(definition) != 1 or next(iter(definition)) not in ("all", "any"):
        raise invalid_definition([_('The definition must be an object with one key, "all" or "any", holding a '
                                    "list of conditions.")])
    match, conditions = next(iter(definition.items()))
    if not isinstance(conditions, list) or not conditions:
        raise invalid_definition([_("Add at least one condition.")])
    if len(conditions) > MAX_CONDITIONS:
        raise invalid_definition([_("At most %(max)s conditions.") % {"max": MAX_CONDITIONS}])
    ctx = CheckContext(brand=brand, check_refs=check_refs)
    dicts = [c for c in conditions if isinstance(c, dict)]
    for kind in condition_fields():
        ctx.prepared[kind.field] = kind.prepare(brand=brand, conditions=dicts, check_refs=check_refs)
    errors, normalized = [], []
    for number, condition in enumerate(conditions, start=1):
        try:
            normalized.append(_normalize_condition(condition, ctx))
        except Invalid as exc:
            errors.append(_("condition %(n)s: %(message)s") % {"n": number, "message": exc.args[0]})
    if errors:
        raise invalid_definition(errors)
    return {match: normalized}


def definition_q(*, brand: Brand, definition: dict) -> tuple[Q, dict]:
    """A normalised definition as one Q on customers, and the aliases it filters on."""
    match, conditions = next(iter(definition.items()))
    aliases: dict = {}
    combined = Q()
    for index, condition in enumerate(conditions):
        part = _REGISTRY[condition["field"]].q(condition, QueryContext(brand=brand, index=index, aliases=aliases))
        combined = (combined & part) if match == "all" else (combined | part)
    return combined, aliases
