"""The cross-brand isolation matrix, reusable by every app's tests.

It walks every URL pattern the project routes under /b/<slug>/ and /api/v1/,
fills each id in the route with an object that belongs to *another* brand, and
expects 404. A route whose id has no factory below fails the matrix, so a new
route cannot ship without being checked: register its id here.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from crm.models import ImportJob
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.roles import Role
from tests import factories

# kwarg name in a route -> makes an object of that brand and returns its id.
ID_FACTORIES: dict[str, Callable[[Brand], int]] = {
    "store_id": lambda brand: factories.make_store(brand).pk,
    "member_id": lambda brand: factories.make_member(brand, Role.MARKETER).pk,
    "rep_id": lambda brand: factories.make_member(brand, Role.REP).pk,
    "group_id": lambda brand: factories.make_group(brand).pk,
    "customer_id": lambda brand: factories.make_customer(brand).pk,
    "invite_id": lambda brand: factories.make_invite(brand).pk,
    "conversation_id": lambda brand: factories.make_conversation(brand).pk,
    "import_id": lambda brand: ImportJob.objects.create(brand=brand, file="imports/isolation.csv",
                                                        original_name="isolation.csv").pk,
}

_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    template: str  # e.g. "/api/v1/stores/<int:store_id>/"
    view: Callable

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in _PARAM.finditer(self.template)]

    def fill(self, values: dict[str, object]) -> str:
        return _PARAM.sub(lambda m: str(values[m.group("name")]), self.template)

    @property
    def methods(self) -> list[str]:
        cls = getattr(self.view, "view_class", None) or getattr(self.view, "cls", None)
        if cls is None:
            return ["get", "post"]
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]


def iter_routes(patterns=None, prefix: str = "/") -> Iterator[Route]:
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from iter_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield Route(template=route, view=entry.callback)


def brand_routes(prefix: str) -> list[Route]:
    return [r for r in iter_routes() if r.template.startswith(prefix)]


def foreign_ids(route: Route, brand: Brand) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in route.params:
        if name == "slug":
            values[name] = brand.slug
            continue
        if name not in ID_FACTORIES:
            raise AssertionError(
                f"{route.template}: no id factory for <{name}>; register it in tests/isolation.py ID_FACTORIES"
            )
        values[name] = ID_FACTORIES[name](brand)
    return values


def assert_api_isolated(api_client, own_brand: Brand, other_brand: Brand) -> int:
    """Every API route: other-brand ids are 404 for each method; lists show nothing of the other brand."""
    checked = 0
    for route in brand_routes("/api/v1/"):
        if route.params:
            url = route.fill(foreign_ids(route, other_brand))
            for method in route.methods:
                response = getattr(api_client, method)(url, {}, format="json")
                assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
                assert response.json()["error"]["code"] == "not_found"
                checked += 1
        elif "get" not in route.methods:
            continue  # an action route without ids (e.g. segments/preview/): nothing to list or leak
        else:
            # The own brand is empty and the other brand has one of everything: lists must be empty.
            for factory in ID_FACTORIES.values():
                factory(other_brand)
            response = api_client.get(route.template)
            assert response.status_code == 200, f"GET {route.template} -> {response.status_code}"
            if response.get("Content-Type", "").startswith("text/csv"):  # an export: the header row and nothing else
                lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
                assert len(lines) == 1, f"GET {route.template} leaked another brand's rows"
            else:
                assert response.json()["results"] == [], f"GET {route.template} leaked another brand's rows"
            checked += 1
    return checked


def assert_dashboard_isolated(client, own_brand: Brand, other_brand: Brand) -> int:
    """Every dashboard route: the other brand's slug is 404, and its ids under our own slug are 404."""
    checked = 0
    for route in brand_routes("/b/"):
        if "slug" not in route.params:
            continue
        values = foreign_ids(route, other_brand)
        for method in route.methods:
            url = route.fill(values)
            response = getattr(client, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
            checked += 1
            if len(route.params) > 1:
                url = route.fill({**values, "slug": own_brand.slug})
                response = getattr(client, method)(url)
                assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
                checked += 1
    return checked


def _make_segment(brand: Brand) -> int:
    from crm.models import Segment

    n = Segment.objects.filter(brand=brand).count() + 1  # called once per list route: names must differ
    return Segment.objects.create(brand=brand, name=f"Segment {brand.slug} {n}",
                                  definition={"all": [{"field": "consent_promotions", "op": "eq", "value": True}]}).pk


ID_FACTORIES["segment_id"] = _make_segment


def _make_tag(brand: Brand) -> int:
    from crm.models import Tag

    n = Tag.objects.filter(brand=brand).count() + 1  # called once per list route: names must differ
    return Tag.objects.create(brand=brand, name=f"tag-{brand.slug}-{n}").pk


def _make_attribute(brand: Brand) -> int:
    from crm.models import AttributeDefinition

    n = AttributeDefinition.objects.filter(brand=brand).count() + 1
    return AttributeDefinition.objects.create(brand=brand, key=f"attr-{n}", label=f"Attr {n}", type="text").pk


def _make_note(brand: Brand) -> int:
    from crm.models import CustomerNote

    return CustomerNote.objects.create(brand=brand, customer=factories.make_customer(brand), body="note").pk


ID_FACTORIES["tag_id"] = _make_tag
ID_FACTORIES["attribute_id"] = _make_attribute
ID_FACTORIES["note_id"] = _make_note
ID_FACTORIES["order_id"] = lambda brand: factories.make_order(brand).pk


def _make_survey(brand: Brand) -> int:
    from crm.surveys.services import question_add, survey_create

    survey = survey_create(brand=brand, actor=factories.system(brand), title=f"Survey {brand.slug}")
    question_add(survey=survey, actor=factories.system(brand), kind="single", text="Skin?", choices=["Oily", "Dry"])
    return survey.pk


ID_FACTORIES["survey_id"] = _make_survey


def _make_question(brand: Brand) -> int:
    from crm.models import SurveyQuestion

    return SurveyQuestion.objects.filter(brand=brand, survey_id=_make_survey(brand)).values_list("pk", flat=True)[0]


def _make_rule(brand: Brand) -> int:
    from crm.models import SurveyQuestion
    from crm.surveys.services import rule_add

    question = SurveyQuestion.objects.get(pk=_make_question(brand))
    return rule_add(question=question, actor=factories.system(brand), value="Oily", action="add_tag",
                    tag_name=f"rule-{question.pk}").pk


ID_FACTORIES["question_id"] = _make_question
ID_FACTORIES["rule_id"] = _make_rule
