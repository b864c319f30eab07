"""The nightly jobs (SPEC §8): one at a time (a Postgres advisory lock), recorded as a JobRun,
idempotent, and safe to run by hand.

``run_nightly(today)`` re-rates every service and recomputes every due date (one transaction:
a failure leaves the previous results), suggests concern levels (escalation.concern_job, one
transaction too), then creates the due-soon and overdue notifications (each once, through
qaf.notifications) and emails them.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from escalation.concern_job import suggest_levels as suggest_concern_levels
from escalation.plan_services import nightly as plan_nightly
from providers.models import Service
from qaf import notifications, policy
from qaf.models import User
from risk.early_warning_job import nightly as early_warning_nightly
from risk.models import JobRun, PolicyVersion, ServiceRisk
from risk.notices import NOTICE_FIELDS, Due, service_notices
from risk.recompute import recompute

logger = logging.getLogger(__name__)

NIGHTLY = "nightly"
CONCERN_LEVELS = "concern_levels"  # the nightly's concern step alone (suggest_concern_levels)
RETENTION_PURGE = "retention_purge"  # qaf.privacy.purge: records past their retention period
CQC_SYNC = "cqc_sync"  # providers.cqc_sync run by hand (the nightly runs it as its first step)
BATCH = 2000
# One number per job name for pg_try_advisory_lock: any stable 64-bit integer will do.
LOCK_IDS = {
    NIGHTLY: 7_264_001,
    CONCERN_LEVELS: 7_264_002,
    RETENTION_PURGE: 7_264_003,
    CQC_SYNC: 7_264_004,
}


@contextmanager
def advisory_lock(name: str, *, wait: bool = False):
    """Yield True when this session holds the job's lock, False when another run holds it.

    With ``wait``, block until the other run releases it instead.
    """
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s), true", [LOCK_IDS[name]])
        else:
            cursor.execute("SELECT true, pg_try_advisory_lock(%s)", [LOCK_IDS[name]])
        acquired = cursor.fetchone()[1]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_IDS[name]])


def run_job(
    name: str,
    work: Callable[[date], dict],
    *,
    today: date | None = None,
    triggered_by: User | None = None,
    wait: bool = False,
) -> JobRun:
    """Run ``work(today)`` under the job's lock and record it; a concurrent run is skipped
    (or waited for, with ``wait``)."""
    today = today or timezone.localdate()
    run = JobRun.objects.create(name=name, for_date=today, triggered_by=triggered_by)
    with advisory_lock(name, wait=wait) as acquired:
        if not acquired:
            run.status = JobRun.Status.SKIPPED
            run.errors = "Another run of this job was in progress."
        else:
            try:
                run.counts = work(today)
                run.status = JobRun.Status.SUCCEEDED
            except Exception as exc:  # recorded for staff to see; results stay as they were
                logger.exception("Job %s failed", name)
                run.status = JobRun.Status.FAILED
                run.errors = f"{exc}\n\n{traceback.format_exc(limit=8)}"
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "counts", "errors", "finished_at"])
    return run


def nightly_work(today: date) -> dict:
    from providers.cqc_sync import nightly_step as cqc_sync

    # First, so a rating CQC published today is in tonight's re-rating; never fails the night.
    counts = cqc_sync()
    current = PolicyVersion.current()
    counts.update(recompute(today=today, policy=current).as_dict())
    # Early warning reads only intelligence: after the re-rating, before the emails.
    counts.update(early_warning_nightly(today, current))
    counts.update(plan_nightly(today))
    counts.update(suggest_concern_levels(today))
    counts.update(notify(today))
    return counts


def run_nightly(
    today: date | None = None, triggered_by: User | None = None, wait: bool = False
) -> JobRun:
    return run_job(NIGHTLY, nightly_work, today=today, triggered_by=triggered_by, wait=wait)


def notify(today: date) -> dict:
    """Due-soon and overdue notices for each service's (active) lead officer and overdue
    information requests for their officers, each created once (qaf.notifications), then
    every notice not yet emailed is emailed."""
    from reviews.notices import overdue_request_notices

    horizon = policy.due_date("due_soon_days", today)
    risks = (
        ServiceRisk.objects.filter(
            service__lead_officer__isnull=False, service__lead_officer__is_active=True
        )
        .filter(
            Q(next_review_due__lte=horizon, never_reviewed=False)
            | Q(review_overdue=True)
            | Q(follow_up_due__lte=horizon, follow_up_overdue=False)
            | Q(follow_up_overdue=True)
        )
        .order_by()
        .values_list(*NOTICE_FIELDS)
    )
    now = timezone.now()
    service_type = ContentType.objects.get_for_model(Service)
    due = (
        row
        for values in risks.iterator(chunk_size=BATCH)
        for row in service_notices(Due(*values), today, now, service_type)
    )
    created = notifications.create_once(due)
    created += notifications.create_once(overdue_request_notices(today, now))
    return {"notifications": created, "emails": notifications.send_pending(now=now)}
