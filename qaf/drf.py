"""DRF settings hooks (kept apart from qaf.api so importing them does not import viewsets)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser

from qaf.concurrency import BadVersion, StaleEdit
from qaf.inputs import problem_in
from qaf.workflow import Forbidden, NotNow


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class StrictJSONParser(JSONParser):
    """JSON bodies with text nothing can store (NUL, a lone surrogate such as ``"\\ud800"``)
    or a number beyond any field (``1e309``) are a 400 naming the field, for every endpoint:
    before, DRF quoted the surrogate back in its error and could not encode its own answer.
    A body nested deeper than Python's JSON reader can follow (``[[[[...]]]]``) is a 400 too,
    not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            problem = problem_in(data)
        except RecursionError as exc:
            raise exceptions.ParseError(
                "JSON parse error - the body is nested too deep (arrays or objects within "
                "each other); send a flatter document."
            ) from exc
        if problem:
            raise exceptions.ParseError(problem)
        return data


class ScopedOrderingFilter(OrderingFilter):
    """``?ordering=`` on the view's ``ordering_fields``, less its ``staff_only_ordering`` for
    provider users: a field they see only on some rows (an unannounced visit's date) would
    otherwise show, by the order, where the hidden values fall. Such a field is ignored, as
    DRF ignores any field it does not offer. (Filters: ``ScopedFilterSet.staff_only_filters``.)
    """

    def get_valid_fields(self, queryset, view, context=None):
        fields = super().get_valid_fields(queryset, view, context)
        request = (context or {}).get("request")
        if getattr(getattr(request, "user", None), "is_provider_user", False):
            hidden = set(getattr(view, "staff_only_ordering", ()))
            fields = [field for field in fields if field[0] not in hidden]
        return fields


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is not in a state that allows this."
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, plus: model validation and a version that is not one are a 400, a stale
    edit a 409, and a workflow step the rules refuse (qaf.workflow) a 403 (``Forbidden``: not for
    this user) or a 409 (``NotNow``: not in this state), each with its reason; never a 500."""
    if isinstance(exc, BadVersion):
        exc = exceptions.ValidationError({"version": [str(exc)]})
    elif isinstance(exc, Forbidden):
        exc = exceptions.PermissionDenied(exc.reason)
    elif isinstance(exc, NotNow):
        exc = Conflict(exc.reason)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, StaleEdit):
        exc = Conflict(str(exc))
    elif isinstance(exc, IntegrityError):
        exc = Conflict("The change conflicts with other data and was not saved.")
    # Imported here: rest_framework.views reads the parser and pagination settings, which name
    # classes of this module, so importing it at the top made a cycle whenever DRF's pagination
    # system check was the first to import this module (the order of checks is not fixed).
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)
