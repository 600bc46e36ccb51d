"""Reads of segments: the saved segments, their counts, the customers they match, the builder's lists."""

from typing import Any

from django.db.models import QuerySet

from privtraffic.tenancy.actors import Actor
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object, member_list, store_list

from ..customers.selectors import customer_list_by_tag, customer_visibility
from ..models import AttributeDefinition, Customer, CustomerSource, LifecycleStage, Segment, Tag
from ..surveys.selectors import survey_question_list
from . import pickers  # noqa: F401 - registers crm's pickers
from .conditions import (
    condition_catalog,
    condition_fields,
    condition_for,
    definition_normalize,
    definition_q,
    picker_names,
    picker_search,
)

PREVIEW_NAMES = 10


def segment_definition_validate(*, brand: Brand, definition: Any) -> dict:
    """Check a definition against this brand; return it in canonical form.

    Bad shape, fields, ops or values: ApplicationError("invalid") with one message per condition under
    fields["definition"]. A store, rep or group id of another brand (or none): not_found (404).
    """
    return definition_normalize(brand=brand, definition=definition, check_refs=True)


def segment_queryset(*, brand: Brand, definition: Any) -> QuerySet[Customer]:
    """The brand's (not erased) customers matching a definition. Does not look up referenced ids: every
    condition is applied to this brand's customers only, so another brand's id simply matches nothing."""
    definition = definition_normalize(brand=brand, definition=definition, check_refs=False)
    combined, aliases = definition_q(brand=brand, definition=definition)
    return Customer.objects.filter(brand=brand, erased_at__isnull=True).alias(**aliases).filter(combined)


def segment_preview_count(*, brand: Brand, definition: Any) -> int:
    """How many customers a (not yet saved) definition matches right now; validates it first."""
    definition = segment_definition_validate(brand=brand, definition=definition)
    return segment_queryset(brand=brand, definition=definition).count()


def segment_preview(*, brand: Brand, actor: Actor, definition: Any) -> dict[str, Any]:
    """The builder's live preview: how many customers a definition matches now, and the first few of them
    that the actor may see (newest first), by name. Validates the definition first."""
    definition = segment_definition_validate(brand=brand, definition=definition)
    matching = segment_queryset(brand=brand, definition=definition)
    first = (Customer.objects.filter(brand=brand, pk__in=matching.values("pk")).filter(customer_visibility(actor))
             .order_by("-created_at", "-id").values("id", "name")[:PREVIEW_NAMES])
    return {"count": matching.count(), "customers": list(first)}


def segment_picker_search(*, brand: Brand, actor: Actor, picker: str, query: str = "") -> list[dict[str, Any]]:
    """One picker's matches by name (404 for an unknown picker)."""
    return picker_search(picker, brand=brand, actor=actor, query=query)


def segment_builder_rows(*, brand: Brand, actor: Actor, rows: list[dict]) -> list[dict]:
    """The builder's rows with what the page shows for them: the names of the ids they hold (a picker per
    value or key column, one query per picker) and the operators that fit their field."""
    wanted: dict[str, set] = {}
    for row in rows:
        kind = condition_for(row["field"])
        if kind is None:
            continue
        for picker, raw in ((kind.picker, row["value"]), (kind.key_picker, row["key"])):
            if picker and raw:
                wanted.setdefault(picker, set()).add(_saved_id(picker, raw))
    found = {picker: {str(item["id"]): item for item in picker_search(picker, brand=brand, actor=actor, ids=list(ids))}
             for picker, ids in wanted.items()}
    out = []
    for row in rows:
        kind = condition_for(row["field"])
        shown = dict(row, value_label="", key_label="", ops=list(kind.ops) if kind else [])
        if kind is not None:
            if kind.picker and row["value"]:
                shown["value_label"] = found.get(kind.picker, {}).get(row["value"], {}).get("name", row["value"])
            if kind.key_picker and row["key"]:
                item = found.get(kind.key_picker, {}).get(row["key"], {})
                shown["key_label"] = item.get("name", row["key"])
                shown["ops"] = item.get("ops", shown["ops"])
        out.append(shown)
    return out


def _saved_id(picker: str, raw: str):
    """Row values are strings; numeric pickers' saved ids are ints (tags and attributes are names/keys)."""
    return int(raw) if raw.isascii() and raw.isdigit() and picker not in ("tags", "attributes") else raw


def segment_picker_names() -> list[str]:
    return picker_names()


def segment_builder_catalog() -> list[dict[str, Any]]:
    return condition_catalog()


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


def segment_builder_references(*, brand: Brand, actor: Actor) -> dict[str, Any]:
    """The lists the builder offers: tags, attributes, stores, reps, sources, stages, questions, and what
    each registered condition field contributes (communities: groups)."""
    references: dict[str, Any] = {
        "tags": Tag.objects.filter(brand=brand),
        "attributes": AttributeDefinition.objects.filter(brand=brand),
        "stores": store_list(brand=brand),
        "reps": member_list(brand=brand, actor=actor, include_inactive=False),
        "sources": CustomerSource.choices, "stages": LifecycleStage.choices,
        "questions": survey_question_list(brand=brand)[:100],
    }
    for kind in condition_fields():
        offered = kind.choices(brand, actor)
        if offered is not None:
            references[kind.choice_name] = offered
    return references


def customer_list_filtered(*, brand: Brand, actor: Actor, search: str = "", tag: str = "",
                           stage: str = "", segment_id: int | None = None) -> QuerySet[Customer]:
    """The dashboard list: customer_list_by_tag, narrowed by lifecycle stage and a saved segment (another
    brand's segment is a 404). An unknown stage is ignored."""
    customers = customer_list_by_tag(brand=brand, actor=actor, search=search, tag=tag)
    if stage in LifecycleStage.values:
        customers = customers.filter(lifecycle_stage=stage)
    if segment_id is not None:
        customers = customers_in_segment(brand=brand, segment_id=segment_id, within=customers)
    return customers
