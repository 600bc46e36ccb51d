"""The segment builder by name: pickers with search, only the operators that fit, the live preview."""

import json

import pytest

from crm.models import AttributeDefinition, Segment, Survey, SurveyQuestion, Tag
from crm.segments.conditions import condition_catalog, condition_fields
from privtraffic.tenancy.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer_client(brand, login):
    return login(factories.make_member(brand, Role.MARKETER))


def _pick(client, brand, picker, q=""):
    response = client.get(f"/b/{brand.slug}/segments/pick/", {"picker": picker, "q": q})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_every_picker_finds_by_name_within_the_brand(brand, other_brand, marketer_client):
    client = marketer_client
    jingan = factories.make_store(brand, "Shanghai Jing'an", city="Shanghai")
    factories.make_store(brand, "Beijing Sanlitun", city="Beijing")
    factories.make_store(other_brand, "Shanghai Other Brand")
    rep = factories.make_member(brand, Role.REP, store=jingan, user=factories.make_user("li.na@acme.test", name="Li Na"))
    factories.make_member(other_brand, Role.REP, user=factories.make_user("li.lei@other.test", name="Li Lei"))
    group = factories.make_group(brand, "Glow Club")
    factories.make_group(other_brand, "Glow Elsewhere")
    Tag.objects.create(brand=brand, name="oily-skin")
    Tag.objects.create(brand=other_brand, name="oily-other")
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin type", type="choice",
                                       choices=["oily", "dry"])
    AttributeDefinition.objects.create(brand=brand, key="age", label="Age", type="number")
    survey = Survey.objects.create(brand=brand, title="Welcome")
    question = SurveyQuestion.objects.create(brand=brand, survey=survey, kind="multiple", text="Your skin concerns?",
                                             choices=["acne", "dryness"])

    assert _pick(client, brand, "stores", "shanghai") == [{"id": jingan.pk, "name": "Shanghai Jing'an",
                                                           "detail": "Shanghai"}]
    assert [r["id"] for r in _pick(client, brand, "reps", "li")] == [rep.pk]
    assert _pick(client, brand, "reps", "li")[0]["name"] == "Li Na"
    assert [r["id"] for r in _pick(client, brand, "groups", "glow")] == [group.pk]
    assert _pick(client, brand, "tags", "oily") == [{"id": "oily-skin", "name": "oily-skin"}]
    skin = _pick(client, brand, "attributes", "skin")
    assert [(a["id"], a["ops"], a["choices"]) for a in skin] == [("skin_type", ["eq", "neq", "exists"], ["oily", "dry"])]
    assert _pick(client, brand, "attributes", "age")[0]["ops"] == ["eq", "neq", "gt", "lt", "exists"]
    found = _pick(client, brand, "questions", "skin")
    assert [(q["id"], q["ops"], q["detail"]) for q in found] == [(question.pk, ["includes"], "Welcome")]


def test_pickers_answer_in_a_bounded_number_of_queries(brand, marketer_client, django_assert_max_num_queries):
    for n in range(30):
        factories.make_store(brand, f"Store {n}")
    with django_assert_max_num_queries(8):
        results = _pick(marketer_client, brand, "stores")
    assert len(results) == 20  # at most PICKER_LIMIT


def test_pickers_refuse_unknown_pickers_and_hostile_input(brand, marketer_client):
    url = f"/b/{brand.slug}/segments/pick/"
    unknown = marketer_client.get(url, {"picker": "passwords"})
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"] == {"picker": ["Not one of the allowed values."]}
    assert marketer_client.get(url).status_code == 400
    assert marketer_client.get(url, {"picker": "stores", "q": "a\x00"}).status_code == 400


def test_pickers_are_for_those_who_build_segments(brand, other_brand, login):
    client = login(factories.make_member(brand, Role.REP))
    assert client.get(f"/b/{brand.slug}/segments/pick/", {"picker": "stores"}).status_code == 403
    assert client.get(f"/b/{other_brand.slug}/segments/pick/", {"picker": "stores"}).status_code == 404


def test_the_builder_shows_saved_ids_by_name_and_only_fitting_operators(brand, marketer_client):
    store = factories.make_store(brand, "Shanghai Jing'an")
    group = factories.make_group(brand, "Glow Club")
    AttributeDefinition.objects.create(brand=brand, key="skin_type", label="Skin type", type="choice",
                                       choices=["oily", "dry"])
    segment = Segment.objects.create(brand=brand, name="Jing'an", definition={"all": [
        {"field": "store", "op": "eq", "value": store.pk},
        {"field": "group", "op": "member_of", "value": group.pk},
        {"field": "attribute", "op": "eq", "key": "skin_type", "value": "oily"}]})
    page = marketer_client.get(f"/b/{brand.slug}/segments/{segment.pk}/")
    html = page.content.decode()
    assert 'value="Shanghai Jing&#x27;an"' in html and 'value="Glow Club"' in html and 'value="Skin type"' in html
    assert f'name="value" value="{store.pk}"' in html  # the id stays what the form posts
    rows = page.context["rows"]
    assert [op for op, _label in rows[0]["op_options"]] == ["eq"]
    assert [op for op, _label in rows[1]["op_options"]] == ["member_of", "not_member_of"]
    assert [op for op, _label in rows[2]["op_options"]] == ["eq", "neq", "exists"]  # no "greater than" on a choice
    catalog = page.context["catalog"]
    assert [op for op, _label in catalog["tag"]["ops"]] == ["has", "not_has"]
    assert catalog["store"]["picker"] == "stores" and catalog["survey_answer"]["key_picker"] == "questions"


def test_the_catalog_is_the_registry(db):
    catalog = {c["field"]: c for c in condition_catalog()}
    assert [c.field for c in condition_fields()] == list(catalog)
    for kind in condition_fields():
        assert catalog[kind.field]["ops"] == list(kind.ops)
    assert {f for f, c in catalog.items() if c["picker"]} == {"tag", "store", "rep", "group"}
    assert {f for f, c in catalog.items() if c["key_picker"]} == {"attribute", "survey_answer"}


def test_the_preview_gives_the_count_and_the_first_ten_names(brand, marketer_client, django_assert_max_num_queries):
    vip = Tag.objects.create(brand=brand, name="vip")
    from crm.models import CustomerTag

    customers = [factories.make_customer(brand, f"Customer {n:02d}") for n in range(12)]
    for customer in customers:
        CustomerTag.objects.create(brand=brand, customer=customer, tag=vip)
    url = f"/b/{brand.slug}/segments/preview/"
    body = json.dumps({"definition": {"all": [{"field": "tag", "op": "has", "value": "vip"}]}})
    with django_assert_max_num_queries(10):
        response = marketer_client.post(url, body, content_type="application/json")
    data = response.json()
    assert data["count"] == 12 and len(data["customers"]) == 10
    assert data["customers"][0] == {"id": customers[-1].pk, "name": "Customer 11"}  # newest first
