"""Writes of the survey builder: surveys, their questions and persona rules.

Every function takes a required `actor` (tenancy.actors); `authorize` decides: a staff member needs
MANAGE_CAMPAIGNS (and an active membership), an API key or the system may. Once a survey has answers its questions keep their meaning:
a question's kind and choices cannot change and it cannot be deleted (adding questions, fixing the
wording, `required` and the order stay possible).
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import Actor, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.roles import Perm

from ..models import (
    AttributeDefinition,
    PersonaAction,
    PersonaOp,
    PersonaRule,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyStatus,
    Tag,
)
from ..profile.services import attribute_value_clean, tag_create
from .answering import number_parse

TITLE_MAX = 120
INTRO_MAX = 1000
QUESTION_MAX = 300
CHOICE_MAX = 100
CHOICES_MAX = 20
QUESTIONS_MAX = 50
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
NUMBER_KINDS = (QuestionKind.NUMBER, QuestionKind.SCALE)


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError("invalid", _("Some fields are not valid."), fields=fields)


def _authorize(actor: Actor, brand_id: int) -> None:
    authorize(actor, Perm.MANAGE_CAMPAIGNS, brand_id, what="survey")


def _clean_survey(title: Any, intro: Any) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title = title.strip() if isinstance(title, str) else ""
    intro = intro.strip() if isinstance(intro, str) else ""
    if not title:
        errors["title"] = [_("This field is required.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("At most %(max)d characters.") % {"max": TITLE_MAX}]
    if len(intro) > INTRO_MAX:
        errors["intro"] = [_("At most %(max)d characters.") % {"max": INTRO_MAX}]
    if errors:
        raise _invalid(errors)
    return title, intro


def _onboarding_taken() -> ApplicationError:
    message = _("Another onboarding survey is already active. Close it first.")
    return ApplicationError("onboarding_taken", message, fields={"is_onboarding": [message]}, status=409)


def _save(survey: Survey) -> Survey:
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError:  # survey_one_active_onboarding, when two activations race
        raise _onboarding_taken()
    return survey


def _check_onboarding_free(survey: Survey) -> None:
    if survey.is_onboarding and survey.status == SurveyStatus.ACTIVE:
        others = Survey.objects.filter(brand_id=survey.brand_id, is_onboarding=True, status=SurveyStatus.ACTIVE)
        if others.exclude(pk=survey.pk).exists():
            raise _onboarding_taken()


def survey_create(*, brand: Brand, actor: Actor, title: str, intro: str = "",
                  is_onboarding: bool = False) -> Survey:
    _authorize(actor, brand.pk)
    title, intro = _clean_survey(title, intro)
    return _save(Survey(brand=brand, title=title, intro=intro, is_onboarding=bool(is_onboarding)))


def survey_update(*, survey: Survey, actor: Actor, title: str | None = None, intro: str | None = None,
                  is_onboarding: bool | None = None) -> Survey:
    _authorize(actor, survey.brand_id)
    title, intro = _clean_survey(survey.title if title is None else title, survey.intro if intro is None else intro)
    survey.title, survey.intro = title, intro
    if is_onboarding is not None:
        survey.is_onboarding = bool(is_onboarding)
    _check_onboarding_free(survey)
    return _save(survey)


def survey_activate(*, survey: Survey, actor: Actor) -> Survey:
    _authorize(actor, survey.brand_id)
    if not SurveyQuestion.objects.filter(brand_id=survey.brand_id, survey=survey).exists():
        raise ApplicationError("survey_empty", _("Add at least one question before activating the survey."),
                               status=409)
    survey.status = SurveyStatus.ACTIVE
    _check_onboarding_free(survey)
    return _save(survey)


def survey_close(*, survey: Survey, actor: Actor) -> Survey:
    """Stop taking answers; the answers and the results stay."""
    _authorize(actor, survey.brand_id)
    survey.status = SurveyStatus.CLOSED
    return _save(survey)


def survey_create_with_questions(*, brand: Brand, actor: Actor, title: str, intro: str = "",
                                 is_onboarding: bool = False, questions: list[dict[str, Any]]) -> Survey:
    """A draft survey and its questions (each as for question_add), all or nothing."""
    _authorize(actor, brand.pk)
    with transaction.atomic():
        survey = survey_create(brand=brand, actor=actor, title=title, intro=intro, is_onboarding=is_onboarding)
        for question in questions:
            question_add(survey=survey, actor=actor, **question)
    return survey


def survey_change(*, survey: Survey, actor: Actor, status: str | None = None,
                  **fields: Any) -> Survey:
    """Edit title, intro or is_onboarding and/or move the status to active or closed, all or nothing."""
    _authorize(actor, survey.brand_id)
    with transaction.atomic():
        if fields:
            survey = survey_update(survey=survey, actor=actor, **fields)
        if status == SurveyStatus.ACTIVE:
            survey = survey_activate(survey=survey, actor=actor)
        elif status == SurveyStatus.CLOSED:
            survey = survey_close(survey=survey, actor=actor)
    return survey


# --- questions ------------------------------------------------------------------------------------


def _clean_choices(kind: str, choices: Any) -> list[str]:
    if kind not in CHOICE_KINDS:
        if choices:
            raise _invalid({"choices": [_("Only choice questions have choices.")]})
        return []
    if isinstance(choices, str):  # a textarea: one choice per line
        choices = choices.splitlines()
    if not isinstance(choices, list | tuple) or not all(isinstance(c, str) for c in choices):
        raise _invalid({"choices": [_("Give a list of choices.")]})
    clean: list[str] = []
    for choice in choices:
        choice = choice.strip()
        if choice and choice not in clean:
            clean.append(choice)
    if len(clean) < 2:
        raise _invalid({"choices": [_("A choice question needs at least two different choices.")]})
    if len(clean) > CHOICES_MAX or any(len(c) > CHOICE_MAX for c in clean):
        raise _invalid({"choices": [_("At most %(max)d choices of up to %(len)d characters.")
                                    % {"max": CHOICES_MAX, "len": CHOICE_MAX}]})
    return clean


def _clean_question(kind: Any, text: Any, choices: Any) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in QuestionKind.values:
        errors["kind"] = [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(QuestionKind.values)}]
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        errors["text"] = [_("This field is required.")]
    elif len(text) > QUESTION_MAX:
        errors["text"] = [_("At most %(max)d characters.") % {"max": QUESTION_MAX}]
    if errors:
        raise _invalid(errors)
    return kind, text, _clean_choices(kind, choices)


def _has_answers(survey: Survey) -> bool:
    return SurveyAnswer.objects.filter(brand_id=survey.brand_id, question__survey=survey).exists()


def _answered_conflict(message: str) -> ApplicationError:
    return ApplicationError("survey_has_answers", message, status=409)


def question_add(*, survey: Survey, actor: Actor, kind: str, text: str, choices: Any = None,
                 required: bool = True) -> SurveyQuestion:
    _authorize(actor, survey.brand_id)
    kind, text, choices = _clean_question(kind, text, choices)
    with transaction.atomic():
        # Lock the survey so concurrent adds get distinct positions.
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        questions = SurveyQuestion.objects.filter(brand_id=survey.brand_id, survey=survey)
        if questions.count() >= QUESTIONS_MAX:
            raise ApplicationError("invalid", _("A survey has at most %(max)d questions.") % {"max": QUESTIONS_MAX})
        last = questions.aggregate(last=Max("position"))["last"]
        return SurveyQuestion.objects.create(brand_id=survey.brand_id, survey=survey, kind=kind, text=text,
                                             choices=choices, required=bool(required),
                                             position=0 if last is None else last + 1)


def question_update(*, question: SurveyQuestion, actor: Actor, text: str | None = None,
                    kind: str | None = None, choices: Any = None, required: bool | None = None) -> SurveyQuestion:
    """Change a question. With answers stored, its kind and choices are fixed (the answers would lose meaning)."""
    _authorize(actor, question.brand_id)
    new_kind = question.kind if kind is None else kind
    new_choices = question.choices if choices is None else choices
    new_kind, new_text, new_choices = _clean_question(new_kind, question.text if text is None else text, new_choices)
    with transaction.atomic():
        if (new_kind != question.kind or new_choices != question.choices) and _has_answers(question.survey):
            raise _answered_conflict(_("Customers already answered this survey: its questions' kind and choices "
                                       "can no longer change. Add a new question instead."))
        if new_kind != question.kind or set(new_choices) != set(question.choices):
            # Rules on a choice that no longer exists, or of the wrong kind, would never fire: drop them.
            rules = PersonaRule.objects.filter(brand_id=question.brand_id, question=question)
            stale = [r.pk for r in rules if new_kind != question.kind
                     or (r.op == PersonaOp.CHOICE and r.value not in new_choices)]
            PersonaRule.objects.filter(pk__in=stale).delete()
        question.kind, question.text, question.choices = new_kind, new_text, new_choices
        if required is not None:
            question.required = bool(required)
        question.save()
    return question


def question_delete(*, question: SurveyQuestion, actor: Actor) -> None:
    _authorize(actor, question.brand_id)
    with transaction.atomic():
        if SurveyAnswer.objects.filter(brand_id=question.brand_id, question=question).exists():
            raise _answered_conflict(_("Customers already answered this question, so it cannot be deleted. "
                                       "Close the survey and start a new one instead."))
        question.delete()


def question_move(*, question: SurveyQuestion, actor: Actor, direction: str) -> SurveyQuestion:
    """Swap a question with its neighbour ("up" or "down"); positions are renumbered 0..n-1."""
    _authorize(actor, question.brand_id)
    if direction not in ("up", "down"):
        raise _invalid({"direction": [_("Choose up or down.")]})
    with transaction.atomic():
        Survey.objects.select_for_update().filter(pk=question.survey_id).first()
        ordered = list(SurveyQuestion.objects.filter(brand_id=question.brand_id, survey_id=question.survey_id))
        index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        _renumber(ordered)
    return question


def questions_reorder(*, survey: Survey, actor: Actor, question_ids: list[int]) -> None:
    """Put the survey's questions in this order; the list must name each question once."""
    _authorize(actor, survey.brand_id)
    with transaction.atomic():
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        by_id = {q.pk: q for q in SurveyQuestion.objects.filter(brand_id=survey.brand_id, survey=survey)}
        if not isinstance(question_ids, list) or sorted(question_ids) != sorted(by_id):
            raise _invalid({"questions": [_("List every question of the survey exactly once.")]})
        _renumber([by_id[pk] for pk in question_ids])


def _renumber(ordered: list[SurveyQuestion]) -> None:
    for position, q in enumerate(ordered):
        q.position = position
    SurveyQuestion.objects.bulk_update(ordered, ["position"])


# --- persona rules ----------------------------------------------------------------------------------


def _clean_condition(question: SurveyQuestion, op: Any, value: Any) -> tuple[str, Any]:
    if question.kind in CHOICE_KINDS:
        if op not in (None, "", PersonaOp.CHOICE):
            raise _invalid({"op": [_("A choice question's rule fires on a choice.")]})
        if not isinstance(value, str) or value.strip() not in question.choices:
            raise _invalid({"value": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(question.choices)}]})
        return PersonaOp.CHOICE, value.strip()
    if question.kind in NUMBER_KINDS:
        if op not in (PersonaOp.EQ, PersonaOp.GT, PersonaOp.LT):
            raise _invalid({"op": [_("Choose eq, gt or lt.")]})
        number = number_parse(value)
        if number is None:
            raise _invalid({"value": [_("Enter a number.")]})
        return op, number
    raise _invalid({"question": [_("Rules work on choice, number and scale questions, not on text.")]})


def rule_add(*, question: SurveyQuestion, actor: Actor, action: str, op: str | None = None,
             value: Any = None, tag_name: str = "", attribute_key: str = "", attribute_value: Any = None
             ) -> PersonaRule:
    """A persona rule. add_tag creates the tag when the brand does not have it yet; set_attribute needs a
    defined attribute and a value that fits its type."""
    _authorize(actor, question.brand_id)
    op, value = _clean_condition(question, op, value)
    rule = PersonaRule(brand_id=question.brand_id, question=question, op=op, value=value, action=action)
    with transaction.atomic():
        if action == PersonaAction.ADD_TAG:
            name = tag_name.strip() if isinstance(tag_name, str) else ""
            rule.tag = Tag.objects.filter(brand_id=question.brand_id, name=name).first() if name else None
            if rule.tag is None:
                try:
                    rule.tag = tag_create(brand=question.brand, actor=actor, name=name)
                except ApplicationError as exc:
                    raise _invalid({"tag_name": exc.fields.get("name", [exc.message])})
        elif action == PersonaAction.SET_ATTRIBUTE:
            key = attribute_key.strip() if isinstance(attribute_key, str) else ""
            definition = AttributeDefinition.objects.filter(brand_id=question.brand_id, key=key).first()
            if definition is None:
                raise _invalid({"attribute_key": [_("Unknown attribute. Define it first.")]})
            try:
                rule.attribute_value = attribute_value_clean(definition=definition, value=attribute_value)
            except ValueError as exc:
                raise _invalid({"attribute_value": [str(exc)]})
            rule.attribute = definition
        else:
            raise _invalid({"action": [_("Choose add_tag or set_attribute.")]})
        rule.save()
    return rule


def rule_delete(*, rule: PersonaRule, actor: Actor) -> None:
    _authorize(actor, rule.brand_id)
    rule.delete()
