"""Issue 13's list of inputs that answered 500: each is now a clear 4xx that writes nothing.

Unicode digits ("²" passes str.isdigit() but not int()), integers beyond 64 bits, NUL bytes and lone
surrogates (PostgreSQL and UTF-8 refuse them), and JSON nested 100,000 deep (RecursionError).
"""

import json

import pytest

from chats.services import conversation_for_customer, conversation_for_group
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error
from tests.isolation import ID_FACTORIES, brand_row_counts

pytestmark = pytest.mark.django_db

SUPERSCRIPT_TWO = "%C2%B2"  # "²"
ARABIC_ONE = "%D9%A1"  # "١"
BEYOND_64_BITS = "11107800874153666412544"


@pytest.fixture
def world(brand, store):
    from crm.models import Survey
    from crm.surveys.services import survey_activate

    customer = factories.make_customer(brand, "Mei Lin")
    group = factories.make_group(brand, "Club", store=store)
    survey = ID_FACTORIES["survey_id"](brand)
    survey_activate(survey=Survey.objects.get(pk=survey), actor=factories.system(brand))
    return {"customer": customer, "group": group, "group_conv": conversation_for_group(group=group),
            "direct": conversation_for_customer(customer=customer), "survey": survey}


def _assert_refused(response, brand, before, *, code=None):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if code is not None:
        api_error(response, response.status_code, code)
    assert brand_row_counts(brand) == before


# --- ids and whole numbers in API query parameters ----------------------------------------------------------

API_INT_FILTERS = [
    "/api/v1/orders/?customer={v}",
    "/api/v1/customers/?segment={v}",
    "/api/v1/reps/?store={v}",
    "/api/v1/groups/?store={v}",
    "/api/v1/invites/?group={v}",
    "/api/v1/conversations/?group={v}",
    "/api/v1/conversations/?customer={v}",
    "/api/v1/conversations/{direct}/messages/?after_seq={v}",
    "/api/v1/customers/export.csv?segment={v}",
]


@pytest.mark.parametrize("value", [SUPERSCRIPT_TWO, ARABIC_ONE, BEYOND_64_BITS, str(2**64), "-1", "1.5", "", "%20"])
@pytest.mark.parametrize("template", API_INT_FILTERS)
def test_api_integer_filters_refuse_non_ascii_digits_and_huge_numbers(api, brand, world, template, value):
    before = brand_row_counts(brand)
    response = api.get(template.format(v=value, direct=world["direct"].pk))
    _assert_refused(response, brand, before, code="invalid")


def test_api_integer_filter_still_takes_a_real_id(api, world):
    response = api.get(f"/api/v1/groups/?store={world['group'].store_id}")
    assert response.status_code == 200
    assert [g["id"] for g in response.json()["results"]] == [world["group"].pk]


@pytest.mark.parametrize("path", ["/api/v1/orders/?status=", "/api/v1/orders/?status=shipped-ish",
                                  "/api/v1/customers/{customer}/reach/?purpose=", "/api/v1/customers/{customer}/reach/?purpose=ads",
                                  "/api/v1/groups/?archived=", "/api/v1/groups/?archived=maybe",
                                  "/api/v1/segments/?count=", "/api/v1/segments/?count=yes"])
def test_api_enum_and_boolean_filters_refuse_empty_and_unknown_values(api, brand, world, path):
    before = brand_row_counts(brand)
    response = api.get(path.format(customer=world["customer"].pk))
    _assert_refused(response, brand, before, code="invalid")


def test_dashboard_filter_sent_empty_means_all(login, owner, brand, world):
    response = login(owner).get(f"/b/{brand.slug}/groups/?store=&q=")
    assert response.status_code == 200
    assert world["group"].name in response.content.decode()


# --- NUL bytes and lone surrogates: query parameters and JSON bodies ----------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/customers/?search=a%00b", "/api/v1/customers/?tag=%00",
                                  "/api/v1/groups/{group}/members/?search=%00", "/api/v1/orders/?status=%00"])
def test_api_query_with_nul_is_refused(api, brand, world, path):
    before = brand_row_counts(brand)
    response = api.get(path.format(group=world["group"].pk))
    _assert_refused(response, brand, before, code="invalid_characters")


def _raw_post(api, path, text):
    return api.generic("POST", path, text.encode("utf-8", "surrogatepass"), content_type="application/json")


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff"])
@pytest.mark.parametrize("case", ["customer_name", "customer_attribute", "customer_tag", "message_body",
                                  "card_payload", "segment_value", "survey_answer"])
def test_api_json_with_nul_or_lone_surrogate_is_refused(api, brand, world, case, escape):
    customer, survey = world["customer"], world["survey"]
    path, doc = {
        "customer_name": ("/api/v1/customers/", '{"name": "Mei%s", "email": "mei@example.com"}'),
        "customer_attribute": (f"/api/v1/customers/{customer.pk}/", '{"attributes": {"skin": "oily%s"}}'),
        "customer_tag": ("/api/v1/customers/", '{"name": "Ann", "tags": ["vip%s"]}'),
        "message_body": (f"/api/v1/conversations/{world['direct'].pk}/messages/", '{"body": "hi%s", "client_msg_id": "m1"}'),
        "card_payload": (f"/api/v1/conversations/{world['direct'].pk}/messages/",
                         '{"body": "", "kind": "product", "payload": {"sku": "x%s"}, "client_msg_id": "m2"}'),
        "segment_value": ("/api/v1/segments/preview/",
                          '{"definition": {"all": [{"field": "tag", "op": "eq", "value": "v%s"}]}}'),
        "survey_answer": (f"/api/v1/surveys/{survey}/responses/", '{"customer": ' + str(customer.pk) + ', "answers": {"1": "Oily%s"}}'),
    }[case]
    before = brand_row_counts(brand)
    text = doc % escape
    response = (api.generic("PATCH", path, text.encode(), content_type="application/json") if case == "customer_attribute"
                else _raw_post(api, path, text))
    _assert_refused(response, brand, before, code="invalid_characters")


def test_api_json_nested_100000_deep_is_a_400(api, brand):
    before = brand_row_counts(brand)
    deep = "[" * 100_000 + "]" * 100_000
    _assert_refused(_raw_post(api, "/api/v1/customers/", deep), brand, before, code="too_deep")
    nested = '{"definition": ' + '{"all": [' * 40 + "]}" * 40 + "}"
    _assert_refused(_raw_post(api, "/api/v1/segments/preview/", nested), brand, before, code="too_deep")


def test_api_multipart_field_with_nul_is_refused(api, brand):
    """Multipart is taken only by the CSV import (everything else is JSON, 415): its text fields are checked too."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = brand_row_counts(brand)
    upload = SimpleUploadedFile("people.csv", b"name,email\nMei,mei@example.com\n", content_type="text/csv")
    response = api.post("/api/v1/customers/import/", {"file": upload, "mapping": '{"name": "na\x00me"}'},
                        format="multipart")
    _assert_refused(response, brand, before, code="invalid_characters")
    response = api.post("/api/v1/customers/", {"name": "Mei\x00", "email": "mei@example.com"}, format="multipart")
    assert response.status_code == 415
    _assert_refused(response, brand, before, code="unsupported_media_type")


# --- segment preview values and survey answer keys ----------------------------------------------------------

@pytest.mark.parametrize("condition", [
    {"field": "home_store", "op": "eq", "value": "²"},
    {"field": "home_store", "op": "eq", "value": BEYOND_64_BITS},
    {"field": "assigned_rep", "op": "eq", "value": "١"},
    {"field": "order_count", "op": "gt", "value": 2**64},
    {"field": "in_group", "op": "eq", "value": "²"},
    {"field": "survey_answer", "op": "eq", "question": "²", "value": "Oily"},
    {"field": "survey_answer", "op": "eq", "question": 2**64, "value": "Oily"},
])
def test_segment_preview_values_refuse_unicode_digits_and_huge_numbers(api, brand, condition):
    response = api.post("/api/v1/segments/preview/", {"definition": {"all": [condition]}}, format="json")
    api_error(response, 400, "invalid")


@pytest.mark.parametrize("key", ["²", "q²", "١", BEYOND_64_BITS, "q" + str(2**64), "-1"])
def test_survey_answer_keys_refuse_unicode_digits(api, brand, world, key):
    before = brand_row_counts(brand)
    response = api.post(f"/api/v1/surveys/{world['survey']}/responses/",
                        {"customer": world["customer"].pk, "answers": {key: "Oily"}}, format="json")
    _assert_refused(response, brand, before, code="invalid")


# --- dashboard filters and forms ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "team/?store={v}", "groups/?store={v}", "customers/?segment={v}", "customers/transfer/?from_rep={v}",
])
@pytest.mark.parametrize("value", [SUPERSCRIPT_TWO, ARABIC_ONE, BEYOND_64_BITS])
def test_dashboard_filters_never_500(login, owner, brand, path, value):
    before = brand_row_counts(brand)
    response = login(owner).get(f"/b/{brand.slug}/" + path.format(v=value))
    assert response.status_code in (200, 400), response.status_code
    assert brand_row_counts(brand) == before


@pytest.mark.parametrize("path", ["customers/?q=%00", "groups/?q=a%00", "inbox/?q=%00", "groups/{group}/members/?q=%00",
                                  "team/?role=%00"])
def test_dashboard_search_with_nul_is_a_friendly_400(login, owner, brand, world, path):
    response = login(owner).get(f"/b/{brand.slug}/" + path.format(group=world["group"].pk))
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert b"not allowed" in response.content


def test_dashboard_form_with_nul_writes_nothing(login, owner, brand):
    before = brand_row_counts(brand)
    response = login(owner).post(f"/b/{brand.slug}/stores/", {"name": "Shop\x00", "timezone": "UTC"})
    assert response.status_code == 400
    assert brand_row_counts(brand) == before


@pytest.mark.parametrize("route", ["question_id", "rule_id"])
def test_dashboard_survey_ids_beyond_64_bits_are_404(login, owner, brand, world, route):
    survey = world["survey"]
    path = {"question_id": f"surveys/{survey}/questions/{2**64}/delete/",
            "rule_id": f"surveys/{survey}/rules/{BEYOND_64_BITS}/delete/"}[route]
    before = brand_row_counts(brand)
    response = login(owner).post(f"/b/{brand.slug}/" + path)
    assert response.status_code == 404
    assert brand_row_counts(brand) == before


@pytest.mark.parametrize("field", ["report_id", "reply_id"])
def test_dashboard_post_ids_in_unicode_digits_are_not_found(login, owner, brand, field):
    path = {"report_id": "moderation/", "reply_id": "quick-replies/"}[field]
    response = login(owner).post(f"/b/{brand.slug}/{path}", {field: "²", "action": "delete"})
    assert response.status_code in (302, 400, 404)


# --- customer pages -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "qr.svg", "qr.png", "complete/"])
def test_join_with_nul_token_is_refused_without_login(client, suffix):
    response = client.get(f"/join/%00/{suffix}")
    assert response.status_code in (400, 404)


def test_customer_chat_post_and_report_with_nul_write_nothing(client, brand, world):
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Ann", user=user)
    from communities.groups.services import group_member_add
    group_member_add(group=world["group"], actor=factories.system(brand), customer=customer)
    client.force_login(user)
    before = brand_row_counts(brand)
    response = client.post(f"/chat/group/{world['group'].pk}/", {"body": "hi\x00", "client_msg_id": "c1"})
    assert response.status_code == 400
    message = ID_FACTORIES["message_id"](brand)
    before = brand_row_counts(brand)
    response = client.post(f"/chat/messages/{message}/report/", {"reason": "spam\x00"})
    assert response.status_code == 400
    assert brand_row_counts(brand) == before


def test_rows_unchanged_helper_sees_writes(brand):
    # The "no write" assertions above compare these counts: make sure they move when something is written.
    before = brand_row_counts(brand)
    factories.make_member(brand, Role.REP)
    assert brand_row_counts(brand) != before


def test_json_dumps_of_refusal_is_the_contract_object(api):
    response = api.get("/api/v1/customers/?search=%00")
    body = json.loads(response.content)
    assert set(body["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("next_url", ["1", "home", "chats:customer_home", "https://evil.example/"])
def test_customer_report_next_that_is_not_a_path_goes_home(client, brand, world, next_url):
    # Found by test_hostile_property: redirect("1") read the value as a URL name (NoReverseMatch, a 500).
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Ann", user=user)
    from communities.groups.services import group_member_add
    group_member_add(group=world["group"], actor=factories.system(brand), customer=customer)
    client.force_login(user)
    message = ID_FACTORIES["message_id"](brand)
    from chats.models import Message
    Message.objects.filter(pk=message).update(conversation=world["group_conv"])
    response = client.post(f"/chat/messages/{message}/report/", {"reason": "spam", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/chat/"


@pytest.mark.parametrize("next_url", ["1", "home"])
def test_survey_skip_next_that_is_not_a_path_goes_home(client, brand, world, next_url):
    user = factories.make_user(password=None)
    factories.make_customer(brand, "Ann", user=user)
    client.force_login(user)
    response = client.post(f"/s/{world['survey']}/", {"action": "skip", "next": next_url})
    assert response.status_code == 302, response.status_code
    assert response["Location"] == "/chat/"
