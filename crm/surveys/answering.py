"""A customer answers (or skips) a survey; persona rules turn the answers into tags and attributes.

Answering again replaces the previous answers and applies the rules again. Rules only ever add:
a tag added by an earlier answer stays (a person's tags are the brand's, not the survey's), and an
attribute keeps the last value a rule set. Every answer is checked first; one bad answer changes nothing.
"""

import math
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.events.services import event_record
from privtraffic.tenancy.actors import Actor, CustomerActor, SystemActor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import is_int
from privtraffic.tenancy.roles import Perm

from ..customers.lifecycle import customer_mark_active
from ..models import (
    Customer,
    PersonaAction,
    PersonaOp,
    PersonaRule,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    Tag,
)
from ..profile.services import customer_attributes_set, customer_tags_add

TEXT_ANSWER_MAX = 1000
SCALE_MIN, SCALE_MAX = 1, 5


MAX_NUMBER = 10**12


def field_name(question_id: int) -> str:
    """The key of a question in error `fields` and in the customer page's form."""
    return f"q{question_id}"


def number_parse(value: Any) -> float | int | None:
    """A finite number from a number or a numeric string (what a form sends); None otherwise.

    Magnitudes beyond MAX_NUMBER are refused: they are typos, and a 400-digit integer would overflow a float.
    """
    if isinstance(value, bool):
        return None
    number: float | int
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str) and len(value.strip()) <= 40:
        try:
            number = float(value.strip())
        except ValueError:
            return None
        if math.isfinite(number) and number.is_integer() and "." not in value and "e" not in value.lower():
            number = int(number)
    else:
        return None
    try:
        return number if math.isfinite(number) and abs(number) <= MAX_NUMBER else None
    except OverflowError:
        return None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, list | tuple) and not value)


def answer_clean(question: SurveyQuestion, value: Any) -> list[Any]:
    """The stored values of one answer (a list: several choices are several rows; empty = not answered).
    Raises ValueError with a message for the customer."""
    if _is_empty(value):
        if question.required:
            raise ValueError(_("Please answer this question."))
        return []
    kind = question.kind
    if kind == QuestionKind.SINGLE:
        if not isinstance(value, str) or value.strip() not in question.choices:
            raise ValueError(_("Choose one of the options."))
        return [value.strip()]
    if kind == QuestionKind.MULTIPLE:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            raise ValueError(_("Choose from the options."))
        chosen = []
        for v in values:
            v = v.strip()
            if v not in question.choices:
                raise ValueError(_("“%(value)s” is not one of the options.") % {"value": v[:100]})
            if v not in chosen:
                chosen.append(v)
        return [c for c in question.choices if c in chosen]  # in the question's order
    if kind == QuestionKind.TEXT:
        if not isinstance(value, str):
            raise ValueError(_("Type your answer."))
        value = value.strip()
        if len(value) > TEXT_ANSWER_MAX:
            raise ValueError(_("At most %(max)d characters.") % {"max": TEXT_ANSWER_MAX})
        return [value]
    number = number_parse(value)
    if kind == QuestionKind.NUMBER:
        if number is None:
            raise ValueError(_("Enter a number."))
        return [number]
    # scale
    if number is None or number != int(number) or not SCALE_MIN <= number <= SCALE_MAX:
        raise ValueError(_("Choose a number from %(min)d to %(max)d.") % {"min": SCALE_MIN, "max": SCALE_MAX})
    return [int(number)]


def answers_clean(*, survey: Survey, answers: Any) -> dict[SurveyQuestion, list[Any]]:
    """Every answer checked against its question; all errors at once under fields "q<id>"."""
    if not isinstance(answers, dict):
        raise ApplicationError("invalid", _("Give the answers as an object keyed by question id."),
                               fields={"answers": [_("Not an object.")]})
    questions = {q.pk: q for q in SurveyQuestion.objects.filter(brand_id=survey.brand_id, survey=survey)}
    errors: dict[str, list[str]] = {}
    given: dict[int, Any] = {}
    for key, value in answers.items():
        raw = str(key).removeprefix("q")
        if not is_int(raw) or int(raw) not in questions:
            errors[f"q{int(raw)}" if is_int(raw) else "answers"] = [_("Not a question of this survey.")]
            continue
        given[int(raw)] = value
    clean: dict[SurveyQuestion, list[Any]] = {}
    for pk, question in questions.items():
        try:
            clean[question] = answer_clean(question, given.get(pk))
        except ValueError as exc:
            errors[field_name(pk)] = [str(exc)]
    if errors:
        raise ApplicationError("invalid", _("Some answers need another look."), fields=errors)
    return clean


def _authorize(actor: Actor, survey: Survey, customer: Customer) -> None:
    """A customer answers only for themselves; staff, an API key or the system record a customer's answers
    for the brand (staff need MANAGE_CAMPAIGNS)."""
    if isinstance(actor, CustomerActor):
        authorize(actor, None, survey, what="survey")
        if actor.customer.pk != customer.pk:
            raise ApplicationError.not_found("customer")
    else:
        authorize(actor, Perm.MANAGE_CAMPAIGNS, survey, what="survey")


def _check_open(survey: Survey, customer: Customer) -> None:
    if customer.brand_id != survey.brand_id:
        raise ApplicationError.not_found("customer")
    if survey.status != SurveyStatus.ACTIVE:
        raise ApplicationError("survey_closed", _("This survey is not taking answers."), status=409)
    if customer.erased_at is not None:
        raise ApplicationError("customer_erased", _("This customer's data was erased."), status=409)


def _matches(rule: PersonaRule, values: list[Any]) -> bool:
    if rule.op == PersonaOp.CHOICE:
        return rule.value in values
    for v in values:
        if isinstance(v, int | float) and (
            (rule.op == PersonaOp.EQ and v == rule.value) or (rule.op == PersonaOp.GT and v > rule.value)
            or (rule.op == PersonaOp.LT and v < rule.value)):
            return True
    return False


def _apply_rules(customer: Customer, clean: dict[SurveyQuestion, list[Any]]) -> tuple[list[str], dict[str, Any]]:
    """Add the tags and set the attributes that matching rules name, through the crm services."""
    rules = PersonaRule.objects.filter(brand_id=customer.brand_id, question__in=list(clean)).select_related(
        "tag", "attribute").order_by("question__position", "question_id", "id")
    values_by_question = {q.pk: v for q, v in clean.items()}
    tags: list[Tag] = []
    attributes: dict[str, Any] = {}
    for rule in rules:
        if not _matches(rule, values_by_question.get(rule.question_id, [])):
            continue
        if rule.action == PersonaAction.ADD_TAG and rule.tag not in tags:
            tags.append(rule.tag)
        elif rule.action == PersonaAction.SET_ATTRIBUTE:
            attributes[rule.attribute.key] = rule.attribute_value  # a later rule wins
    if tags:
        customer_tags_add(customer=customer, actor=SystemActor.for_brand(customer.brand_id, "survey:persona_rules"),
                          tags=tags)
    if attributes:
        customer_attributes_set(customer=customer,
                                actor=SystemActor.for_brand(customer.brand_id, "survey:persona_rules"),
                                values=attributes)
    return [tag.name for tag in tags], attributes


def survey_answer_submit(*, survey: Survey, customer: Customer, answers: Any, actor: Actor) -> SurveyResponse:
    """Store a customer's answers (replacing earlier ones) and apply the persona rules, all or nothing.
    `actor`: the customer themselves (CustomerActor), or whoever records the answers for them."""
    _authorize(actor, survey, customer)
    _check_open(survey, customer)
    clean = answers_clean(survey=survey, answers=answers)
    if not any(clean.values()):
        raise ApplicationError("invalid", _("Answer at least one question, or skip the survey."),
                               fields={"answers": [_("Nothing was answered.")]})
    now = timezone.now()
    with transaction.atomic():
        # One writer per customer at a time: the response row and its answers are replaced as a whole.
        Customer.objects.select_for_update().filter(pk=customer.pk, brand_id=customer.brand_id).first()
        response, _created = SurveyResponse.objects.get_or_create(
            survey=survey, customer=customer, defaults={"brand_id": survey.brand_id})
        SurveyAnswer.objects.filter(brand_id=survey.brand_id, response=response).delete()
        SurveyAnswer.objects.bulk_create([
            SurveyAnswer(brand_id=survey.brand_id, response=response, question=question, customer=customer,
                         value=v, number=v if question.kind in (QuestionKind.NUMBER, QuestionKind.SCALE) else None)
            for question, values in clean.items() for v in values
        ])
        response.completed_at, response.skipped_at = now, None
        response.save(update_fields=["completed_at", "skipped_at"])
        tags, attributes = _apply_rules(customer, clean)
        event_record(brand=survey.brand, type="survey.answered", payload={
            "survey_id": survey.pk, "customer_id": customer.pk, "response_id": response.pk,
            "answers": {str(q.pk): (v if q.kind == QuestionKind.MULTIPLE else v[0])
                        for q, v in clean.items() if v},
            "tags_added": tags, "attributes_set": attributes,
        })
    customer_mark_active(customer=customer, at=now)
    return response


def survey_skip(*, survey: Survey, customer: Customer, actor: Actor) -> SurveyResponse:
    """Not now: the onboarding flow stops asking. Skipping an answered survey keeps the answers."""
    _authorize(actor, survey, customer)
    _check_open(survey, customer)
    with transaction.atomic():
        response, created = SurveyResponse.objects.get_or_create(
            survey=survey, customer=customer, defaults={"brand_id": survey.brand_id, "skipped_at": timezone.now()})
        if not created and response.completed_at is None and response.skipped_at is None:
            response.skipped_at = timezone.now()
            response.save(update_fields=["skipped_at"])
        if created:
            event_record(brand=survey.brand, type="survey.skipped",
                         payload={"survey_id": survey.pk, "customer_id": customer.pk})
    return response
