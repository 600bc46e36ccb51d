"""Segments: a saved filter over a brand's customers, and the compiler of its definition.

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
    group               member_of | not_member_of value: group id (current members only)
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

Every condition compiles to a Q on the brand's customers; relations (tags, groups)
are EXISTS subqueries (survey answers too) so counting stays one indexed query. Erased customers never match.
"""

import datetime
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Perm, role_has
from privtraffic.tenancy.selectors import brand_get_object, member_get, store_get

from .models import (
    AttributeDefinition,
    AttributeType,
    Customer,
    CustomerSource,
    CustomerTag,
    LifecycleStage,
    Segment,
)
from .orders.services import NOT_COUNTED

MAX_CONDITIONS = 50
MAX_DAYS = 3650
MAX_NAME = 80

FIELD_OPS: dict[str, tuple[str, ...]] = {
    "tag": ("has", "not_has"),
    "attribute": ("eq", "neq", "gt", "lt", "exists"),
    "store": ("eq",),
    "rep": ("eq",),
    "group": ("member_of", "not_member_of"),
    "active_within_days": ("lte",),
    "consent_promotions": ("eq",),
    "source": ("eq",),
    "lifecycle_stage": ("eq",),
    "order_count": ("eq", "gt", "lt"),
    "total_spent": ("gt", "lt"),
    "ordered": ("before", "after", "within_days", "never"),
    "survey_answer": ("eq", "includes"),
}
MAX_AMOUNT = Decimal("1e12")


class _Invalid(Exception):
    pass


def _invalid(errors: list[str]) -> ApplicationError:
    return ApplicationError("invalid", _("The segment definition is not valid."), fields={"definition": errors})


def _int(value: Any, what: str) -> int:
    """An id or a count: an int, or a string of digits (what an HTML form sends)."""
    if isinstance(value, bool):
        raise _Invalid(_("%(what)s must be a whole number, not true/false") % {"what": what})
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise _Invalid(_("%(what)s must be a whole number") % {"what": what})


def _bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Invalid(_("%(what)s must be true or false") % {"what": what})


def _amount(value: Any) -> str:
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise _Invalid(_("the amount must be a number such as 500 or 99.50"))
    return str(amount)


def _ordered_value(op: str, value: Any) -> Any:
    if op == "never":
        return None
    if op == "within_days":
        days = _int(value, _("days"))
        if not 0 <= days <= MAX_DAYS:
            raise _Invalid(_("days must be between 0 and %(max)s") % {"max": MAX_DAYS})
        return days
    try:
        return datetime.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise _Invalid(_("the date must be YYYY-MM-DD"))


def _attribute_value(definition: AttributeDefinition, value: Any) -> Any:
    key = definition.key
    if definition.type == AttributeType.NUMBER:
        if isinstance(value, bool):
            raise _Invalid(_("attribute '%(key)s' is a number") % {"key": key})
        if isinstance(value, int | float) and math.isfinite(value):
            return value
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                pass
            else:
                if math.isfinite(number):
                    return int(number) if number.is_integer() and "." not in value else number
        raise _Invalid(_("attribute '%(key)s' is a number") % {"key": key})
    if definition.type == AttributeType.DATE:
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise _Invalid(_("attribute '%(key)s' is a date (YYYY-MM-DD)") % {"key": key})
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(_("attribute '%(key)s' needs a text value") % {"key": key})
    value = value.strip()
    if definition.type == AttributeType.CHOICE and value not in (definition.choices or []):
        raise _Invalid(_("'%(value)s' is not one of the choices of attribute '%(key)s' (%(choices)s)") % {
            "value": value, "key": key, "choices": ", ".join(map(str, definition.choices or []))})
    return value


def _normalize_condition(condition: Any, *, brand: Brand, attributes: dict[str, AttributeDefinition],
                         check_refs: bool) -> dict:
    """One condition in canonical form; raises _Invalid with a message, or not_found for foreign ids."""
    if not isinstance(condition, dict):
        raise _Invalid(_("must be an object with field, op and value"))
    field = condition.get("field")
    if not isinstance(field, str) or not field:
        raise _Invalid(_("'field' is missing"))
    if field not in FIELD_OPS:
        raise _Invalid(_("unknown field '%(field)s' (use one of: %(fields)s)") % {
            "field": field, "fields": ", ".join(FIELD_OPS)})
    op = condition.get("op")
    if op not in FIELD_OPS[field]:
        raise _Invalid(_("unknown op '%(op)s' for field '%(field)s' (use one of: %(ops)s)") % {
            "op": op, "field": field, "ops": ", ".join(FIELD_OPS[field])})
    value = condition.get("value")
    out: dict[str, Any] = {"field": field, "op": op}
    if field == "tag":
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(_("a tag name is required"))
        value = value.strip()
        if check_refs:
            tag_model = apps.get_model("crm", "Tag")
            if not tag_model.objects.filter(brand=brand, name=value).exists():
                raise _Invalid(_("unknown tag '%(tag)s'") % {"tag": value})
    elif field == "attribute":
        key = condition.get("key")
        if not isinstance(key, str) or not key.strip():
            raise _Invalid(_("an attribute 'key' is required"))
        key = key.strip()
        out["key"] = key
        definition = attributes.get(key)
        if check_refs and definition is None:
            raise _Invalid(_("unknown attribute '%(key)s'") % {"key": key})
        if op == "exists":
            value = True if value is None or value == "" else _bool(value, "value")
        elif definition is None:  # compiling an already validated definition: values are canonical
            pass
        else:
            if op in ("gt", "lt") and definition.type not in (AttributeType.NUMBER, AttributeType.DATE):
                raise _Invalid(_("'%(op)s' works only on number and date attributes; '%(key)s' is %(type)s") % {
                    "op": op, "key": key, "type": definition.type})
            value = _attribute_value(definition, value)
    elif field == "store":
        value = _int(value, _("store"))
        if check_refs:
            store_get(brand=brand, store_id=value)
    elif field == "rep":
        value = _int(value, _("rep"))
        if check_refs:
            member_get(brand=brand, membership_id=value)
    elif field == "group":
        value = _int(value, _("group"))
        if check_refs:
            group_model = apps.get_model("communities", "VipGroup")
            brand_get_object(group_model.objects.all(), brand=brand, what="group", pk=value)
    elif field == "active_within_days":
        value = _int(value, _("days"))
        if not 0 <= value <= MAX_DAYS:
            raise _Invalid(_("days must be between 0 and %(max)s") % {"max": MAX_DAYS})
    elif field == "consent_promotions":
        value = _bool(value, "value")
    elif field == "order_count":
        value = _int(value, _("the number of orders"))
    elif field == "total_spent":
        value = _amount(value)
    elif field == "ordered":
        value = _ordered_value(op, value)
    elif field == "survey_answer":
        question_id = _int(condition.get("question"), _("question"))
        out["question"] = question_id
        if check_refs:
            value = _survey_answer_value(brand, question_id, op, value)
    elif field in ("source", "lifecycle_stage"):
        choices = CustomerSource.values if field == "source" else LifecycleStage.values
        if value not in choices:
            raise _Invalid(_("%(field)s must be one of: %(choices)s") % {"field": field, "choices": ", ".join(choices)})
    out["value"] = value
    return out


def _survey_answer_value(brand: Brand, question_id: int, op: str, value: Any) -> Any:
    """The answer value as stored, checked like a customer's answer; another brand's question is a 404."""
    from .surveys.answering import answer_clean

    question_model = apps.get_model("crm", "SurveyQuestion")
    question = brand_get_object(question_model.objects.all(), brand=brand, what="survey question", pk=question_id)
    if (op == "includes") != (question.kind == "multiple"):
        raise _Invalid(_("use 'includes' for several-choices questions and 'eq' for the others"))
    try:
        values = answer_clean(question, value)
    except ValueError as exc:
        raise _Invalid(_("question %(id)s: %(message)s") % {"id": question_id, "message": exc})
    if len(values) != 1:
        raise _Invalid(_("question %(id)s: give one value") % {"id": question_id})
    return values[0]


def _normalize(*, brand: Brand, definition: Any, check_refs: bool) -> dict:
    if not isinstance(definition, dict) or len(definition) != 1 or next(iter(definition)) not in ("all", "any"):
        raise _invalid([_('The definition must be an object with one key, "all" or "any", holding a list of '
                          "conditions.")])
    match, conditions = next(iter(definition.items()))
    if not isinstance(conditions, list) or not conditions:
        raise _invalid([_("Add at least one condition.")])
    if len(conditions) > MAX_CONDITIONS:
        raise _invalid([_("At most %(max)s conditions.") % {"max": MAX_CONDITIONS}])
    keys = {c.get("key") for c in conditions if isinstance(c, dict) and c.get("field") == "attribute"}
    attributes = ({a.key: a for a in AttributeDefinition.objects.filter(brand=brand, key__in=[k for k in keys
                                                                                             if isinstance(k, str)])}
                  if keys and check_refs else {})
    errors, normalized = [], []
    for number, condition in enumerate(conditions, start=1):
        try:
            normalized.append(_normalize_condition(condition, brand=brand, attributes=attributes,
                                                   check_refs=check_refs))
        except _Invalid as exc:
            errors.append(_("condition %(n)s: %(message)s") % {"n": number, "message": exc.args[0]})
    if errors:
        raise _invalid(errors)
    return {match: normalized}


def segment_definition_validate(*, brand: Brand, definition: Any) -> dict:
    """Check a definition against this brand; return it in canonical form.

    Bad shape, fields, ops or values: ApplicationError("invalid") with one message per condition under
    fields["definition"]. A store, rep or group id of another brand (or none): not_found (404).
    """
    return _normalize(brand=brand, definition=definition, check_refs=True)


def _condition_q(condition: dict, *, brand: Brand, index: int, aliases: dict) -> Q:
    field, op, value = condition["field"], condition["op"], condition["value"]
    if field == "tag":
        tagged = Exists(CustomerTag.objects.filter(brand=brand, customer_id=OuterRef("pk"), tag__name=value))
        return Q(tagged) if op == "has" else ~Q(tagged)
    if field == "attribute":
        # An alias per condition: the key is used as data, never parsed as a lookup path.
        alias = f"_segment_attr_{index}"
        aliases[alias] = KeyTransform(condition["key"], "attributes")
        if op == "exists":
            present = Q(**{f"{alias}__isnull": False})
            return present if value else ~present
        if op == "eq":
            return Q(**{alias: value})
        if op == "neq":
            return ~Q(**{alias: value}) | Q(**{f"{alias}__isnull": True})
        return Q(**{f"{alias}__{op}": value})
    if field == "store":
        return Q(home_store_id=value)
    if field == "rep":
        return Q(assigned_rep_id=value)
    if field == "group":
        member_model = apps.get_model("communities", "GroupMember")
        member = Exists(member_model.objects.filter(brand=brand, group_id=value, customer_id=OuterRef("pk"),
                                                    left_at__isnull=True))
        return Q(member) if op == "member_of" else ~Q(member)
    if field == "active_within_days":
        return Q(last_active_at__gte=timezone.now() - datetime.timedelta(days=value))
    if field == "consent_promotions":
        return Q(consent_promotions=value)
    if field == "order_count":
        return Q(**{f"order_count__{op}" if op != "eq" else "order_count": value})
    if field == "total_spent":
        return Q(**{f"lifetime_value__{op}": Decimal(value)})
    if field == "ordered":
        return _ordered_q(op, value, brand=brand)
    if field == "survey_answer":
        # Several choices are stored one row per choice, so "includes" is the same equality lookup.
        answer_model = apps.get_model("crm", "SurveyAnswer")
        answered = answer_model.objects.filter(brand=brand, question_id=condition["question"],
                                               customer_id=OuterRef("pk"))
        if isinstance(value, int | float) and not isinstance(value, bool):
            answered = answered.filter(number=value)
        else:
            answered = answered.filter(value=value)
        return Q(Exists(answered))
    return Q(**{field: value})  # source, lifecycle_stage


def _ordered_q(op: str, value: Any, *, brand: Brand) -> Q:
    """Orders that count (not cancelled or refunded), as EXISTS on the brand's orders; dates are brand-time days."""
    if op == "never":
        return Q(order_count=0)
    if op == "within_days":
        since = timezone.now() - datetime.timedelta(days=value)
    else:
        day = datetime.date.fromisoformat(value)
        since = datetime.datetime.combine(day if op == "before" else day + datetime.timedelta(days=1),
                                          datetime.time(0), tzinfo=brand.tzinfo)
    order_model = apps.get_model("crm", "Order")
    placed = {"placed_at__lt": since} if op == "before" else {"placed_at__gte": since}
    orders = order_model.objects.filter(brand=brand, customer_id=OuterRef("pk"), **placed).exclude(
        status__in=NOT_COUNTED)
    return Q(Exists(orders))


def segment_queryset(*, brand: Brand, definition: Any) -> QuerySet[Customer]:
    """The brand's (not erased) customers matching a definition. Does not look up referenced ids: every
    condition is applied to this brand's customers only, so another brand's id simply matches nothing."""
    definition = _normalize(brand=brand, definition=definition, check_refs=False)
    match, conditions = next(iter(definition.items()))
    aliases: dict = {}
    parts = [_condition_q(c, brand=brand, index=i, aliases=aliases) for i, c in enumerate(conditions)]
    combined = Q()
    for part in parts:
        combined = (combined & part) if match == "all" else (combined | part)
    return Customer.objects.filter(brand=brand, erased_at__isnull=True).alias(**aliases).filter(combined)


# --- selectors ------------------------------------------------------------------------------------------


def segment_list(*, brand: Brand) -> QuerySet[Segment]:
    return Segment.objects.filter(brand=brand).select_related("created_by")


def segment_get(*, brand: Brand, segment_id) -> Segment:
    return brand_get_object(segment_list(brand=brand), brand=brand, what="segment", pk=segment_id)


def segment_count(*, segment: Segment) -> int:
    """One COUNT query; a definition that no longer compiles (an attribute was deleted) counts 0."""
    try:
        return segment_queryset(brand=segment.brand, definition=segment.definition).count()
    except ApplicationError:
        return 0


def customers_in_segment(*, brand: Brand, segment_id, within: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    """Customers of a saved segment (404 for another brand's id). With `within` (e.g. the customer list's
    queryset, with its search and select_related), narrows that queryset instead."""
    segment = segment_get(brand=brand, segment_id=segment_id)
    matching = segment_queryset(brand=brand, definition=segment.definition)
    if within is None:
        return matching
    return within.filter(pk__in=matching.values("pk"))


# --- services -------------------------------------------------------------------------------------------


def _require_may_manage(actor: Membership | None, brand: Brand) -> None:
    """actor None is the API key (the brand itself); a staff member needs MANAGE_CAMPAIGNS."""
    if actor is None:
        return
    if actor.brand_id != brand.pk:
        raise ApplicationError.not_found("segment")
    if not role_has(actor.role, Perm.MANAGE_CAMPAIGNS):
        raise ApplicationError.forbidden(_("Your role does not allow managing segments."))


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ApplicationError("invalid", _("A segment needs a name."), fields={"name": [_("This field is required.")]})
    name = name.strip()
    if len(name) > MAX_NAME:
        raise ApplicationError("invalid", _("The name is too long."),
                               fields={"name": [_("At most %(max)s characters.") % {"max": MAX_NAME}]})
    return name


def segment_save(*, brand: Brand, actor: Membership | None, name: Any, definition: Any,
                 segment: Segment | None = None) -> Segment:
    """Create a segment, or update `segment` (of this brand). Name unique per brand (409 name_taken)."""
    _require_may_manage(actor, brand)
    if segment is not None and segment.brand_id != brand.pk:
        raise ApplicationError.not_found("segment")
    name = _clean_name(name)
    definition = segment_definition_validate(brand=brand, definition=definition)
    if segment is None:
        segment = Segment(brand=brand, created_by=actor.user if actor is not None else None)
    segment.name, segment.definition = name, definition
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise ApplicationError("name_taken", _("A segment with this name already exists."),
                               fields={"name": [_("A segment with this name already exists.")]}, status=409)
    return segment


def segment_delete(*, segment: Segment, actor: Membership | None) -> None:
    _require_may_manage(actor, segment.brand)
    segment.delete()
