"""Reading the OpenAPI schema to sweep every operation of the API with the same bad input, and
``sweep``: schemathesis's generated requests for every operation, each answer checked against
the schema (tests/security/test_schema_conformance.py, and bench/fuzz_api.py's longer run)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
import urllib3
from django.test import Client
from requests.structures import CaseInsensitiveDict
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


# --- schemathesis ---------------------------------------------------------------------------

# Revoking the token would leave the rest of the run unauthenticated.
SKIPPED = {("DELETE", "/api/v1/auth/token/")}


def checks() -> list:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]


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


def token_session(user) -> requests.Session:
    from rest_framework.authtoken.models import Token

    session = requests.Session()
    session.mount("http://testserver", DjangoAdapter(Client(raise_request_exception=False)))
    session.headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    return session


def path_ids(operation, world) -> dict:
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    if operation.path.startswith("/api/v1/improvement-plans/{plan_pk}/actions/"):
        resource = "improvement-plan-actions"  # nested: {id} is one of the plan's actions
    names = {p.name for p in operation.path_parameters}
    return {n: world[resource] if n == "id" else world[n] for n in names}


def takes_input(operation) -> bool:
    """Parameters or a body of its own (the credentials every operation takes aside)."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


@dataclass
class SweepResult:
    operations: int = 0
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    by_check: Counter = field(default_factory=Counter)

    def write(self, path: str) -> None:
        with open(path, "w") as out:
            json.dump(
                {
                    "operations": self.operations,
                    "requests": self.requests,
                    "failures": self.failures,
                    "by_check": dict(self.by_check),
                },
                out,
                indent=1,
            )


def _explain(exc: BaseExceptionGroup) -> str:
    return "; ".join(" | ".join(str(e).splitlines()[:8]) for e in exc.exceptions)


def _exercise(operation, mode, session, who: str, ids, examples: int, result: SweepResult):
    """Generated cases of one operation, each answer checked; failures collected."""
    from hypothesis import HealthCheck, Phase, given, settings

    strategy = operation.as_strategy(generation_mode=mode, path_parameters=ids)
    sweep_checks = checks()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(session=session, base_url="http://testserver")
        result.requests += 1
        try:
            case.validate_response(response, checks=sweep_checks)
        except BaseExceptionGroup as exc:
            for failure in exc.exceptions:
                check = ", ".join(getattr(failure, "checks", ())) or type(failure).__name__
                result.by_check[check] += 1
            result.failures.append(
                f"{who} {case.method} {case.formatted_path} {response.status_code}: "
                f"{_explain(exc)} {response.content[:200]!r}"
            )

    try:
        run()
    except Exception as exc:  # a case schemathesis could not even send
        result.by_check["not sent"] += 1
        result.failures.append(f"{who} {operation.method} {operation.path} ({mode}): {exc}")


def sweep(world: dict, users, *, examples: int) -> SweepResult:
    """Every operation of the schema, as each of ``users``: up to ``examples`` valid requests
    on the objects of ``world`` and, where it takes input, as many invalid ones; every answer
    must be no server error and match the schema (status, content type, headers, body)."""
    import schemathesis
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_dict(load_schema())
    all_operations = [r.ok() for r in schema.get_all_operations()]
    result = SweepResult(operations=len(all_operations))
    for user in users:
        session = token_session(user)
        for operation in all_operations:
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            # Valid requests on the real objects; invalid ones wherever they land (an operation
            # that takes no input at all, the current memo, has no invalid request to send).
            ids = path_ids(operation, world)
            mode = GenerationMode.POSITIVE
            _exercise(operation, mode, session, user.username, ids, examples, result)
            if takes_input(operation):
                mode = GenerationMode.NEGATIVE
                _exercise(operation, mode, session, user.username, None, examples, result)
    return result
