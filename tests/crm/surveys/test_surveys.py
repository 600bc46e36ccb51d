"""Onboarding surveys -> personas: builder services, answering, persona rules, segments, results,
the API, the dashboard pages, the customer page after joining, and the survey card in chat."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import (
    AttributeDefinition,
    Customer,
    CustomerTag,
    PersonaRule,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    Tag,
)
from crm.segments import selectors as segments
from crm.surveys import answering, selectors, services
from privtraffic.events.models import Event
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def survey(brand):
    """An active onboarding survey with one question of every kind and a few persona rules."""
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin", type="choice",
                                       choices=["oily", "dry", "combination"])
    AttributeDefinition.objects.create(brand=brand, key="budget", label="Budget", type="number")
    s = services.survey_create(brand=brand, actor=factories.system(brand), title="Welcome!", intro="Three quick questions.",
                               is_onboarding=True)
    s.q_skin = services.question_add(survey=s, actor=factories.system(s.brand_id), kind="single", text="Your skin?",
                                     choices=["Oily", "Dry", "Combination"])
    s.q_goals = services.question_add(survey=s, actor=factories.system(s.brand_id), kind="multiple", text="Your goals?",
                                      choices=["Hydration", "Anti-age", "Glow"], required=False)
    s.q_note = services.question_add(survey=s, actor=factories.system(s.brand_id), kind="text", text="Anything else?", required=False)
    s.q_spend = services.question_add(survey=s, actor=factories.system(s.brand_id), kind="number", text="Monthly budget?", required=False)
    s.q_love = services.question_add(survey=s, actor=factories.system(s.brand_id), kind="scale", text="How much do you love us?")
    services.rule_add(question=s.q_skin, actor=factories.system(s.q_skin.brand_id), value="Oily", action="add_tag", tag_name="oily-skin")
    services.rule_add(question=s.q_skin, actor=factories.system(s.q_skin.brand_id), value="Oily", action="set_attribute",
                      attribute_key="skin_type", attribute_value="oily")
    services.rule_add(question=s.q_goals, actor=factories.system(s.q_goals.brand_id), value="Anti-age", action="add_tag", tag_name="anti-age")
    services.rule_add(question=s.q_love, actor=factories.system(s.q_love.brand_id), op="gt", value=3, action="add_tag", tag_name="fan")
    services.rule_add(question=s.q_spend, actor=factories.system(s.q_spend.brand_id), op="gt", value="500", action="set_attribute",
                      attribute_key="budget", attribute_value="500")
    services.survey_activate(survey=s, actor=factories.system(s.brand_id))
    return s


def good(s, **overrides):
    answers = {str(s.q_skin.pk): "Oily", str(s.q_goals.pk): ["Glow", "Anti-age"], str(s.q_note.pk): "Loves roses",
               str(s.q_spend.pk): 800, str(s.q_love.pk): 5}
    answers.update({str(k): v for k, v in overrides.items()})
    return answers


def tags_of(customer):
    return sorted(Tag.objects.filter(brand_id=customer.brand_id, customers=customer).values_list("name", flat=True))


def fields_of(survey, customer, answers) -> dict:
    with pytest.raises(ApplicationError) as info:
        answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers=answers)
    assert info.value.code == "invalid" and info.value.status == 400
    return info.value.fields


# --- answering: validation of every kind, nothing changes on a bad answer -------------------------------


@pytest.mark.parametrize("question, value, message", [
    ("q_skin", "Normal", "Choose one of the options."),
    ("q_skin", ["Oily"], "Choose one of the options."),
    ("q_skin", "", "Please answer this question."),
    ("q_skin", None, "Please answer this question."),
    ("q_goals", ["Glow", "Sleep"], "“Sleep” is not one of the options."),
    ("q_goals", {"a": 1}, "Choose from the options."),
    ("q_spend", "lots", "Enter a number."),
    ("q_spend", True, "Enter a number."),
    ("q_spend", "NaN", "Enter a number."),
    ("q_love", 0, "Choose a number from 1 to 5."),
    ("q_love", 6, "Choose a number from 1 to 5."),
    ("q_love", 3.5, "Choose a number from 1 to 5."),
    ("q_love", "x", "Choose a number from 1 to 5."),
    ("q_note", "x" * 1001, "At most 1000 characters."),
    ("q_note", 42, "Type your answer."),
])
def test_each_bad_answer_is_refused_by_field_and_changes_nothing(survey, brand, question, value, message):
    customer = factories.make_customer(brand)
    events = Event.objects.count()
    q = getattr(survey, question)
    fields = fields_of(survey, customer, good(survey, **{str(q.pk): value}))
    assert fields == {f"q{q.pk}": [message]}
    assert not SurveyResponse.objects.filter(customer=customer).exists()
    assert not SurveyAnswer.objects.filter(customer=customer).exists()
    assert tags_of(customer) == [] and Customer.objects.get(pk=customer.pk).attributes == {}
    assert Event.objects.count() == events


def test_missing_required_answers_are_all_reported(survey, brand):
    customer = factories.make_customer(brand)
    fields = fields_of(survey, customer, {str(survey.q_note.pk): "hi"})
    assert set(fields) == {f"q{survey.q_skin.pk}", f"q{survey.q_love.pk}"}


def test_unknown_question_and_another_surveys_question_are_refused(survey, brand, other_brand):
    customer = factories.make_customer(brand)
    other = services.survey_create(brand=brand, actor=factories.system(brand), title="Other")
    other_q = services.question_add(survey=other, actor=factories.system(other.brand_id), kind="text", text="Hm?")
    foreign = services.survey_create(brand=other_brand, actor=factories.system(other_brand), title="Theirs")
    foreign_q = services.question_add(survey=foreign, actor=factories.system(foreign.brand_id), kind="text", text="Hm?")
    fields = fields_of(survey, customer, good(survey, **{str(other_q.pk): "x", str(foreign_q.pk): "y",
                                                         "999999": "z"}))
    assert fields == {f"q{other_q.pk}": ["Not a question of this survey."],
                      f"q{foreign_q.pk}": ["Not a question of this survey."], "q999999": ["Not a question of this survey."]}
    assert fields_of(survey, customer, {"abc": 1}) == {
        "answers": ["Not a question of this survey."], f"q{survey.q_skin.pk}": ["Please answer this question."],
        f"q{survey.q_love.pk}": ["Please answer this question."]}
    assert fields_of(survey, customer, ["not", "a", "dict"]) == {"answers": ["Not an object."]}
    assert not SurveyAnswer.objects.exists()


def test_answers_are_stored_and_rules_add_tags_and_set_attributes(survey, brand):
    customer = factories.make_customer(brand)
    before = Event.objects.filter(type="survey.answered").count()
    response = answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers=good(survey))
    assert response.completed_at is not None and response.skipped_at is None
    assert selectors.response_answers(response=response) == {
        survey.q_skin.pk: "Oily", survey.q_goals.pk: ["Anti-age", "Glow"], survey.q_note.pk: "Loves roses",
        survey.q_spend.pk: 800, survey.q_love.pk: 5}
    assert tags_of(customer) == ["anti-age", "fan", "oily-skin"]
    assert Customer.objects.get(pk=customer.pk).attributes == {"skin_type": "oily", "budget": 500}
    event = Event.objects.filter(type="survey.answered").latest("created_at")
    assert Event.objects.filter(type="survey.answered").count() == before + 1
    assert event.payload["customer_id"] == customer.pk and event.payload["survey_id"] == survey.pk
    assert event.payload["answers"][str(survey.q_goals.pk)] == ["Anti-age", "Glow"]
    assert sorted(event.payload["tags_added"]) == ["anti-age", "fan", "oily-skin"]
    assert Event.objects.filter(type="customer.updated", payload__customer_id=customer.pk).exists()


def test_rules_never_remove_tags_and_answering_again_replaces_answers(survey, brand):
    customer = factories.make_customer(brand)
    vip = Tag.objects.create(brand=brand, name="vip")
    CustomerTag.objects.create(brand=brand, customer=customer, tag=vip)
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers=good(survey))
    assert tags_of(customer) == ["anti-age", "fan", "oily-skin", "vip"]
    # Answer again differently: the answers are replaced, earlier tags stay, no rule removes anything.
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers={
        str(survey.q_skin.pk): "Dry", str(survey.q_love.pk): 2})
    assert SurveyResponse.objects.filter(survey=survey, customer=customer).count() == 1
    assert sorted(SurveyAnswer.objects.filter(customer=customer).values_list("value", flat=True), key=str) == [2, "Dry"]
    assert tags_of(customer) == ["anti-age", "fan", "oily-skin", "vip"]


def test_only_an_active_survey_takes_answers_and_skip_is_recorded(survey, brand, other_brand):
    customer = factories.make_customer(brand)
    response = answering.survey_skip(survey=survey, actor=factories.system(survey.brand_id), customer=customer)
    assert response.skipped_at is not None and response.completed_at is None
    assert selectors.onboarding_survey_pending(brand=brand, customer=customer) is None
    # Answering after skipping is still possible (e.g. from the chat card).
    response = answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers=good(survey))
    assert response.completed_at is not None and response.skipped_at is None
    services.survey_close(survey=survey, actor=factories.system(survey.brand_id))
    with pytest.raises(ApplicationError) as info:
        answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers=good(survey))
    assert info.value.code == "survey_closed" and info.value.status == 409
    stranger = factories.make_customer(other_brand)
    services.survey_activate(survey=survey, actor=factories.system(survey.brand_id))
    with pytest.raises(ApplicationError) as info:
        answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=stranger, answers=good(survey))
    assert info.value.status == 404


# --- builder rules --------------------------------------------------------------------------------------


def test_one_active_onboarding_survey_per_brand(survey, brand, other_brand):
    second = services.survey_create(brand=brand, actor=factories.system(brand), title="Second", is_onboarding=True)
    services.question_add(survey=second, actor=factories.system(second.brand_id), kind="text", text="?")
    with pytest.raises(ApplicationError) as info:
        services.survey_activate(survey=second, actor=factories.system(second.brand_id))
    assert info.value.code == "onboarding_taken" and info.value.status == 409
    assert Survey.objects.get(pk=second.pk).status == "draft"
    # Another brand is not affected; closing the first frees the slot.
    theirs = services.survey_create(brand=other_brand, actor=factories.system(other_brand), title="T", is_onboarding=True)
    services.question_add(survey=theirs, actor=factories.system(theirs.brand_id), kind="text", text="?")
    services.survey_activate(survey=theirs, actor=factories.system(theirs.brand_id))
    services.survey_close(survey=survey, actor=factories.system(survey.brand_id))
    assert services.survey_activate(survey=second, actor=factories.system(second.brand_id)).status == "active"


def test_activating_needs_a_question(brand):
    empty = services.survey_create(brand=brand, actor=factories.system(brand), title="Empty")
    with pytest.raises(ApplicationError) as info:
        services.survey_activate(survey=empty, actor=factories.system(empty.brand_id))
    assert info.value.code == "survey_empty"


@pytest.mark.parametrize("kwargs, field", [
    ({"kind": "single", "text": "Q", "choices": ["Only one"]}, "choices"),
    ({"kind": "single", "text": "Q", "choices": "A\nA"}, "choices"),
    ({"kind": "text", "text": "Q", "choices": ["A", "B"]}, "choices"),
    ({"kind": "color", "text": "Q"}, "kind"),
    ({"kind": "number", "text": "  "}, "text"),
])
def test_bad_questions_are_refused(brand, kwargs, field):
    s = services.survey_create(brand=brand, actor=factories.system(brand), title="S")
    with pytest.raises(ApplicationError) as info:
        services.question_add(survey=s, actor=factories.system(s.brand_id), **kwargs)
    assert field in info.value.fields


def test_questions_with_answers_keep_kind_and_choices(survey, brand):
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=factories.make_customer(brand), answers=good(survey))
    with pytest.raises(ApplicationError) as info:
        services.question_update(question=survey.q_skin, actor=factories.system(survey.q_skin.brand_id), choices=["Oily", "Dry"])
    assert info.value.code == "survey_has_answers" and info.value.status == 409
    with pytest.raises(ApplicationError) as info:
        services.question_delete(question=survey.q_skin, actor=factories.system(survey.q_skin.brand_id))
    assert info.value.code == "survey_has_answers"
    # Wording, required and order may still change; a new question may be added.
    services.question_update(question=survey.q_skin, actor=factories.system(survey.q_skin.brand_id), text="Your skin type?")
    services.question_move(question=survey.q_love, actor=factories.system(survey.q_love.brand_id), direction="up")
    services.question_add(survey=survey, actor=factories.system(survey.brand_id), kind="text", text="New", required=False)
    texts = [q.text for q in selectors.survey_questions(survey=survey)]
    assert texts == ["Your skin type?", "Your goals?", "Anything else?", "How much do you love us?",
                     "Monthly budget?", "New"]


def test_changing_choices_without_answers_drops_stale_rules(survey):
    services.question_update(question=survey.q_skin, actor=factories.system(survey.q_skin.brand_id), choices=["Dry", "Combination"])
    assert not PersonaRule.objects.filter(question=survey.q_skin).exists()


@pytest.mark.parametrize("kwargs, field", [
    ({"question": "q_skin", "value": "Normal", "action": "add_tag", "tag_name": "x"}, "value"),
    ({"question": "q_skin", "value": "Oily", "action": "add_tag", "tag_name": "x" * 51}, "tag_name"),
    ({"question": "q_skin", "value": "Oily", "action": "add_tag", "tag_name": ""}, "tag_name"),
    ({"question": "q_skin", "value": "Oily", "action": "set_attribute", "attribute_key": "nope",
      "attribute_value": "x"}, "attribute_key"),
    ({"question": "q_skin", "value": "Oily", "action": "set_attribute", "attribute_key": "skin_type",
      "attribute_value": "greasy"}, "attribute_value"),
    ({"question": "q_skin", "value": "Oily", "action": "set_attribute", "attribute_key": "budget",
      "attribute_value": "lots"}, "attribute_value"),
    ({"question": "q_love", "op": "gt", "value": "many", "action": "add_tag", "tag_name": "x"}, "value"),
    ({"question": "q_love", "op": "between", "value": 3, "action": "add_tag", "tag_name": "x"}, "op"),
    ({"question": "q_note", "value": "x", "action": "add_tag", "tag_name": "x"}, "question"),
    ({"question": "q_skin", "value": "Oily", "action": "explode"}, "action"),
])
def test_bad_rules_are_refused(survey, kwargs, field):
    kwargs = dict(kwargs)
    question = getattr(survey, kwargs.pop("question"))
    count = PersonaRule.objects.count()
    with pytest.raises(ApplicationError) as info:
        services.rule_add(question=question, actor=factories.system(question.brand_id), **kwargs)
    assert field in info.value.fields
    assert PersonaRule.objects.count() == count
    assert not Tag.objects.filter(name="x").exists()


def test_a_rep_cannot_manage_surveys(survey, brand):
    rep = factories.make_member(brand, Role.REP)
    marketer = factories.make_member(brand, Role.MARKETER)
    with pytest.raises(ApplicationError) as info:
        services.survey_create(brand=brand, actor=rep, title="Mine")
    assert info.value.status == 403
    with pytest.raises(ApplicationError):
        services.question_add(survey=survey, actor=rep, kind="text", text="?")
    assert services.survey_create(brand=brand, actor=marketer, title="Marketing").pk


# --- segments by survey answer --------------------------------------------------------------------------


def test_segment_by_survey_answer(survey, brand):
    ann, bob, cat = (factories.make_customer(brand, name=n) for n in ("Ann", "Bob", "Cat"))
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=ann, answers=good(survey))
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=bob, answers={
        str(survey.q_skin.pk): "Dry", str(survey.q_goals.pk): ["Glow"], str(survey.q_love.pk): 2,
        str(survey.q_spend.pk): "800"})

    def names(**condition):
        definition = segments.segment_definition_validate(
            brand=brand, definition={"all": [{"field": "survey_answer", **condition}]})
        return sorted(c.name for c in segments.segment_queryset(brand=brand, definition=definition))

    assert names(question=survey.q_skin.pk, op="eq", value="Oily") == ["Ann"]
    assert names(question=str(survey.q_goals.pk), op="includes", value="Glow") == ["Ann", "Bob"]
    assert names(question=survey.q_goals.pk, op="includes", value="Anti-age") == ["Ann"]
    assert names(question=survey.q_love.pk, op="eq", value="2") == ["Bob"]
    assert names(question=survey.q_spend.pk, op="eq", value=800) == ["Ann", "Bob"]
    assert names(question=survey.q_note.pk, op="eq", value="Loves roses") == ["Ann"]
    assert cat.name not in names(question=survey.q_skin.pk, op="eq", value="Dry")


@pytest.mark.parametrize("condition, message", [
    ({"op": "eq", "value": "Normal"}, "Choose one of the options."),
    ({"op": "includes", "value": "Oily"}, "use 'includes' for several-choices questions"),
    ({"question": "abc", "op": "eq", "value": "Oily"}, "question must be a whole number"),
    ({"op": "between", "value": "Oily"}, "unknown op 'between'"),
])
def test_bad_survey_answer_conditions(survey, brand, condition, message):
    condition = {"field": "survey_answer", "question": survey.q_skin.pk, **condition}
    with pytest.raises(ApplicationError) as info:
        segments.segment_definition_validate(brand=brand, definition={"all": [condition]})
    assert info.value.code == "invalid"
    assert message in info.value.fields["definition"][0]


def test_scale_condition_out_of_range_and_foreign_question(survey, brand, other_brand):
    with pytest.raises(ApplicationError) as info:
        segments.segment_definition_validate(brand=brand, definition={"all": [
            {"field": "survey_answer", "question": survey.q_love.pk, "op": "eq", "value": 6}]})
    assert "from 1 to 5" in info.value.fields["definition"][0]
    with pytest.raises(ApplicationError) as info:
        segments.segment_definition_validate(brand=other_brand, definition={"all": [
            {"field": "survey_answer", "question": survey.q_skin.pk, "op": "eq", "value": "Oily"}]})
    assert info.value.status == 404


# --- results --------------------------------------------------------------------------------------------


def test_results_figures(survey, brand):
    for answers in (good(survey), good(survey, **{str(survey.q_skin.pk): "Dry", str(survey.q_love.pk): 2,
                                                   str(survey.q_goals.pk): ["Glow"], str(survey.q_spend.pk): 100}),
                    {str(survey.q_skin.pk): "Oily", str(survey.q_love.pk): 5}):
        answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=factories.make_customer(brand), answers=answers)
    answering.survey_skip(survey=survey, actor=factories.system(survey.brand_id), customer=factories.make_customer(brand))
    results = selectors.survey_results(survey=survey)
    assert (results["answered"], results["skipped"]) == (3, 1)
    rows = {r["id"]: r for r in results["questions"]}
    skin = rows[survey.q_skin.pk]
    assert skin["respondents"] == 3
    assert [(c["value"], c["count"], c["percent"]) for c in skin["choices"]] == [
        ("Oily", 2, 66.7), ("Dry", 1, 33.3), ("Combination", 0, 0.0)]
    goals = rows[survey.q_goals.pk]
    assert goals["respondents"] == 2
    assert [(c["value"], c["count"], c["percent"]) for c in goals["choices"]] == [
        ("Hydration", 0, 0.0), ("Anti-age", 1, 50.0), ("Glow", 2, 100.0)]
    love = rows[survey.q_love.pk]
    assert love["average"] == 4.0 and (love["minimum"], love["maximum"]) == (2, 5)
    assert [d["count"] for d in love["distribution"]] == [0, 1, 0, 0, 2]
    spend = rows[survey.q_spend.pk]
    assert spend["average"] == 450.0 and spend["respondents"] == 2
    assert {(d["value"], d["count"]) for d in spend["distribution"]} == {(800, 1), (100, 1)}
    note = rows[survey.q_note.pk]
    assert [t["text"] for t in note["latest"]] == ["Loves roses", "Loves roses"]


def test_results_cost_the_same_queries_however_many_answers(survey, brand):
    def queries():
        fresh = Survey.objects.get(pk=survey.pk)
        with CaptureQueriesContext(connection) as ctx:
            selectors.survey_results(survey=fresh)
        return len(ctx)

    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=factories.make_customer(brand), answers=good(survey))
    few = queries()
    for _i in range(12):
        answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=factories.make_customer(brand), answers=good(survey))
    assert queries() == few <= 8


# --- API ------------------------------------------------------------------------------------------------


def test_api_create_activate_answer_and_read_results(api, brand):
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin", type="text")
    response = api.post("/api/v1/surveys/", {"title": "Onboarding", "is_onboarding": True, "questions": [
        {"kind": "single", "text": "Skin?", "choices": ["Oily", "Dry"]},
        {"kind": "scale", "text": "Love?", "required": False}]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and [q["kind"] for q in body["questions"]] == ["single", "scale"]
    survey_id, q_skin, q_love = body["id"], body["questions"][0]["id"], body["questions"][1]["id"]
    response = api.patch(f"/api/v1/surveys/{survey_id}/", {"status": "active"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "active"
    customer = factories.make_customer(brand)
    url = f"/api/v1/surveys/{survey_id}/responses/"
    error = api_error(api.post(url, {"customer": customer.pk, "answers": {str(q_skin): "Normal",
                                                                          str(q_love): 9}}, format="json"),
                      400, "invalid")
    assert set(error["fields"]) == {f"q{q_skin}", f"q{q_love}"}
    assert not SurveyAnswer.objects.exists()
    response = api.post(url, {"customer": customer.pk, "answers": {str(q_skin): "Oily", str(q_love): 4}},
                        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["answers"] == {str(q_skin): "Oily", str(q_love): 4}
    results = api.get(f"/api/v1/surveys/{survey_id}/results/").json()
    assert results["answered"] == 1 and results["skipped"] == 0
    assert results["questions"][0]["choices"][0] == {"value": "Oily", "count": 1, "percent": 100.0}
    assert results["questions"][1]["average"] == 4.0
    listing = api.get("/api/v1/surveys/").json()
    assert [s["id"] for s in listing["results"]] == [survey_id] and listing["results"][0]["answered_count"] == 1
    assert "next" in listing and "previous" in listing


def test_api_errors_and_cross_brand_ids(api, brand, other_brand, survey):
    foreign = services.survey_create(brand=other_brand, actor=factories.system(other_brand), title="Theirs")
    stranger = factories.make_customer(other_brand)
    for url in (f"/api/v1/surveys/{foreign.pk}/", f"/api/v1/surveys/{foreign.pk}/results/"):
        api_error(api.get(url), 404, "not_found")
    api_error(api.post(f"/api/v1/surveys/{foreign.pk}/responses/", {"customer": 1, "answers": {}}, format="json"),
              404, "not_found")
    api_error(api.post(f"/api/v1/surveys/{survey.pk}/responses/", {"customer": stranger.pk,
                                                                   "answers": good(survey)}, format="json"),
              404, "not_found")
    api_error(api.post(f"/api/v1/surveys/{survey.pk}/responses/", {"customer": "x"}, format="json"), 400, "invalid")
    second = api.post("/api/v1/surveys/", {"title": "Second", "is_onboarding": True,
                                           "questions": [{"kind": "text", "text": "?"}]}, format="json").json()
    api_error(api.patch(f"/api/v1/surveys/{second['id']}/", {"status": "active"}, format="json"),
              409, "onboarding_taken")
    error = api_error(api.patch(f"/api/v1/surveys/{second['id']}/", {"status": "draft"}, format="json"),
                      400, "invalid")
    assert "status" in error["fields"]
    error = api_error(api.post("/api/v1/surveys/", {"title": "Bad", "questions": [
        {"kind": "single", "text": "?", "choices": ["one"]}]}, format="json"), 400, "invalid")
    assert "choices" in error["fields"]
    assert not Survey.objects.filter(title="Bad").exists()  # the survey and its questions: all or nothing


# --- dashboard ------------------------------------------------------------------------------------------


def test_marketer_builds_a_survey_in_the_dashboard(login, brand):
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin", type="choice",
                                       choices=["oily", "dry"])
    client = login(factories.make_member(brand, Role.MARKETER))
    response = client.post(f"/b/{brand.slug}/surveys/", {"title": "Welcome", "is_onboarding": "on"})
    survey = Survey.objects.get(brand=brand, title="Welcome")
    url = f"/b/{brand.slug}/surveys/{survey.pk}/"
    assert response.status_code == 302 and response["Location"] == url
    # A bad question shows its errors on the form and adds nothing.
    response = client.post(url + "questions/add/", {"new-kind": "single", "new-text": "Skin?",
                                 "new-choices": "Oily"})
    assert response.status_code == 400 and "at least two different choices" in response.content.decode()
    for kind, text, choices in (("single", "Skin?", "Oily\nDry"), ("multiple", "Goals?", "Glow\nCalm"),
                                ("text", "Else?", ""), ("number", "Budget?", ""), ("scale", "Love?", "")):
        assert client.post(url + "questions/add/", {"new-kind": kind, "new-text": text,
                                 "new-choices": choices, "new-required": "on"}).status_code == 302
    questions = selectors.survey_questions(survey=survey)
    assert [q.kind for q in questions] == ["single", "multiple", "text", "number", "scale"]
    skin, love = questions[0], questions[4]
    page = client.get(url).content.decode()  # each builder form posts to its own command route
    for action in ("save/", "activate/", "questions/add/", f"questions/{skin.pk}/update/", f"questions/{skin.pk}/down/",
                   f"questions/{love.pk}/up/", f"questions/{skin.pk}/delete/", f"questions/{skin.pk}/rules/add/"):
        assert f'action="{url}{action}"' in page, action
    assert client.post(url + f"questions/{skin.pk}/rules/add/", {f"r{skin.pk}-op": "choice",
                             f"r{skin.pk}-value": "Oily", f"r{skin.pk}-action": "add_tag",
                             f"r{skin.pk}-tag_name": "oily-skin"}).status_code == 302
    response = client.post(url + f"questions/{skin.pk}/rules/add/", {f"r{skin.pk}-op": "choice",
                                 f"r{skin.pk}-value": "Oily", f"r{skin.pk}-action": "set_attribute",
                                 f"r{skin.pk}-attribute_key": "skin_type", f"r{skin.pk}-attribute_value": "wet"})
    assert response.status_code == 400 and "Choose one of: oily, dry." in response.content.decode()
    assert client.post(url + f"questions/{skin.pk}/down/").status_code == 302
    assert client.post(url + f"questions/{love.pk}/update/", {f"q{love.pk}-kind": "scale",
                             f"q{love.pk}-text": "Love us?"}).status_code == 302
    assert client.post(url + "activate/").status_code == 302
    page = client.get(url).content.decode()
    assert "oily-skin" in page and "Love us?" in page and "Active" in page
    assert [q.text for q in selectors.survey_questions(survey=survey)][:2] == ["Goals?", "Skin?"]
    rule = PersonaRule.objects.get(question=skin)
    assert client.post(url + f"rules/{rule.pk}/delete/").status_code == 302
    assert client.post(url + "close/").status_code == 302
    assert Survey.objects.get(pk=survey.pk).status == "closed"
    assert "Surveys" in client.get(f"/b/{brand.slug}/surveys/").content.decode()


def test_results_page_shows_figures(login, brand, survey):
    for skin in ("Oily", "Oily", "Dry"):
        answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=factories.make_customer(brand),
                                       answers=good(survey, **{str(survey.q_skin.pk): skin}))
    client = login(factories.owner_of(brand))
    page = client.get(f"/b/{brand.slug}/surveys/{survey.pk}/results/").content.decode()
    assert "<td>Oily</td><td>2</td><td>66.7%</td>" in page and "<td>Dry</td><td>1</td><td>33.3%</td>" in page
    assert "Loves roses" in page and "data-answered>3<" in page


def test_rep_cannot_open_or_post_to_survey_pages(login, brand, survey):
    client = login(factories.make_member(brand, Role.REP))
    for url in (f"/b/{brand.slug}/surveys/", f"/b/{brand.slug}/surveys/{survey.pk}/",
                f"/b/{brand.slug}/surveys/{survey.pk}/results/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/b/{brand.slug}/surveys/{survey.pk}/close/").status_code == 403
    assert Survey.objects.get(pk=survey.pk).status == "active"
    assert "Surveys" not in client.get(f"/b/{brand.slug}/").content.decode()


def test_dashboard_ids_of_another_brand_or_survey_are_404(login, brand, other_brand, survey):
    client = login(factories.owner_of(brand))
    foreign = services.survey_create(brand=other_brand, actor=factories.system(other_brand), title="Theirs")
    foreign_q = services.question_add(survey=foreign, actor=factories.system(foreign.brand_id), kind="text", text="?")
    other = services.survey_create(brand=brand, actor=factories.system(brand), title="Other")
    other_q = services.question_add(survey=other, actor=factories.system(other.brand_id), kind="text", text="?")
    assert client.get(f"/b/{brand.slug}/surveys/{foreign.pk}/").status_code == 404
    assert client.get(f"/b/{brand.slug}/surveys/{foreign.pk}/results/").status_code == 404
    url = f"/b/{brand.slug}/surveys/{survey.pk}/"
    for question_id in (foreign_q.pk, other_q.pk, "abc"):
        assert client.post(url + f"questions/{question_id}/delete/").status_code == 404
    assert client.post(url + f"rules/{10**9}/delete/").status_code == 404
    assert Survey.objects.filter(pk__in=[foreign.pk, other.pk]).count() == 2


def test_profile_shows_survey_answers(login, brand, survey):
    customer = factories.make_customer(brand)
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers=good(survey))
    client = login(factories.owner_of(brand))
    page = client.get(f"/b/{brand.slug}/customers/{customer.pk}/").content.decode()
    assert "Welcome!" in page and "Your goals?" in page and "Anti-age, Glow" in page


# --- customer side: join -> survey -> skip or answer, and the chat card ---------------------------------


def _joined_customer(client, brand, group):
    user = factories.make_user()
    customer = factories.make_customer(brand, user=user)
    client.force_login(user)
    invite = factories.make_invite(brand, group=group)
    return customer, client.post(f"/join/{invite.token}/", {"join": "1"})


def test_join_sends_to_the_onboarding_survey_then_skip_goes_on_to_the_chat(client, brand, survey):
    group = factories.make_group(brand, "Glow Club")
    customer, response = _joined_customer(client, brand, group)
    chat = f"/chat/group/{group.pk}/"
    assert response.status_code == 302
    assert response["Location"] == f"/s/{survey.pk}/?next=%2Fchat%2Fgroup%2F{group.pk}%2F"
    page = client.get(response["Location"]).content.decode()
    for q in (survey.q_skin, survey.q_goals, survey.q_note, survey.q_spend, survey.q_love):
        assert q.text in page
    assert 'type="radio"' in page and 'type="checkbox"' in page and "<textarea" in page and "Skip" in page
    response = client.post(f"/s/{survey.pk}/", {"action": "skip", "next": chat})
    assert response.status_code == 302 and response["Location"] == chat
    assert SurveyResponse.objects.get(customer=customer).skipped_at is not None
    # Joining another group later goes straight to the chat.
    other = factories.make_group(brand, "Second")
    invite = factories.make_invite(brand, group=other)
    assert client.post(f"/join/{invite.token}/", {"join": "1"})["Location"] == f"/chat/group/{other.pk}/"


def test_survey_page_keeps_values_and_shows_errors_then_applies_rules(client, brand, survey):
    group = factories.make_group(brand)
    customer, response = _joined_customer(client, brand, group)
    url, chat = f"/s/{survey.pk}/", f"/chat/group/{group.pk}/"
    bad = {"action": "submit", "next": chat, f"q{survey.q_skin.pk}": "Oily", f"q{survey.q_goals.pk}": ["Glow"],
           f"q{survey.q_note.pk}": "Roses <b>please</b>", f"q{survey.q_spend.pk}": "lots",
           f"q{survey.q_love.pk}": "6"}
    response = client.post(url, bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a number." in page and "Choose a number from 1 to 5." in page
    assert 'value="Oily" checked' in page and 'value="Glow" checked' in page and 'value="lots"' in page
    assert "Roses &lt;b&gt;please&lt;/b&gt;" in page
    assert not SurveyAnswer.objects.filter(customer=customer).exists()
    good_post = {**bad, f"q{survey.q_spend.pk}": "900", f"q{survey.q_love.pk}": "4"}
    response = client.post(url, good_post)
    assert response.status_code == 302 and response["Location"] == chat
    assert tags_of(customer) == ["fan", "oily-skin"]
    assert Customer.objects.get(pk=customer.pk).attributes == {"skin_type": "oily", "budget": 500}
    # An unsafe next is not followed.
    assert client.post(url, {**good_post, "next": "https://evil.example/"})["Location"] == "/chat/"


def test_survey_page_is_404_for_people_who_are_not_customers_of_the_brand(client, brand, other_brand, survey):
    assert client.get(f"/s/{survey.pk}/").status_code == 302  # signed out: to the login page
    user = factories.make_user()
    factories.make_customer(other_brand, user=user)
    client.force_login(user)
    assert client.get(f"/s/{survey.pk}/").status_code == 404
    assert client.post(f"/s/{survey.pk}/", {"action": "skip"}).status_code == 404
    assert client.get("/s/999999/").status_code == 404
    assert not SurveyResponse.objects.exists()


def test_rep_sends_a_survey_card_and_the_customer_sees_its_button(client, brand, survey, other_brand):
    from chats.models import Message
    from chats.services import conversation_for_customer

    rep = factories.make_member(brand, Role.REP)
    user = factories.make_user()
    customer = factories.make_customer(brand, user=user, assigned_rep=rep)
    conversation = conversation_for_customer(customer=customer)
    client.force_login(rep.user)
    url = f"/b/{brand.slug}/inbox/{conversation.pk}/"
    assert "Send a survey" in client.get(url).content.decode()
    assert client.post(url, {"action": "survey", "survey_id": survey.pk, "body": "2 minutes?"}).status_code == 302
    message = Message.objects.get(conversation=conversation, kind="survey")
    assert message.payload == {"survey_id": survey.pk, "title": "Welcome!", "url": f"/s/{survey.pk}/"}
    foreign = services.survey_create(brand=other_brand, actor=factories.system(other_brand), title="Theirs")
    assert client.post(url, {"action": "survey", "survey_id": foreign.pk}).status_code == 404
    draft = services.survey_create(brand=brand, actor=factories.system(brand), title="Draft")
    assert client.post(url, {"action": "survey", "survey_id": draft.pk}).status_code == 409
    assert Message.objects.filter(kind="survey").count() == 1
    client.force_login(user)
    page = client.get(f"/chat/direct/{customer.pk}/").content.decode()
    assert f'href="/s/{survey.pk}/"' in page and "Answer the survey" in page


def test_survey_card_payload_is_checked(brand, other_brand, survey):
    from chats.services import Sender, message_send

    conversation = factories.make_conversation(brand)
    bad = [{"title": "x", "url": f"/s/{survey.pk}/"}, {"survey_id": survey.pk, "title": "x",
                                                       "url": "https://evil.example/"},
           {"survey_id": survey.pk, "title": "x", "url": "/s/1234567/"}, {"survey_id": "1", "title": "", "url": ""}]
    for payload in bad:
        with pytest.raises(ApplicationError) as info:
            message_send(conversation=conversation, sender=Sender.system(), kind="survey", body="", payload=payload)
        assert info.value.code == "invalid"
    foreign = services.survey_create(brand=other_brand, actor=factories.system(other_brand), title="Theirs")
    with pytest.raises(ApplicationError) as info:
        message_send(conversation=conversation, sender=Sender.system(), kind="survey", body="",
                     payload={"survey_id": foreign.pk, "title": "x", "url": f"/s/{foreign.pk}/"})
    assert info.value.status == 404


def test_results_endpoint_query_count_does_not_grow_with_answers(api, brand, survey):
    url = f"/api/v1/surveys/{survey.pk}/results/"

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx)

    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=factories.make_customer(brand), answers=good(survey))
    queries()  # the first request of a key also stamps its last use
    few = queries()
    for _i in range(15):
        answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=factories.make_customer(brand), answers=good(survey))
    assert queries() == few
    assert api.get(url).json()["answered"] == 16


def test_reorder_names_every_question_once(survey):
    ids = [q.pk for q in selectors.survey_questions(survey=survey)]
    services.questions_reorder(survey=survey, actor=factories.system(survey.brand_id), question_ids=list(reversed(ids)))
    assert [q.pk for q in selectors.survey_questions(survey=survey)] == list(reversed(ids))
    for bad in (ids[:-1], ids + [ids[0]], "1,2"):
        with pytest.raises(ApplicationError) as info:
            services.questions_reorder(survey=survey, actor=factories.system(survey.brand_id), question_ids=bad)
        assert "questions" in info.value.fields


def test_segment_builder_saves_a_survey_answer_condition(login, brand, survey):
    from crm.models import Segment

    ann = factories.make_customer(brand, name="Ann")
    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=ann, answers=good(survey))
    client = login(factories.owner_of(brand))
    picked = client.get(f"/b/{brand.slug}/segments/pick/", {"picker": "questions", "q": "goals"}).json()["results"]
    assert [(q["id"], q["name"], q["detail"]) for q in picked] == [(survey.q_goals.pk, "Your goals?", "Welcome!")]
    response = client.post(f"/b/{brand.slug}/segments/", {"name": "Anti-age fans", "match": "all",
                                                           "field": ["survey_answer"], "op": ["includes"],
                                                           "key": [str(survey.q_goals.pk)], "value": ["Anti-age"]})
    assert response.status_code == 302
    segment = Segment.objects.get(brand=brand, name="Anti-age fans")
    assert segment.definition == {"all": [{"field": "survey_answer", "op": "includes",
                                           "question": survey.q_goals.pk, "value": "Anti-age"}]}
    assert segments.segment_count(segment=segment) == 1
    response = client.post(f"/b/{brand.slug}/segments/", {"name": "Bad", "match": "all", "field": ["survey_answer"],
                                                           "op": ["eq"], "key": [str(survey.q_love.pk)],
                                                           "value": ["9"]})
    assert response.status_code == 400 and "from 1 to 5" in response.content.decode()


def test_answering_marks_the_customer_active(brand):
    from crm.models import Customer as CustomerModel

    survey = services.survey_create(brand=brand, actor=factories.system(brand), title="Quick one")
    question = services.question_add(survey=survey, actor=factories.system(survey.brand_id), kind="scale", text="How was your visit?")
    services.survey_activate(survey=survey, actor=factories.system(survey.brand_id))
    customer = factories.make_customer(brand)
    assert customer.last_active_at is None

    answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers={str(question.pk): 5})

    assert CustomerModel.objects.get(pk=customer.pk).last_active_at is not None


@pytest.mark.parametrize("value", [10**400, "1e400", 10**13, "9" * 60])
def test_absurd_numbers_are_a_clear_error_not_a_500(brand, value):
    survey = services.survey_create(brand=brand, actor=factories.system(brand), title="Numbers")
    question = services.question_add(survey=survey, actor=factories.system(survey.brand_id), kind="number", text="How many grills?")
    services.survey_activate(survey=survey, actor=factories.system(survey.brand_id))
    customer = factories.make_customer(brand)

    with pytest.raises(ApplicationError) as exc:
        answering.survey_answer_submit(survey=survey, actor=factories.system(survey.brand_id), customer=customer, answers={str(question.pk): value})

    assert exc.value.code == "invalid" and f"q{question.pk}" in exc.value.fields


def test_survey_services_refuse_a_missing_wrong_or_inactive_actor(brand, other_brand, survey):
    with pytest.raises(TypeError):
        services.survey_create(brand=brand, actor=None, title="No one")
    with pytest.raises(ApplicationError) as info:
        services.survey_close(survey=survey, actor=factories.system(other_brand))
    assert info.value.status == 404
    inactive = factories.make_member(brand, Role.MARKETER)
    inactive.is_active = False
    with pytest.raises(ApplicationError) as info:
        services.question_add(survey=survey, actor=inactive, kind="text", text="?")
    assert info.value.status == 403
    with pytest.raises(ApplicationError) as info:  # nothing to change still needs the right actor
        services.survey_change(survey=survey, actor=factories.make_member(brand, Role.REP))
    assert info.value.status == 403
    assert Survey.objects.get(pk=survey.pk).status == "active"


def test_a_customer_answers_only_for_themselves(brand, survey):
    from privtraffic.tenancy.actors import CustomerActor

    ann, bob = factories.make_customer(brand), factories.make_customer(brand)
    with pytest.raises(TypeError):
        answering.survey_answer_submit(survey=survey, customer=ann, answers=good(survey), actor=None)
    with pytest.raises(ApplicationError) as info:
        answering.survey_answer_submit(survey=survey, customer=ann, answers=good(survey), actor=CustomerActor(bob))
    assert info.value.status == 404
    with pytest.raises(ApplicationError) as info:
        answering.survey_skip(survey=survey, customer=ann, actor=CustomerActor(bob))
    assert info.value.status == 404
    assert not SurveyResponse.objects.exists()
    answering.survey_answer_submit(survey=survey, customer=ann, answers=good(survey), actor=CustomerActor(ann))
    assert SurveyResponse.objects.get().customer == ann
