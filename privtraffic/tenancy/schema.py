"""The served OpenAPI schema tells the truth about the API base (drf-spectacular).

- `ApiKeyAuthenticationScheme`: the Bearer scheme of the API keys.
- `BrandAutoSchema` (settings DEFAULT_SCHEMA_CLASS): every operation of a `BrandAPIView` documents
  its error responses with the one error object (`Error`), derived from the method and the path;
  a view adds what only it answers with `schema_extra_errors = {"post": (410,)}`. List operations
  (`responses=X(many=True)`) describe their cursor page because the base sets `pagination_class`.
- `add_crud_links` (a postprocessing hook): OpenAPI links from a POST's 201 `id` to the operations on
  `{id}` paths below it, so a client generator (or schemathesis) can go create -> read -> update -> delete.
"""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "privtraffic.tenancy.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A brand's API key: `Authorization: Bearer pt_...`"}


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every failure of the API: `{\"error\": {code, message, fields}}`.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "snake_case and stable: branch on it (not_found, invalid, ...)"},
                "message": {"type": "string", "description": "human readable and translated; may change"},
                "fields": {"type": "object", "additionalProperties": {},
                           "description": "per input field, a list of messages (nested for nested input)"},
            },
            "required": ["code", "message", "fields"],
        },
    },
    "required": ["error"],
}

ERROR_DESCRIPTIONS = {
    400: "invalid input (`invalid`, with `fields`), a bad query parameter or cursor",
    401: "missing or bad API key",
    403: "the key may not do this",
    404: "no such object in this brand (unknown and other brands' ids look the same)",
    409: "a conflict: duplicate, wrong state, or an Idempotency-Key reused with another body",
    410: "gone: expired or used up",
    415: "unsupported Content-Type",
    429: "too many requests for this key: wait `Retry-After` seconds",
}
_BODY_METHODS = {"POST", "PUT", "PATCH"}
_QUERY_PARAMS_WITHOUT_IDS = {"cursor", "limit", "search", "tag", "status", "count", "archived", "purpose"}


class BrandAutoSchema(AutoSchema):
    def error_statuses(self, operation: dict) -> set[int]:
        """What this operation can answer besides success, from its method, path and parameters."""
        statuses = {400, 401, 403, 429}
        has_body = self.method in _BODY_METHODS and bool(operation.get("requestBody"))
        id_params = [p for p in operation.get("parameters", ())
                     if p.get("in") == "path" or (p.get("in") == "query" and p["name"] not in _QUERY_PARAMS_WITHOUT_IDS)]
        if id_params or has_body:  # an unknown id in the path, a filter or the body
            statuses.add(404)
        if self.method in _BODY_METHODS | {"DELETE"}:
            statuses.add(409)
        if has_body:
            statuses.add(415)
        extra = getattr(self.view, "schema_extra_errors", {})
        statuses.update(extra.get(self.method.lower(), ()))
        return statuses

    def _get_response_bodies(self, direction="response"):
        # drf-spectacular assumes a DELETE answers 204; ours that return the removed object answer 200.
        responses = super()._get_response_bodies(direction)
        serializer = self.get_response_serializers()
        if self.method == "DELETE" and set(responses) == {"204"} and serializer is not None \
                and not isinstance(serializer, dict):
            responses = {"200": self._get_response_for_code(serializer, "200", direction=direction)}
        return responses

    def _get_pagination_parameters(self):
        parameters = super()._get_pagination_parameters()
        if getattr(self.view, "schema_cursor_parameter", True) is False:
            parameters = [p for p in parameters if p["name"] != "cursor"]
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        from .api import BrandAPIView  # the base imports this module's settings users at load

        if operation is None or not isinstance(self.view, BrandAPIView):
            return operation
        component = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)
        self.registry.register_on_missing(component)
        error_ref = component.ref
        responses = operation["responses"]
        for status in sorted(self.error_statuses(operation)):
            response = responses.setdefault(str(status), {"description": ERROR_DESCRIPTIONS[status]})
            response.setdefault("content", {"application/json": {"schema": error_ref}})
            if status == 429:
                response["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                       "description": "seconds to wait before retrying"}}
        return operation


_METHODS = ("get", "put", "patch", "delete", "post")


def add_crud_links(result, generator, request, public):
    """Link a POST's created `id`, and a list's first `results` id, to the `{id}` operations below the path."""
    paths = result.get("paths", {})
    schemas = result.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        if "{" in path:
            continue
        created = next((item.get("post", {}).get("responses", {}).get(code) for code in ("201", "202")
                        if code in item.get("post", {}).get("responses", {})), None)
        if created and _has_id(created, schemas, list_page=False):
            _link(created, path, paths, "$response.body#/id")
        listed = item.get("get", {}).get("responses", {}).get("200")
        if listed and _has_id(listed, schemas, list_page=True):
            _link(listed, path, paths, "$response.body#/results/0/id")
    return result


def _link(response: dict, path: str, paths: dict, expression: str) -> None:
    links = {}
    for other, other_item in paths.items():
        match = re.fullmatch(re.escape(path) + r"\{(\w+)\}/([^{]*)", other)  # one id: the one answered
        if not match:
            continue
        for method in _METHODS:
            operation = other_item.get(method)
            if operation:
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": {match.group(1): expression},
                }
    if links:
        response["links"] = links


def _has_id(response: dict, schemas: dict, *, list_page: bool) -> bool:
    schema = _resolve(response.get("content", {}).get("application/json", {}).get("schema", {}), schemas)
    if list_page:
        schema = _resolve(schema.get("properties", {}).get("results", {}).get("items", {}), schemas)
    return "id" in schema.get("properties", {})


def _resolve(schema: dict, schemas: dict) -> dict:
    ref = schema.get("$ref", "")
    return schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
