"""Reads of surveys: lists, one survey with its questions, what a customer still has to answer, and results.

survey_results costs the same handful of aggregate queries however many answers (or questions) there are.
"""

from collections import defaultdict
from typing import Any

from django.db.models import Avg, Count, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber

from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.selectors import brand_get_object

from ..models import (
    Customer,
    PersonaRule,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)

TEXT_ANSWERS_SHOWN = 20
NUMBER_VALUES_SHOWN = 10


def _count(queryset) -> Subquery:
    """A correlated COUNT (a subquery per column, not a join that multiplies questions by responses)."""
    return Subquery(queryset.order_by().values("survey_id").annotate(n=Count("id")).values("n")[:1])


def survey_list(*, brand: Brand) -> QuerySet[Survey]:
    questions = SurveyQuestion.objects.filter(brand=brand, survey_id=OuterRef("pk"))
    answered = SurveyResponse.objects.filter(brand=brand, survey_id=OuterRef("pk"), completed_at__isnull=False)
    return Survey.objects.filter(brand=brand).annotate(
        question_count=Coalesce(_count(questions), 0), answered_count=Coalesce(_count(answered), 0))


def survey_get(*, brand: Brand, survey_id) -> Survey:
    qs = Survey.objects.filter(brand=brand).prefetch_related(
        Prefetch("questions", queryset=SurveyQuestion.objects.filter(brand=brand).prefetch_related(
            Prefetch("rules", queryset=PersonaRule.objects.filter(brand=brand).select_related("tag", "attribute")))))
    return brand_get_object(qs, brand=brand, what="survey", pk=survey_id)


def question_get(*, survey: Survey, question_id) -> SurveyQuestion:
    qs = SurveyQuestion.objects.filter(brand_id=survey.brand_id, survey=survey).select_related("survey")
    return brand_get_object(qs, brand=survey.brand, what="question", pk=question_id)


def rule_get(*, survey: Survey, rule_id) -> PersonaRule:
    qs = PersonaRule.objects.filter(brand_id=survey.brand_id, question__survey=survey)
    return brand_get_object(qs, brand=survey.brand, what="rule", pk=rule_id)


def survey_question_list(*, brand: Brand) -> QuerySet[SurveyQuestion]:
    """Every question of the brand's surveys, newest survey first (the segment builder's reference)."""
    return (SurveyQuestion.objects.filter(brand=brand).select_related("survey")
            .order_by("-survey__created_at", "survey_id", "position", "id"))


def survey_active_list(*, brand: Brand) -> QuerySet[Survey]:
    return Survey.objects.filter(brand=brand, status=SurveyStatus.ACTIVE).order_by("title", "id")


def onboarding_survey_pending(*, brand: Brand, customer: Customer) -> Survey | None:
    """The brand's active onboarding survey, if this customer has neither answered nor skipped it."""
    done = SurveyResponse.objects.filter(brand=brand, customer=customer).values("survey_id")
    return Survey.objects.filter(brand=brand, is_onboarding=True, status=SurveyStatus.ACTIVE).exclude(pk__in=done).first()


def survey_for_customer(*, user, survey_id) -> tuple[Survey, Customer] | None:
    """The survey and the signed-in person's customer record in its brand; None if they are not its customer."""
    if not user.is_authenticated:
        return None
    survey = Survey.objects.select_related("brand").filter(pk=survey_id).first()
    if survey is None:
        return None
    customer = Customer.objects.filter(brand_id=survey.brand_id, user=user, erased_at__isnull=True).first()
    return (survey, customer) if customer is not None else None


def survey_questions(*, survey: Survey) -> list[SurveyQuestion]:
    return list(SurveyQuestion.objects.filter(brand_id=survey.brand_id, survey=survey))


def customer_response(*, survey: Survey, customer: Customer) -> SurveyResponse | None:
    return SurveyResponse.objects.filter(brand_id=survey.brand_id, survey=survey, customer=customer).first()


def response_answers(*, response: SurveyResponse) -> dict[int, Any]:
    """question id -> the answer as given (a list for several-choices questions)."""
    answers: dict[int, Any] = {}
    for a in SurveyAnswer.objects.filter(brand_id=response.brand_id, response=response).select_related("question"):
        if a.question.kind == QuestionKind.MULTIPLE:
            answers.setdefault(a.question_id, []).append(a.value)
        else:
            answers[a.question_id] = a.value
    return answers


def customer_survey_answers(*, brand: Brand, customer: Customer) -> list[dict]:
    """Every survey this customer answered, with question texts and answers (for the profile page)."""
    responses = list(SurveyResponse.objects.filter(brand=brand, customer=customer, completed_at__isnull=False)
                     .select_related("survey").order_by("-completed_at"))
    answers = (SurveyAnswer.objects.filter(brand=brand, customer=customer, response__in=responses)
               .select_related("question").order_by("question__position", "question_id", "id"))
    by_response: dict[int, dict[int, dict]] = defaultdict(dict)
    for a in answers:
        row = by_response[a.response_id].setdefault(a.question_id, {"question": a.question, "values": []})
        row["values"].append(a.value)
    return [{"response": r, "survey": r.survey, "answers": list(by_response[r.pk].values())} for r in responses]


def survey_results(*, survey: Survey) -> dict:
    """Per question: choice counts and percentages, number/scale average and distribution, latest texts."""
    brand_id = survey.brand_id
    questions = list(SurveyQuestion.objects.filter(brand_id=brand_id, survey=survey))
    totals = SurveyResponse.objects.filter(brand_id=brand_id, survey=survey).aggregate(
        answered=Count("id", filter=Q(completed_at__isnull=False)),
        skipped=Count("id", filter=Q(completed_at__isnull=True, skipped_at__isnull=False)))
    answers = SurveyAnswer.objects.filter(brand_id=brand_id, question__survey=survey)
    respondents = dict(answers.values("question_id").annotate(n=Count("response_id", distinct=True))
                       .values_list("question_id", "n"))
    counts: dict[int, dict] = defaultdict(dict)
    choice_kinds = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SCALE)
    for row in (answers.filter(question__kind__in=choice_kinds).values("question_id", "value")
                .annotate(n=Count("id")).order_by()):
        counts[row["question_id"]][_key(row["value"])] = row["n"]
    stats = {row["question_id"]: row for row in answers.filter(number__isnull=False).values("question_id").annotate(
        average=Avg("number"), minimum=Min("number"), maximum=Max("number")).order_by()}
    common: dict[int, list] = defaultdict(list)
    for row in (answers.filter(question__kind=QuestionKind.NUMBER).values("question_id", "number")
                .annotate(n=Count("id")).order_by("question_id", "-n", "number")[:NUMBER_VALUES_SHOWN * 50]):
        if len(common[row["question_id"]]) < NUMBER_VALUES_SHOWN:
            common[row["question_id"]].append({"value": _plain(row["number"]), "count": row["n"]})
    texts: dict[int, list] = defaultdict(list)
    latest = (answers.filter(question__kind=QuestionKind.TEXT)
              .annotate(rank=Window(RowNumber(), partition_by=F("question_id"), order_by=[F("created_at").desc(),
                                                                                          F("id").desc()]))
              .filter(rank__lte=TEXT_ANSWERS_SHOWN).select_related("customer").order_by("question_id", "rank"))
    for a in latest:
        texts[a.question_id].append({"text": a.value, "customer_id": a.customer_id, "customer": a.customer.name,
                                     "created_at": a.created_at})
    rows = []
    for q in questions:
        n = respondents.get(q.pk, 0)
        row: dict[str, Any] = {"question": q, "id": q.pk, "kind": q.kind, "text": q.text, "respondents": n}
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            row["choices"] = [_share(c, counts[q.pk].get(_key(c), 0), n) for c in q.choices]
        elif q.kind in (QuestionKind.NUMBER, QuestionKind.SCALE):
            s = stats.get(q.pk, {})
            row["average"] = round(s["average"], 2) if s.get("average") is not None else None
            row["minimum"], row["maximum"] = _plain(s.get("minimum")), _plain(s.get("maximum"))
            if q.kind == QuestionKind.SCALE:
                row["distribution"] = [_share(v, counts[q.pk].get(_key(v), 0), n) for v in range(1, 6)]
            else:
                row["distribution"] = [{**d, "percent": _percent(d["count"], n)} for d in common[q.pk]]
        else:
            row["latest"] = texts[q.pk]
        rows.append(row)
    return {"survey": survey, "answered": totals["answered"], "skipped": totals["skipped"], "questions": rows}


def _key(value: Any) -> str:
    """One key for a JSON value whatever the database gave back (3 and 3.0 are the same answer)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


def _plain(number):
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _percent(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def _share(value, count: int, total: int) -> dict:
    return {"value": value, "count": count, "percent": _percent(count, total)}
