"""A workflow step the rules refuse, as the API answers it (SPEC §9): ``Forbidden`` (not for
this user) is 403, ``NotNow`` (not in this state) is 409, each with the service's reason."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework.exceptions import PermissionDenied

from qaf.drf import Conflict
from reviews.services import Forbidden, NotNow


@contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except Forbidden as exc:
        raise PermissionDenied(exc.reason) from exc
    except NotNow as exc:
        raise Conflict(exc.reason) from exc


def call(step, *args, **kwargs):
    """``step(*args, **kwargs)``, its refusal answered 403 or 409."""
    with refusals():
        return step(*args, **kwargs)
