"""State changes of the risk app, each with its actor (STYLE habit 1)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from qaf.concurrency import StaleEdit
from qaf.models import User
from risk.models import PolicyVersion


def save_policy(
    *,
    matrix: dict[str, Any],
    schedules: dict[str, Any],
    note: str,
    actor: User,
    based_on: PolicyVersion,
) -> PolicyVersion:
    """Save an edited matrix/schedules as the next version and re-rate every service with it.

    Refused (StaleEdit) when another administrator saved a version after ``based_on``. The
    re-rating runs in the Celery worker after the commit, waiting for a nightly run to finish
    rather than being skipped by it.
    """
    from risk.tasks import nightly

    try:
        with transaction.atomic():
            latest = PolicyVersion.objects.select_for_update().order_by("-number").first()
            if latest is not None and latest.pk != based_on.pk:
                raise StaleEdit(
                    f"Version {latest.number} was saved by {latest.created_by or 'someone'} "
                    "after you opened this page. Your changes have not been saved: reload the "
                    "page to start from it."
                )
            version = PolicyVersion.objects.create(
                number=(latest.number if latest else 0) + 1,
                matrix=matrix,
                schedules=schedules,
                note=note,
                created_by=actor,
            )
            transaction.on_commit(lambda: nightly.delay(triggered_by_id=actor.pk, wait=True))
    except IntegrityError:
        raise StaleEdit(
            "Another administrator saved a new version at the same moment. Reload the page."
        ) from None
    return version
