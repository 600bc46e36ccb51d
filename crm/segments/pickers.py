"""crm's pickers for the segment builder: stores, reps, tags, attributes and survey questions, searched by
name through selectors, scoped to the brand and what the actor may see (communities adds "groups").
Registered on import (crm.segments.selectors imports this module)."""

from typing import Any

from django.db.models import Q

from privtraffic.tenancy.actors import Actor, actor_store_id
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import INT64_MAX
from privtraffic.tenancy.roles import Role
from privtraffic.tenancy.selectors import member_list, store_choices

from ..models import AttributeDefinition, Tag
from ..surveys.selectors import survey_question_list
from .conditions import PICKER_LIMIT, condition_for, picker_register


def ids_of(ids: list | None) -> list[int]:
    """Whole-number ids among `ids` (saved definitions hold ints; anything else names nothing)."""
    return [i for i in ids or [] if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= INT64_MAX]


@picker_register("stores")
def pick_stores(brand: Brand, actor: Actor, *, query: str = "", ids: list | None = None) -> list[dict[str, Any]]:
    stores = store_choices(brand=brand, actor=actor)
    stores = stores.filter(pk__in=ids_of(ids)) if ids is not None else stores.filter(
        Q(name__icontains=query) | Q(city__icontains=query))
    return [{"id": s.pk, "name": s.name, "detail": s.city} for s in stores[:PICKER_LIMIT]]


@picker_register("reps")
def pick_reps(brand: Brand, actor: Actor, *, query: str = "", ids: list | None = None) -> list[dict[str, Any]]:
    reps = member_list(brand=brand, actor=actor, role=Role.REP, store_id=actor_store_id(actor))
    if ids is not None:
        reps = reps.filter(pk__in=ids_of(ids))
    elif query:
        reps = reps.filter(Q(user__name__icontains=query) | Q(user__email__icontains=query)
                           | Q(store__name__icontains=query))
    return [{"id": m.pk, "name": m.user.display_name,
             "detail": " · ".join(filter(None, [m.store.name if m.store else "", m.user.email]))}
            for m in reps[:PICKER_LIMIT]]


@picker_register("tags")
def pick_tags(brand: Brand, actor: Actor, *, query: str = "", ids: list | None = None) -> list[dict[str, Any]]:
    # Tags are saved by name (the definition's "value"), so the name is the id.
    tags = Tag.objects.filter(brand=brand).order_by("name")
    tags = tags.filter(name__in=[i for i in ids if isinstance(i, str)]) if ids is not None else tags.filter(
        name__icontains=query)
    return [{"id": t.name, "name": t.name} for t in tags[:PICKER_LIMIT]]


@picker_register("attributes")
def pick_attributes(brand: Brand, actor: Actor, *, query: str = "",
                    ids: list | None = None) -> list[dict[str, Any]]:
    attributes = AttributeDefinition.objects.filter(brand=brand).order_by("label", "key")
    if ids is not None:
        attributes = attributes.filter(key__in=[i for i in ids if isinstance(i, str)])
    else:
        attributes = attributes.filter(Q(label__icontains=query) | Q(key__icontains=query))
    kind = condition_for("attribute")
    return [{"id": a.key, "name": a.label or a.key, "detail": a.get_type_display(), "ops": list(kind.ops_for(a)),
             "choices": [str(c) for c in a.choices or []], "value": _attribute_value_kind(a.type)}
            for a in attributes[:PICKER_LIMIT]]


def _attribute_value_kind(type_: str) -> str:
    return {"number": "number", "date": "date"}.get(type_, "text")


@picker_register("questions")
def pick_questions(brand: Brand, actor: Actor, *, query: str = "",
                   ids: list | None = None) -> list[dict[str, Any]]:
    questions = survey_question_list(brand=brand)
    questions = questions.filter(pk__in=ids_of(ids)) if ids is not None else questions.filter(
        Q(text__icontains=query) | Q(survey__title__icontains=query))
    kind = condition_for("survey_answer")
    return [{"id": q.pk, "name": q.text, "detail": q.survey.title, "ops": list(kind.ops_for(q)),
             "choices": [str(c) for c in q.choices or []],
             "value": "number" if q.kind in ("number", "scale") else "text"}
            for q in questions[:PICKER_LIMIT]]
