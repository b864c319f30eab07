"""The OpenAPI schema tells the truth (issue 8): schemathesis sends every operation a few
generated requests, valid and invalid, as an officer and as a provider user, and every answer
must be no server error and must match the schema (status code, content type, headers, body).

The requests go through Django's test client (a requests adapter), so they run in the test's
database transaction against the objects of ``api_world``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
import urllib3
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from requests.structures import CaseInsensitiveDict
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.schema_tools import load_schema, operations

pytestmark = pytest.mark.django_db

# Per operation, user and mode. With about 140 operations, 4 keeps the sweep near a minute (about
# 2,500 requests); every operation still gets valid and invalid cases for both users.
EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Revoking the token would leave the rest of the run unauthenticated.
SKIPPED = {("DELETE", "/api/v1/auth/token/")}


class DjangoAdapter(requests.adapters.BaseAdapter):
    """requests, answered by Django's test client."""

    def __init__(self, client: Client):
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        headers = {
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in request.headers.items()
            if name.lower() not in {"content-type", "content-length", "host"}
        }
        answer = self.client.generic(
            request.method,
            url.path + (f"?{url.query}" if url.query else ""),
            data=request.body or b"",
            content_type=request.headers.get("Content-Type", ""),
            **headers,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = b"".join(answer) if answer.streaming else answer.content
        response.headers = CaseInsensitiveDict(answer.items())
        # schemathesis reads the headers from the raw urllib3 response.
        response.raw = urllib3.HTTPResponse(
            headers=urllib3.HTTPHeaderDict(answer.items()), status=answer.status_code, version=11
        )
        response.url = request.url
        response.request = request
        response.reason = answer.reason_phrase
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


def _session(user) -> requests.Session:
    session = requests.Session()
    session.mount("http://testserver", DjangoAdapter(Client(raise_request_exception=False)))
    session.headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    return session


def _ids(operation, world) -> dict:
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    if operation.path.startswith("/api/v1/improvement-plans/{plan_pk}/actions/"):
        resource = "improvement-plan-actions"  # nested: {id} is one of the plan's actions
    names = {p.name for p in operation.path_parameters}
    return {n: world[resource] if n == "id" else world[n] for n in names}


def _takes_input(operation) -> bool:
    """Parameters or a body of its own (the credentials every operation takes aside)."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def _explain(exc: BaseExceptionGroup) -> str:
    return "; ".join(" | ".join(str(e).splitlines()[:8]) for e in exc.exceptions)


def _exercise(operation, mode, session, who: str, ids, failures: list[str]) -> None:
    """A few generated cases of one operation, each answer checked; failures collected."""
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=ids)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(session=session, base_url="http://testserver")
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as exc:
            failures.append(
                f"{who} {case.method} {case.formatted_path} {response.status_code}: "
                f"{_explain(exc)} {response.content[:200]!r}"
            )

    try:
        run()
    except Exception as exc:  # a case schemathesis could not even send
        failures.append(f"{who} {operation.method} {operation.path} ({mode}): {exc}")


def test_every_operation_answers_as_the_schema_says(api_world, officer_olivia, provider_pat):
    schema = schemathesis.openapi.from_dict(load_schema())
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for user in (officer_olivia, provider_pat):
        session = _session(user)
        for operation in operations:
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            # Valid requests on the real objects; invalid ones wherever they land (an operation
            # that takes no input at all, the current memo, has no invalid request to send).
            ids = _ids(operation, api_world)
            _exercise(operation, GenerationMode.POSITIVE, session, user.username, ids, failures)
            if _takes_input(operation):
                _exercise(
                    operation, GenerationMode.NEGATIVE, session, user.username, None, failures
                )
    assert not failures, "\n".join(failures[:40])


def _values(schema: dict, node: dict) -> set:
    """The values an enum-like property allows, through $ref, allOf and oneOf."""
    components = schema["components"]["schemas"]
    if "$ref" in node:
        return _values(schema, components[node["$ref"].rsplit("/", 1)[-1]])
    found = set(node.get("enum", []))
    for part in node.get("allOf", []) + node.get("oneOf", []):
        found |= _values(schema, part)
    if node.get("nullable"):
        found.add(None)
    return found


def test_the_schema_states_what_the_probe_found_it_hid():
    schema = load_schema()
    components = schema["components"]["schemas"]
    # A risk factor's RAG may be n/a (an enum named like a review's rating had said not).
    assert _values(schema, components["RiskFactor"]["properties"]["rag"]) == {
        "green",
        "amber",
        "red",
        "n/a",
    }
    # Choices that may be blank say so; hidden values are null.
    assert "" in _values(schema, components["Review"]["properties"]["rating"])
    assert "" in _values(schema, components["Review"]["properties"]["suggested_rating"])
    assert None in _values(schema, components["Review"]["properties"]["rating"])
    assert "" in _values(schema, components["Comment"]["properties"]["response"])
    # The answers and comments of a review are plain lists: no pages, no filters.
    for path in ("/api/v1/reviews/{id}/answers/", "/api/v1/reviews/{id}/comments/"):
        get = schema["paths"][path]["get"]
        assert [p["name"] for p in get["parameters"]] == ["id"]
        body = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert body["type"] == "array"
    # Every operation says which errors it can answer, each with the shared Error body.
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, method, operation in operations(schema):
        codes = operation["responses"]
        expected = {"403"} if path.endswith("/auth/token/") and method == "post" else {"401", "403"}
        if "{" in path:
            expected.add("404")
        if operation.get("requestBody"):
            expected.add("400")
        if method in {"post", "put", "patch", "delete"} and not path.endswith("/auth/token/"):
            expected.add("409")
        assert expected <= set(codes), (method, path, sorted(codes))
        for code in expected:
            assert codes[code].get("content") in (error, None) or code == "409", (path, code)
    stale = schema["paths"]["/api/v1/reviews/{id}/answers/"]["post"]["responses"]["409"]
    assert stale["content"]["application/json"]["schema"]["$ref"].endswith("/StaleAnswer")
