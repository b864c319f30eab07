"""DRF settings hooks (kept apart from qaf.api so importing them does not import viewsets)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

from qaf.concurrency import StaleEdit
from qaf.workflow import Forbidden, NotNow


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is not in a state that allows this."
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, plus: model validation is a 400, a stale edit a 409, and a workflow step
    the rules refuse (qaf.workflow) a 403 (``Forbidden``: not for this user) or a 409
    (``NotNow``: not in this state), each with its reason; never a 500."""
    if isinstance(exc, Forbidden):
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
    return drf_exception_handler(exc, context)
