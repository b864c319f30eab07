from __future__ import annotations

from datetime import date

from celery import shared_task


@shared_task(name="privacy.purge_expired")
def purge_expired(today: str | None = None) -> int:
    """The nightly retention purge (beat: QAF_NIGHTLY_HOUR:30); returns the JobRun id."""
    from qaf.privacy.purge import run_purge

    return run_purge(date.fromisoformat(today) if today else None).pk
