"""The nightly jobs (SPEC §8): one at a time (a Postgres advisory lock), recorded as a JobRun,
idempotent, and safe to run by hand.

``run_nightly(today)`` re-rates every service and recomputes every due date (one transaction:
a failure leaves the previous results), then creates the due-soon and overdue notifications
(each once) and emails them.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from qaf.models import User
from risk.models import JobRun, Notification, PolicyVersion, ServiceRisk
from risk.recompute import recompute

logger = logging.getLogger(__name__)

NIGHTLY = "nightly"
# One number per job name for pg_try_advisory_lock: any stable 64-bit integer will do.
LOCK_IDS = {NIGHTLY: 7_264_001}


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
    counts = recompute(today=today, policy=PolicyVersion.current()).as_dict()
    counts.update(notify(today))
    return counts


def run_nightly(
    today: date | None = None, triggered_by: User | None = None, wait: bool = False
) -> JobRun:
    return run_job(NIGHTLY, nightly_work, today=today, triggered_by=triggered_by, wait=wait)


def _recipients(risk: ServiceRisk) -> list[User]:
    lead = risk.service.lead_officer
    return [lead] if lead and lead.is_active else []


def notify(today: date) -> dict:
    """Due-soon and overdue notices for each service's lead officer, each created once."""
    due_soon_days = int(PolicyVersion.current().schedules.get("due_soon_days", 30))
    horizon = today + timedelta(days=due_soon_days)
    risks = (
        ServiceRisk.objects.filter(service__lead_officer__isnull=False)
        .filter(
            Q(next_review_due__lte=horizon, never_reviewed=False)
            | Q(review_overdue=True)
            | Q(follow_up_due__lte=horizon, follow_up_overdue=False)
            | Q(follow_up_overdue=True)
        )
        .select_related("service", "service__lead_officer")
    )
    notices = []
    for risk in risks.iterator(chunk_size=2000):
        for user in _recipients(risk):
            notices.extend(_notices_for(risk, user, today))
    before = Notification.objects.count()
    # The unique constraint (user, service, kind, due date) makes each notice happen once.
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=2000)
    return {"notifications": Notification.objects.count() - before, "emails": _email_new()}


def _notices_for(risk: ServiceRisk, user: User, today: date) -> list[Notification]:
    name = risk.service.name
    K = Notification.Kind
    out = []
    if risk.review_overdue:
        out.append(
            (
                K.REVIEW_OVERDUE,
                risk.next_review_due,
                f"The QA review of {name} was due on {risk.next_review_due:%d %B %Y} and is "
                "overdue.",
            )
        )
    elif not risk.never_reviewed and risk.next_review_due >= today:
        out.append(
            (
                K.REVIEW_DUE_SOON,
                risk.next_review_due,
                f"The QA review of {name} is due on {risk.next_review_due:%d %B %Y}.",
            )
        )
    if risk.follow_up_due:
        if risk.follow_up_overdue:
            out.append(
                (
                    K.FOLLOW_UP_OVERDUE,
                    risk.follow_up_due,
                    f"The follow-up review of {name} was due on "
                    f"{risk.follow_up_due:%d %B %Y} and is overdue.",
                )
            )
        elif risk.follow_up_due >= today:
            out.append(
                (
                    K.FOLLOW_UP_DUE_SOON,
                    risk.follow_up_due,
                    f"The follow-up review of {name} is due on {risk.follow_up_due:%d %B %Y}.",
                )
            )
    return [
        Notification(
            user=user, service_id=risk.service_id, kind=kind, due_date=due, message=message
        )
        for kind, due, message in out
    ]


def _email_new() -> int:
    """Email each user the notices not yet emailed, in one message per user."""
    pending = (
        Notification.objects.filter(emailed_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id", "due_date")
    )
    by_user: dict[int, list[Notification]] = {}
    for notice in pending:
        by_user.setdefault(notice.user_id, []).append(notice)
    sent = 0
    for notices in by_user.values():
        user = notices[0].user
        body = "\n".join(f"- {n.message}" for n in notices)
        with transaction.atomic():
            # Claim by conditional UPDATE so two runs never email the same notice twice.
            claimed = Notification.objects.filter(
                pk__in=[n.pk for n in notices], emailed_at__isnull=True
            ).update(emailed_at=timezone.now())
            if claimed:
                send_mail(
                    subject=f"QAF: {len(notices)} review date(s) need your attention",
                    message=f"Hello {user.get_short_name() or user.username},\n\n{body}\n\n"
                    f"Sign in to QAF to see your caseload.\n",
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=[user.email],
                )
                sent += 1
    return sent
