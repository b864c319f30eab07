"""The OpenAPI schema says which errors each operation can answer (issue 8).

One postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) adds them with one
shared ``Error`` body, from what every operation has in common here:

- 401: not signed in, or the token is unknown or expired (all but getting a token);
- 403: the role may not do this (``qaf.scoping.can``), or staff owe their two-factor code;
- 404: an id in the path outside the user's scope, or a list page past the last;
- 400: a body or a query parameter that is refused, each field named with its reasons;
- 409: a change the object's state or a colleague's newer save refuses (every write).

An operation that declares one of these itself (an answer's 409 with the server's copy) keeps
its own.
"""

from __future__ import annotations

ERROR = {
    "type": "object",
    "description": "Why the request was refused: `detail`, or for a 400 each refused field "
    "(or `non_field_errors`) with a list of reasons.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

REASONS = {
    "400": "Refused input: each field with its reasons, or `detail`.",
    "401": "Not signed in, or the token is unknown or has expired.",
    "403": "The user's role does not allow this (or staff owe their two-factor code).",
    "404": "Not found, or not visible to this user.",
    "409": "The object's state, or a newer save by someone else, does not allow this.",
}

WRITES = {"post", "put", "patch", "delete"}
TOKEN_PATH = "/api/v1/auth/token/"  # noqa: S105 - a path, not a password


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            params = operation.get("parameters", [])
            codes = {"400", "401", "403", "404"}
            if path == TOKEN_PATH and method == "post":
                codes = {"400", "403"}  # anyone may ask; a locked-out name is refused
            if not operation.get("requestBody") and not any(p["in"] == "query" for p in params):
                codes.discard("400")
            paginated = any(p["name"] == "page" for p in params)
            if "{" not in path and not paginated:
                codes.discard("404")
            if method in WRITES and path != TOKEN_PATH:
                codes.add("409")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                declared = responses.setdefault(code, {"description": REASONS[code]})
                declared.setdefault("content", error)
    return result
