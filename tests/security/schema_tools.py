"""Reading the OpenAPI schema to sweep every operation of the API with the same bad input."""

from __future__ import annotations

import json
import re

from rest_framework.test import APIClient


def raw_client(user=None) -> APIClient:
    """A client that answers a 500 as a response (as a browser would see it), not by raising."""
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.force_authenticate(user)
    return client


def load_schema() -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    """(path template, method, operation) of every operation in the schema."""
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def fill_path(path: str, ids: dict, **override) -> str:
    """The path with its parameters filled: ``{id}`` from the resource it names; a nested
    one's by its parent's name and its own (``/improvement-plans/{plan_pk}/actions/{id}/``:
    "improvement-plan-actions", as test_schema_conformance names it)."""
    segments = path.removeprefix("/api/v1/").split("/")
    resource = segments[0]
    if "{id}" in segments and segments.index("{id}") > 1:
        resource = f"{resource.removesuffix('s')}-{segments[segments.index('{id}') - 1]}"

    def value(match):
        name = match[1]
        if name in override:
            return str(override[name])
        return str(ids[resource] if name == "id" else ids[name])

    return re.sub(r"\{(\w+)\}", value, path)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def body_properties(schema: dict, operation: dict) -> tuple[str, dict]:
    """The request body's media type and its properties (name -> resolved schema)."""
    content = operation.get("requestBody", {}).get("content", {})
    for media_type in ("application/json", "multipart/form-data"):
        if media_type in content:
            props = resolve(schema, content[media_type]["schema"]).get("properties", {})
            return media_type, {name: resolve(schema, p) for name, p in props.items()}
    return "", {}
