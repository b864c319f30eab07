"""Optimistic concurrency: an edit names the version it started from; a stale one is refused.

Two officers open the same record; the first saves (version 3 -> 4); the second's save still
says version 3 and is refused with a message instead of silently overwriting the first.
"""

from __future__ import annotations

from django.db import models
from django.utils import formats, timezone


class StaleEdit(Exception):
    """Somebody saved the object after this edit started."""


def check_version(instance: models.Model, expected: object) -> None:
    """Lock the row and refuse when ``expected`` (if given) is not its current version.

    Call inside ``transaction.atomic()``; ``expected`` of ``None`` means the client did not
    say (API clients may omit it), and the update goes ahead.
    """
    if expected in (None, ""):
        return
    current = (
        type(instance)
        ._default_manager.select_for_update()
        .filter(pk=instance.pk)
        .values("version", "updated_at")
        .first()
    )
    try:
        expected_int = int(expected)
    except (TypeError, ValueError):
        raise StaleEdit("The version sent with the change is not a number.") from None
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
