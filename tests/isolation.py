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
    "task_id": lambda brand: factories.make_rep_task(brand).pk,
    "persona_id": lambda brand: factories.make_persona(brand).pk,
    "attachment_id": lambda brand: factories.make_attachment(brand).pk,
    # Interactive chat cards: /inbox/cards/<kind>/<ref>/<verb>/ (a coupon stands for every kind).
    "kind": lambda brand: "coupon",
    "ref": lambda brand: _card_coupon(brand),
    "verb": lambda brand: "claim",
    "report_id": lambda brand: _open_report(brand),
    "groupbuy_id": lambda brand: factories.make_group_buy(brand).pk,
}


def _open_report(brand: Brand) -> int:
    from chats.models import Message, MessageReport

    conversation = factories.make_conversation(brand)
    message = Message.objects.create(brand=brand, conversation=conversation, seq=1, sender_type="staff",
                                     sender_key="user:0", sender_name="Staff", body="hello")
    return MessageReport.objects.create(brand=brand, message=message, reporter=conversation.customer,
                                        reason="isolation").pk


def _card_coupon(brand: Brand) -> int:
    import secrets

    from campaigns.models import Coupon

    return Coupon.objects.create(brand=brand, title="Isolation", code=f"ISO{secrets.token_hex(6)}", value="5.00",
                                 currency="CNY").pk

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
def _make_message(brand: Brand) -> int:
    from chats.services import Sender, message_send

    conversation = factories.make_conversation(brand)
    n = conversation.last_seq + 1
    return message_send(conversation=conversation, sender=Sender.of_customer(conversation.customer),
                        body=f"message {n} of {brand.slug}", client_msg_id=f"isolation-{brand.slug}-{n}").pk


ID_FACTORIES["message_id"] = _make_message
ID_FACTORIES["product_id"] = lambda brand: factories.make_product(brand).pk


# --- the customer-facing pages: everything routed outside /b/ and /api/ ---

# Not customer pages: staff, integrators, allauth and Django's own screens, files, probes.
NOT_CUSTOMER_PAGES = ("/b/", "/api/", "/accounts/", "/admin/", "/media/", "/healthz")
# Routes that take a signed or random token instead of an id: a garbage token is 404 on every one of them
# (assert_customer_tokens_refuse_garbage); what a real token of another brand does is tested per route.
TOKEN_PARAMS = frozenset({"token"})


def customer_routes() -> list[Route]:
    """Every route a customer's browser may open: /chat/..., /s/<id>/, /join/<token>/, /o/<token>/, ..."""
    return [r for r in iter_routes() if r.template != "/" and not r.template.startswith(NOT_CUSTOMER_PAGES)]


def customer_id_routes() -> list[Route]:
    return [r for r in customer_routes() if r.params and not TOKEN_PARAMS & set(r.params)]


def customer_token_routes() -> list[Route]:
    return [r for r in customer_routes() if TOKEN_PARAMS & set(r.params)]


def brand_row_counts(brand: Brand) -> dict[str, int]:
    """How many rows of every tenant-owned model the brand has: a refused request changes none of them."""
    from django.apps import apps

    return {
        model._meta.label: model._default_manager.filter(brand=brand).count()
        for model in apps.get_models()
        if any(f.name == "brand" and f.is_relation and f.related_model is Brand for f in model._meta.fields)
    }


def assert_customer_pages_isolated(client, other_brand: Brand) -> int:
    """`client` is signed in as a customer of another brand than `other_brand`. Every customer page that
    takes an id answers 404 for `other_brand`'s ids (GET and POST, after following redirects) and writes
    nothing in it; pages without an id never show `other_brand`."""
    checked = 0
    for route in customer_routes():
        if TOKEN_PARAMS & set(route.params):
            continue
        if not route.params:
            if "get" in route.methods:
                response = client.get(route.template, follow=True)
                assert response.status_code == 200, f"GET {route.template} -> {response.status_code}"
                assert other_brand.name not in response.content.decode(), f"GET {route.template} shows {other_brand}"
                checked += 1
            continue
        url = route.fill(foreign_ids(route, other_brand))
        for method in route.methods:
            before = brand_row_counts(other_brand)
            response = getattr(client, method)(url, follow=True)
            assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
            assert brand_row_counts(other_brand) == before, f"{method.upper()} {url} wrote in {other_brand}"
            checked += 1
    return checked


def assert_customer_tokens_refuse_garbage(client) -> int:
    """Every token route answers 404 to a token that was never issued (GET and POST)."""
    checked = 0
    for route in customer_token_routes():
        for token in ("garbage", "eyJjIjoxLCJiIjoxfQ:forged:signature"):
            url = route.fill(dict.fromkeys(route.params, token))
            for method in route.methods:
                response = getattr(client, method)(url)
                assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
                checked += 1
    return checked


# --- the socket: every client frame of CONTRACT.md, naming another brand's conversation ---

# frame type -> the frame for a conversation id. A new client frame type must be added here (the test
# compares this list with the frames CONTRACT.md lists, when the contract is at hand).
CLIENT_FRAMES: dict[str, Callable[[int], dict]] = {
    "send": lambda conversation: {"type": "send", "conversation": conversation, "client_msg_id": "isolation-send",
                                  "body": "Hello from another brand"},
    "sync": lambda conversation: {"type": "sync", "conversation": conversation, "after_seq": 0},
    "read": lambda conversation: {"type": "read", "conversation": conversation, "seq": 1},
    "typing": lambda conversation: {"type": "typing", "conversation": conversation},
}
# The error code a socket gets for a conversation it may not see: the same as for one that does not exist.
INVISIBLE_CONVERSATION_CODE = "not_found"


def contract_client_frames(contract_text: str) -> set[str]:
    """The frame types listed under "Client to server:" in CONTRACT.md's WebSocket section."""
    section = contract_text.split("## WebSocket", 1)[-1].split("Client to server:", 1)[-1]
    section = section.split("Server to client:", 1)[0]
    return set(re.findall(r'\{"type":"(\w+)"', section))
ID_FACTORIES["campaign_id"] = lambda brand: factories.make_campaign(brand).pk
ID_FACTORIES["endpoint_id"] = lambda brand: factories.make_webhook_endpoint(brand).pk
ID_FACTORIES["delivery_id"] = lambda brand: factories.make_webhook_delivery(brand).pk


# --- coupons (campaigns.coupons): the API and pages, and the interactive chat card routes of kind "coupon" ---

ID_FACTORIES["coupon_id"] = lambda brand: factories.make_coupon(brand).pk
ID_FACTORIES["event_id"] = lambda brand: factories.make_event(brand).pk
