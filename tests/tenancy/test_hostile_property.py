"""No input reaches a 500: every API operation, dashboard form and customer page, driven with hostile values.

Hypothesis picks, per operation, hostile values (NUL bytes, lone surrogates, Unicode digits, 2**64, -1,
JSON nested 100,000 deep, lists/dicts/bools where a string or id is expected) for query parameters,
body fields and path ids. Every answer must be below 500; every 4xx must write nothing in the brand
(and on the API be the CONTRACT.md error object); input that can never be stored (NUL, lone surrogates,
too-deep JSON) must be refused with a 4xx. The routes are walked from the URL resolver (as the isolation
matrix does), so a new route is fuzzed without being listed here.
"""

import json
from urllib.parse import quote

import pytest
from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privtraffic.tenancy.models import Brand
from tests import factories
from tests.isolation import ID_FACTORIES, brand_routes, customer_routes

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=10, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

NUL, SURROGATE = "\x00", "\ud800"
HUGE = 2**64
DEEP_JSON = "[" * 100_000 + "]" * 100_000

# Query parameter and field names the views read (plus a nonsense one): the values are what is hostile.
QUERY_NAMES = ["customer", "segment", "store", "group", "rep", "after_seq", "limit", "search", "tag", "status",
               "q", "cursor", "purpose", "count", "archived", "kind", "filter", "page", "role", "from_rep",
               "import", "download", "next", "zzz"]
BODY_NAMES = ["name", "email", "phone", "tags", "attributes", "customer", "group", "rep", "store", "body",
              "client_msg_id", "kind", "payload", "definition", "answers", "code", "order", "items", "external_id",
              "status", "total", "currency", "capacity", "url", "events", "sku", "price", "audience", "send_at",
              "value", "title", "questions", "home_store", "assigned_rep", "consent_chat", "tracking_number"]
FORM_NAMES = ["name", "q", "store", "role", "action", "report_id", "reply_id", "key_id", "import", "body", "text",
              "title", "value", "kind", "capacity", "email", "from_rep", "to_rep", "rep", "segment", "tag",
              "reason", "step", "choices", "timezone", "client_msg_id", "next", "customer", "duration", "op",
              "field", "definition", "tag_name", "phone", "consent_promotions", "q1", "new-text", "new-kind"]

# Text values that can travel in a URL or a form (a lone surrogate cannot: it is not UTF-8 encodable).
TEXT_BAD = [NUL, "a\x00b", "\x00" * 3 + "1"]
TEXT_HOSTILE = ["1", "²", "١٢٣", str(HUGE), "11107800874153666412544", "-1", "+1", "1.5", "1e9", "",
                " ", "true", "null", "[]", "{}", "9" * 40, "x" * 5000, "<script>", "' OR 1=1 --", "%00", "\u202e"]
JSON_BAD = [*TEXT_BAD, SURROGATE, "x\udfff", {"a": NUL}, {"\x00": 1}, [1, SURROGATE]]
JSON_HOSTILE = [*TEXT_HOSTILE, HUGE, -HUGE, -1, 0, 1, 2**63, True, False, None, 1.5, [], {}, [1, "²"], [[[[[]]]]],
                {"all": [{"field": "tag"}]}, {"1": "²"}, {"²": 1}]


def text_values():
    return st.one_of(st.sampled_from(TEXT_HOSTILE), st.text(st.characters(codec="utf-8", exclude_characters=NUL),
                                                            max_size=12))


def json_values():
    return st.one_of(st.sampled_from(JSON_HOSTILE), st.integers(min_value=-(2**70), max_value=2**70),
                     st.text(st.characters(codec="utf-8", exclude_characters=NUL), max_size=12))


def hostile_params(names: list[str], values, bad) -> st.SearchStrategy[dict]:
    """Either every name at once with a hostile (but storable) value, so whatever parameter a view reads gets
    one, or a single name with a value that can never be stored (which must be refused on its own)."""
    return st.one_of(st.fixed_dictionaries(dict.fromkeys(names, values)),
                     st.builds(lambda name, value: {name: value}, st.sampled_from(names), bad))


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def never_storable(value) -> bool:
    """NUL bytes and lone surrogates anywhere in a value: these can only ever be refused."""
    if isinstance(value, str):
        return NUL in value or _has_surrogate(value)
    if isinstance(value, dict):
        return any(never_storable(k) or never_storable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(never_storable(v) for v in value)
    return False


# --- rows of the brand: one query for every tenant table --------------------------------------------------

def _brand_tables() -> list[tuple[str, str]]:
    tables = []
    for model in apps.get_models():
        for f in model._meta.fields:
            if f.name == "brand" and f.is_relation and f.related_model is Brand:
                tables.append((model._meta.db_table, f.column))
    return tables


BRAND_TABLES = _brand_tables()


def row_counts(brand: Brand) -> tuple:
    q = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {q(t)} WHERE {q(c)} = %s)" for t, c in BRAND_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(sql, [brand.pk] * len(BRAND_TABLES))
        return cursor.fetchone()


def _query_string(params: dict) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())


def _own_ids(route, brand, cache: dict) -> dict:
    values = {}
    for name in route.params:
        if name == "slug":
            values[name] = brand.slug
        elif name not in cache:
            cache[name] = ID_FACTORIES[name](brand) if name in ID_FACTORIES else "x"
        values[name] = cache.get(name, "x")
    return values


def _check(response, brand, before, *, must_refuse: bool, api: bool, what: str) -> None:
    status = response.status_code
    assert status < 500, f"{what} -> {status}"
    if must_refuse:
        assert 400 <= status < 500, f"{what} -> {status}: input that cannot be stored was accepted"
    if 400 <= status < 500:
        if api:
            body = response.json()
            assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"]), f"{what}: {body}"
        assert row_counts(brand) == before, f"{what} -> {status} but wrote rows"


# --- the API: every operation -------------------------------------------------------------------------------

API_OPERATIONS = [(r, m) for r in brand_routes("/api/v1/") for m in r.methods]


@pytest.fixture
def ids_cache():
    return {}


@pytest.mark.parametrize("route, method", API_OPERATIONS, ids=[f"{m.upper()} {r.template}" for r, m in API_OPERATIONS])
@FUZZ
@given(data=st.data())
def test_api_operation_never_500(api, brand, ids_cache, route, method, data):
    values = _own_ids(route, brand, ids_cache)
    if route.params and data.draw(st.booleans(), label="huge path ids"):
        values = {k: (v if k == "slug" else HUGE) for k, v in values.items()}
    url = route.fill(values)
    query = data.draw(st.one_of(st.just({}), hostile_params(QUERY_NAMES, text_values(), st.sampled_from(TEXT_BAD))),
                      label="query")
    if query:
        url += "?" + _query_string(query)
    must_refuse = any(NUL in v for v in query.values())
    content = b""
    if method in ("post", "put", "patch"):
        shape = data.draw(st.sampled_from(["fields", "fields", "deep", "not_an_object"]), label="body shape")
        if shape == "deep":
            text, must_refuse = DEEP_JSON, True
        elif shape == "not_an_object":
            body = data.draw(json_values(), label="body")
            text, must_refuse = json.dumps(body), must_refuse or never_storable(body)
        else:
            body = data.draw(hostile_params(BODY_NAMES, json_values(), st.sampled_from(JSON_BAD)), label="body")
            text, must_refuse = json.dumps(body), must_refuse or never_storable(body)
        content = text.encode("utf-8")  # json.dumps escapes lone surrogates as \\ud800: valid UTF-8
    before = row_counts(brand)
    response = api.generic(method.upper(), url, content, content_type="application/json")
    _check(response, brand, before, must_refuse=must_refuse, api=True, what=f"{method.upper()} {url}")


# --- the dashboard: every route under /b/<slug>/, as the owner ----------------------------------------------

DASHBOARD_OPERATIONS = [(r, m) for r in brand_routes("/b/") if "slug" in r.params for m in r.methods]


@pytest.mark.parametrize("route, method", DASHBOARD_OPERATIONS,
                         ids=[f"{m.upper()} {r.template}" for r, m in DASHBOARD_OPERATIONS])
@settings(FUZZ, max_examples=6)
@given(data=st.data())
def test_dashboard_form_never_500(client, brand, owner, ids_cache, route, method, data):
    client.force_login(owner.user)
    values = _own_ids(route, brand, ids_cache)
    if len(route.params) > 1 and data.draw(st.booleans(), label="huge path ids"):
        values = {k: (v if k == "slug" else HUGE) for k, v in values.items()}
    url = route.fill(values)
    query, form = {}, {}
    if method == "post":
        form = data.draw(hostile_params(FORM_NAMES, text_values(), st.sampled_from(TEXT_BAD)), label="form")
    else:
        query = data.draw(hostile_params(QUERY_NAMES, text_values(), st.sampled_from(TEXT_BAD)), label="query")
    if query:
        url += "?" + _query_string(query)
    must_refuse = any(NUL in v for v in [*query.values(), *form.values()])
    before = row_counts(brand)
    response = client.post(url, form) if method == "post" else getattr(client, method)(url)
    _check(response, brand, before, must_refuse=must_refuse, api=False, what=f"{method.upper()} {url} {form!r}")


# --- the customer pages: every route outside /b/ and /api/, as a customer of the brand ------------------------

CUSTOMER_OPERATIONS = [(r, m) for r in customer_routes() for m in r.methods]


@pytest.fixture
def customer_world(brand, store):
    from chats.services import Sender, conversation_for_customer, conversation_for_group, message_send
    from communities.groups.services import group_member_add

    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Mei Lin", email=user.email, user=user)
    group = factories.make_group(brand, "Club", store=store)
    group_member_add(group=group, actor=factories.system(brand), customer=customer)
    conversation = conversation_for_group(group=group)
    conversation_for_customer(customer=customer)  # opened lazily by the first visit: not the input's doing
    message = message_send(conversation=conversation, sender=Sender.of_customer(customer), body="hello",
                           client_msg_id="fuzz-1")
    invite = factories.make_invite(brand, group=group)
    return {"user": user, "customer_id": customer.pk, "group_id": group.pk, "message_id": message.pk,
            "survey_id": ID_FACTORIES["survey_id"](brand), "token": invite.token}


@pytest.mark.parametrize("route, method", CUSTOMER_OPERATIONS,
                         ids=[f"{m.upper()} {r.template}" for r, m in CUSTOMER_OPERATIONS])
@settings(FUZZ, max_examples=8)
@given(data=st.data())
def test_customer_page_never_500(client, brand, customer_world, route, method, data):
    if data.draw(st.booleans(), label="signed in"):
        client.force_login(customer_world["user"])
    else:
        client.logout()
    values = {}
    for name in route.params:
        if name == "token":
            values[name] = data.draw(st.sampled_from([customer_world["token"], "%00", "%C2%B2", "x" * 300, "..",
                                                      "%ED%A0%80", "a%00b"]), label="token")
        else:
            values[name] = data.draw(st.sampled_from([customer_world.get(name, 1), HUGE]), label=name)
    url = route.fill(values)
    query, form = {}, {}
    if method == "post":
        form = data.draw(hostile_params(FORM_NAMES, text_values(), st.sampled_from(TEXT_BAD)), label="form")
    else:
        query = data.draw(hostile_params(QUERY_NAMES, text_values(), st.sampled_from(TEXT_BAD)), label="query")
    if query:
        url += "?" + _query_string(query)
    must_refuse = any(NUL in v for v in [*query.values(), *form.values()]) or "%00" in route.fill(values)
    before = row_counts(brand)
    response = client.post(url, form) if method == "post" else getattr(client, method)(url)
    _check(response, brand, before, must_refuse=must_refuse, api=False, what=f"{method.upper()} {url} {form!r}")
