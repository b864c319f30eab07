"""The OpenAPI schema tells the truth (issue 8): schemathesis sends every operation a few
generated requests, valid and invalid, as an officer and as a provider user, and every answer
must be no server error and must match the schema (status code, content type, headers, body).

The requests go through Django's test client (a requests adapter, ``schema_tools.sweep``), so
they run in the test's database transaction against the objects of ``api_world``.
"""

from __future__ import annotations

import os

import pytest

from tests.security.schema_tools import load_schema, operations, sweep

pytestmark = pytest.mark.django_db

# Per operation, user and mode. With about 140 operations, 4 keeps the sweep near a minute (about
# 2,500 requests); every operation still gets valid and invalid cases for both users.
# bench/fuzz_api.py runs this same test with many more (QAF_FUZZ_EXAMPLES) and a report file.
EXAMPLES = int(os.environ.get("QAF_FUZZ_EXAMPLES", "4"))


def test_every_operation_answers_as_the_schema_says(api_world, officer_olivia, provider_pat):
    result = sweep(api_world, (officer_olivia, provider_pat), examples=EXAMPLES)
    assert result.operations >= 40
    if os.environ.get("QAF_FUZZ_REPORT"):
        result.write(os.environ["QAF_FUZZ_REPORT"])
    assert not result.failures, "\n".join(result.failures[:40])


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
