"""Text that nothing can store, refused at the door: a 400 with the reason, never a 500.

Two kinds of character reach Python but not the database or the JSON we answer with:

- NUL (U+0000): PostgreSQL refuses it in text;
- a lone UTF-16 surrogate (U+D800 to U+DFFF, e.g. JSON's ``"\\ud800"``): not a Unicode
  character at all, so it cannot be encoded as UTF-8, neither for PostgreSQL nor in an error
  message that quotes it back.

``StrictJSONParser`` (every API body, ``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``) and
``BadInputMiddleware`` (query strings and form posts, pages and API alike) ask the same
question, ``problem_in``. JSON numbers too large for any field (``1e309``, which Python reads as
infinity) are refused by the parser as well.

``BadInputMiddleware`` is also the pages' last line: a model's validation (``full_clean`` in a
service) that a page's form did not foresee is a 400 saying what is wrong, not a 500. (The API
answers those itself: ``qaf.drf.exception_handler``.)
"""

from __future__ import annotations

import logging
import math
import re

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.template.response import TemplateResponse

logger = logging.getLogger(__name__)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str:
    """Why ``value`` cannot be stored, or ""."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return ""
    if found.group() == "\x00":
        return "contains a NUL character, which cannot be stored"
    return (
        f"contains a lone surrogate (U+{ord(found.group()):04X}), which is not a Unicode character"
    )


def problem_in(data: object, where: str = "") -> str:
    """The first value in ``data`` (JSON: dicts, lists, strings, numbers) that cannot be
    stored, named by its place, or ""."""
    if isinstance(data, str):
        problem = text_problem(data)
        return f"{where or 'The value'} {problem}" if problem else ""
    if isinstance(data, float) and not math.isfinite(data):
        return f"{where or 'The value'} is a number too large to store"
    if isinstance(data, dict):
        for key, value in data.items():
            problem = text_problem(str(key))
            if problem:
                return f"A field name {problem}"
            problem = problem_in(value, f"{where}.{key}" if where else str(key))
            if problem:
                return problem
    elif isinstance(data, list | tuple):
        for n, value in enumerate(data):
            problem = problem_in(value, f"{where}[{n}]")
            if problem:
                return problem
    return ""


def _querydict_problem(data) -> str:
    for key, values in data.lists():
        problem = text_problem(key)
        if problem:
            return f"A parameter name {problem}"
        for value in values:
            problem = problem_in(value, key)
            if problem:
                return problem
    return ""


class BadInputMiddleware:
    """Query strings and form posts (pages and API) with text nothing can store: a 400 naming
    the parameter, before any view, form, login attempt or query sees it. And a model
    ``ValidationError`` escaping a page view: a 400 with its messages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _querydict_problem(request.GET)
        if not problem and request.method == "POST":
            problem = _querydict_problem(request.POST) or next(
                (
                    f"The name of an uploaded file {text_problem(f.name)}"
                    for f in request.FILES.values()
                    if text_problem(f.name)
                ),
                "",
            )
        if problem:
            return refuse(request, problem)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ValidationError):
            return None
        # The view's form should have said this: worth fixing there, so it is logged.
        logger.warning("%s: a model refused what the form let through: %s", request.path, exception)
        return refuse(request, "; ".join(exception.messages).rstrip("."))


def refuse(request, reason: str):
    """A 400 with ``reason``: JSON for the API, the "cannot use what you sent" page else."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": reason}, status=400)
    response = TemplateResponse(request, "400.html", {"reason": reason}, status=400)
    return response.render()
