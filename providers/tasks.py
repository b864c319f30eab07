"""Celery tasks of the register: running an uploaded import (providers.imports)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.db import connection, connections
from django.utils import timezone

from providers.imports import ImportFileError, run_import
from providers.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 1.0  # seconds between progress writes
# A job runs in one worker at a time. Celery delivers a task at least once: the same job can
# reach two workers (a redelivery after a lost acknowledgement, a queue replayed after a crash).
# The second would wait for the first (the import lock), import the file again, find every row
# unchanged and write that over the first's summary: the manager would read "0 created".
# (pg_try_advisory_lock(class, job id); the class is any number of ours, different from the
# import lock's.)
JOB_LOCK_CLASS = 7_264_102


@contextmanager
def _job_claimed(job_id: int) -> Iterator[bool]:
    """Whether this worker holds the job's lock (held on its connection until the end); a
    worker that dies releases it with its connection, so an interrupted job can run again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", [JOB_LOCK_CLASS, job_id])
        claimed = bool(cursor.fetchone()[0])
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s::int, %s::int)", [JOB_LOCK_CLASS, job_id]
                )


class _ProgressWriter:
    """Writes a job's progress through a connection of its own, committed at once.

    The import runs in one transaction on the task's connection: progress written there would
    stay invisible to the page that polls it until the very end.
    """

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.connection = None
        self.last = 0.0

    def __call__(self, processed: int, total: int) -> None:
        now = time.monotonic()
        if processed < total and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        if self.connection is None:
            self.connection = connections.create_connection("default")
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} "  # noqa: S608 - the table name is ours
                "SET processed_rows = %s, total_rows = %s WHERE id = %s",
                [processed, total, self.job_id],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def process_import(job_id: int) -> str:
    """Run one ImportJob and record its outcome; returns the final status.

    Safe to run again: a job already done or failed is left alone, and one interrupted while
    running saved nothing (the import is one transaction), so it simply runs again. A job that
    another worker is running is left to it: this call returns ``running`` and logs why.
    """
    with _job_claimed(job_id) as claimed:
        if not claimed:
            logger.warning(
                "Import job %s is already running in another worker: this delivery is skipped",
                job_id,
            )
            return ImportStatus.RUNNING
        return _process_claimed(job_id)


def _process_claimed(job_id: int) -> str:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.finished:
        return job.status
    job.status = ImportStatus.RUNNING
    job.started_at = timezone.now()
    job.processed_rows = 0
    job.save(update_fields=["status", "started_at", "processed_rows"])
    progress = _ProgressWriter(job.pk)
    try:
        with job.file.open("rb") as source:
            result = run_import(
                job.kind,
                source,
                partial=job.partial,
                user=job.created_by,
                progress=progress,
                file_format=job.file_format,
            )
    except ImportFileError as exc:
        job.status = ImportStatus.FAILED
        job.error = str(exc)
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        job.status = ImportStatus.FAILED
        job.error = (
            "The import stopped because of an unexpected error, and saved nothing. "
            "Try again, or ask the system administrator to look at the log."
        )
    else:
        job.status = ImportStatus.DONE
        job.detected = result.file_kind
        job.total_rows = result.total
        job.processed_rows = result.total
        job.counts = result.counts()
        job.rejected_rows = [rejected.as_dict() for rejected in result.rejected]
        job.columns = result.columns
        job.saved = result.saved
        job.error = result.warning
    finally:
        progress.close()
    job.finished_at = timezone.now()
    job.save()
    return job.status


@shared_task(name="providers.run_import")
def run_import_job(job_id: int) -> str:
    return process_import(job_id)


# --- Evidence virus scan (SPEC §10) ---------------------------------------------------------

SCAN_RETRIES = 5  # after 1, 2, 4, 8 and 16 minutes; then the sweep below tries every 15


@shared_task(name="providers.scan_evidence", bind=True, max_retries=SCAN_RETRIES)
def scan_evidence(self, evidence_id: int) -> str:
    """Scan one uploaded evidence file; it stays unserved (``pending``) until a verdict."""
    from providers import services
    from qaf.virus import ScanError

    try:
        return services.scan_evidence(evidence_id)
    except ScanError as exc:
        logger.warning("Virus scan of evidence %s failed: %s", evidence_id, exc)
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="providers.scan_waiting_evidence")
def scan_waiting_evidence() -> int:
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): files still waiting for a verdict."""
    from providers import services

    return services.scan_waiting_evidence()


@shared_task(name="providers.cqc_sync")
def cqc_sync(triggered_by_id: int | None = None) -> int:
    """The CQC change sync run by hand ("Run CQC sync now"); returns the JobRun id."""
    from providers.cqc_sync import run_by_hand
    from qaf.models import User

    user = User.objects.filter(pk=triggered_by_id).first() if triggered_by_id else None
    return run_by_hand(triggered_by=user).pk
