"""The served schema (/api/schema/) tells the truth: cursor pages, the error object, links, strict input.

CI also fuzzes the served schema with schemathesis (`make schemathesis`, tests/schemathesis_run.py);
these tests pin what the base classes promise so a regression shows up in the normal suite.
"""

import pytest
import yaml
from rest_framework.test import APIClient

from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db

LIST_KEYS = {"results", "next", "previous"}


@pytest.fixture(scope="module")
def schema():
    from django.test import Client

    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _ref_name(node: dict) -> str:
    return node["$ref"].rsplit("/", 1)[-1]


def _json_schema(response: dict) -> dict:
    return response["content"]["application/json"]["schema"]


def test_every_list_operation_describes_its_cursor_page(schema, api, store):
    components = schema["components"]["schemas"]
    lists = [(path, op) for path, method, op in _operations(schema)
             if method == "get" and any(p["name"] == "cursor" for p in op.get("parameters", []))]
    assert len(lists) >= 14
    for path, operation in lists:
        page = components[_ref_name(_json_schema(operation["responses"]["200"]))]
        assert set(page["properties"]) == LIST_KEYS, path
        assert page["properties"]["results"]["type"] == "array", path
        assert page["properties"]["next"]["nullable"] is True
        if "{" not in path:  # and what it answers has that shape
            body = api.get(path).json()
            assert set(body) == LIST_KEYS, path


def test_messages_page_is_described_without_a_cursor(schema):
    operation = schema["paths"]["/api/v1/conversations/{conversation_id}/messages/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"after_seq", "limit"} <= names and "cursor" not in names
    page = schema["components"]["schemas"][_ref_name(_json_schema(operation["responses"]["200"]))]
    assert set(page["properties"]) == LIST_KEYS
    message = schema["components"]["schemas"][_ref_name(page["properties"]["results"]["items"])]
    assert {"id", "conversation", "seq", "sender_type", "body", "client_msg_id", "created_at"} <= set(
        message["properties"])


def test_every_operation_documents_its_errors_with_the_error_object(schema):
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"400", "401", "403", "429"}
        if "{" in path:
            expected.add("404")
        if method in ("post", "patch", "put", "delete"):
            expected.add("409")
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in responses:
            if code >= "400":
                assert _ref_name(_json_schema(responses[code])) == "Error", (method, path, code)
        assert "Retry-After" in responses["429"]["headers"]


def test_a_delete_that_answers_the_object_is_documented_as_200(schema, api, brand):
    operation = schema["paths"]["/api/v1/invites/{invite_id}/"]["delete"]
    assert set(operation["responses"]) & {"200", "204"} == {"200"}
    invite = api.post("/api/v1/invites/", {"group": factories.make_group(brand).pk}, format="json").json()
    assert api.delete(f"/api/v1/invites/{invite['id']}/").status_code == 200


def test_created_ids_link_to_read_update_delete(schema):
    links = schema["paths"]["/api/v1/segments/"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "segments_retrieve", "segments_partial_update", "segments_destroy"}
    assert all(link["parameters"] == {"segment_id": "$response.body#/id"} for link in links.values())
    listed = schema["paths"]["/api/v1/conversations/"]["get"]["responses"]["200"]["links"]
    assert listed["conversations_retrieve"]["parameters"] == {"conversation_id": "$response.body#/results/0/id"}


def test_error_answers_match_the_documented_object(api, brand):
    api_error(APIClient().get("/api/v1/stores/"), 401, "not_authenticated")
    api_error(api.get("/api/v1/stores/999999/"), 404, "not_found")
    api_error(api.post("/api/v1/stores/", {}, format="json"), 400, "invalid")


# --- request bodies and parameters that violate the schema are refused, not coerced -------------------


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/stores/", {"name": 0}, "name"),                       # an integer where a string is documented
    ("/api/v1/groups/", {"name": "VIP", "capacity": "10"}, "capacity"),  # a string where an integer is
    ("/api/v1/groups/", {"name": "VIP", "announce_only": "yes"}, "announce_only"),
    ("/api/v1/groups/", {"name": "VIP", "capacity": True}, "capacity"),  # a boolean is not an integer
    ("/api/v1/surveys/", {"title": "T", "questions": [{"kind": "text", "text": 5}]}, "questions"),
])
def test_wrong_json_types_are_400_not_coerced(api, brand, path, body, field):
    error = api_error(api.post(path, body, format="json"), 400, "invalid")
    assert field in error["fields"]
    assert api.get(path).json()["results"] == []


def test_bodies_are_json_only_where_the_schema_says_so(schema, api, brand):
    for path, method, operation in _operations(schema):
        if "requestBody" in operation:
            expected = {"multipart/form-data"} if path == "/api/v1/customers/import/" else {"application/json"}
            assert set(operation["requestBody"]["content"]) == expected, (method, path)
    api_error(api.post("/api/v1/stores/", {"name": "Flagship"}, format="multipart"), 415, "unsupported_media_type")
    assert api.get("/api/v1/stores/").json()["results"] == []


@pytest.mark.parametrize("query", ["limit=null", "limit=0", "limit=201", "limit=%C2%B2", "limit=5&limit=6",
                                   "cursor=not-a-cursor"])
def test_bad_page_parameters_are_400(api, brand, query):
    error = api_error(api.get(f"/api/v1/stores/?{query}"), 400, "invalid")
    assert set(error["fields"]) & {"limit", "cursor"}


def test_limit_within_range_pages(api, brand):
    factories.make_store(brand, "One")
    factories.make_store(brand, "Two")
    body = api.get("/api/v1/stores/?limit=1").json()
    assert len(body["results"]) == 1 and body["next"]
    assert len(api.get(body["next"]).json()["results"]) == 1


@pytest.mark.parametrize("path", ["/api/v1/segments/?count=null", "/api/v1/groups/?archived=maybe"])
def test_a_boolean_query_parameter_that_is_not_one_is_400(api, brand, path):
    error = api_error(api.get(path), 400, "invalid")
    assert error["fields"]


def test_boolean_query_parameters_still_filter(api, brand):
    factories.make_group(brand, "Old", archived=True)
    assert api.get("/api/v1/groups/?archived=true").json()["results"]
    assert api.get("/api/v1/groups/").json()["results"] == []
    assert api.get("/api/v1/segments/?count=false").status_code == 200


def test_enum_filters_are_documented_as_enums(schema, api, brand):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    assert sorted(parameters["status"]["schema"]["enum"]) == sorted(
        ["placed", "paid", "shipped", "delivered", "cancelled", "refunded"])
    api_error(api.get("/api/v1/orders/?status=lost"), 400, "invalid")
