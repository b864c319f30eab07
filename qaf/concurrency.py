"""Optimistic concurrency: an edit names the version it started from; a stale one is refused.

Two officers open the same record; the first saves (version 3 -> 4); the second's save still
says version 3 and is refused with a message instead of silently overwriting the first.
"""

from __future__ import annotations

import re

from django.db import models
from django.utils import formats, timezone

# ``VersionedModel.version`` is a PositiveIntegerField: a PostgreSQL integer.
MAX_VERSION = 2**31 - 1


class StaleEdit(Exception):
    """Somebody saved the object after this edit started."""


class BadVersion(ValueError):
    """The version sent with an edit is not a version at all (a 400, not a conflict)."""


def parse_version(value: object) -> int | None:
    """The version an edit says it started from: ``None`` when it does not say (``None`` or
    ""), else a whole number from 0 to ``MAX_VERSION``, given as a number or as digits.

    Anything else (1.5, -1, 1e309, 2**40, "abc", true) is refused with ``BadVersion``: never
    truncated, never an overflow."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,10}", value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_VERSION:
        return value
    raise BadVersion(
        f"The version must be a whole number from 0 to {MAX_VERSION}: the one you read the "
        "record at."
    )


def check_version(instance: models.Model, expected: object) -> None:
    """Lock the row and refuse when ``expected`` (if given) is not its current version.

    Call inside ``transaction.atomic()``; ``expected`` of ``None`` means the client did not
    say (API clients may omit it), and the update goes ahead. A value that is not a version
    raises ``BadVersion`` before anything is locked.
    """
    expected_int = parse_version(expected)
    if expected_int is None:
        return
    current = (
        type(instance)
        ._default_manager.select_for_update()
        .filter(pk=instance.pk)
        .values("version", "updated_at")
        .first()
    )
    if current is None or current["version"] != expected_int:
        when = (
            formats.date_format(timezone.localtime(current["updated_at"]), "j F Y H:i")
            if current
            else "since"
        )
        raise StaleEdit(
            f"Someone else saved a change to this record at {when}, after you opened it. "
            "Your change has not been saved: reload the page to see theirs, then make yours "
            "again."
        )
