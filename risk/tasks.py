from __future__ import annotations

from datetime import date

from celery import shared_task

from qaf.models import User
from risk.jobs import run_nightly


@shared_task(name="risk.nightly")
def nightly(
    today: str | None = None, triggered_by_id: int | None = None, wait: bool = False
) -> int:
    """The nightly recompute and notifications; returns the JobRun id.

    ``wait``: queue behind a run in progress instead of being skipped (after a policy edit).
    """
    user = User.objects.filter(pk=triggered_by_id).first() if triggered_by_id else None
    run = run_nightly(date.fromisoformat(today) if today else None, triggered_by=user, wait=wait)
    return run.pk
