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
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from qaf import policy
from qaf.models import User
from risk.models import JobRun, Notification, PolicyVersion, ServiceRisk
from risk.recompute import insert_rows, recompute

logger = logging.getLogger(__name__)

NIGHTLY = "nightly"
BATCH = 2000
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


# What a notice needs to know of a service's risk result (read as plain values: at 100,000
# services, model instances for every row made notify() the slowest part of the night).
NOTICE_FIELDS = (
    "service_id",
    "service__name",
    "service__lead_officer_id",
    "review_overdue",
    "never_reviewed",
    "next_review_due",
    "follow_up_due",
    "follow_up_overdue",
)


@dataclass(frozen=True)
class _Due:
    service_id: int
    name: str
    user_id: int
    review_overdue: bool
    never_reviewed: bool
    next_review_due: date
    follow_up_due: date | None
    follow_up_overdue: bool


def notify(today: date) -> dict:
    """Due-soon and overdue notices for each service's (active) lead officer, each created
    once."""
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
    created = 0
    batch: list[dict] = []
    for row in risks.iterator(chunk_size=BATCH):
        batch.extend(_notices_for(_Due(*row), today, now))
        if len(batch) >= BATCH:
            created += _insert_notices(batch)
    created += _insert_notices(batch)
    batch.extend(_request_notices(today, now))
    created += _insert_notices(batch)
    return {"notifications": created, "emails": _email_new()}


def _request_notices(today: date, now) -> list[dict]:
    """A notice for the officer who sent an information request that is now overdue (past its
    due date with an item still waiting for the provider), once per request due date."""
    from reviews.information import with_overdue
    from reviews.models import InformationRequest, RequestStatus

    overdue = (
        with_overdue(
            InformationRequest.objects.filter(
                status=RequestStatus.SENT,
                created_by__isnull=False,
                created_by__is_active=True,
                due_date__lt=today,
            ),
            today,
        )
        .filter(overdue=True)
        .order_by("due_date", "pk")
        .values_list("created_by_id", "service_id", "service__name", "title", "due_date")
    )
    return [
        {
            "user_id": user_id,
            "service_id": service_id,
            "kind": Notification.Kind.REQUEST_OVERDUE.value,
            "due_date": due,
            "message": f"The information request \u201c{title}\u201d to {name} was due on "
            f"{due:%d %B %Y}: the provider has not answered every item.",
            "created_at": now,
        }
        for user_id, service_id, name, title, due in overdue.iterator(chunk_size=BATCH)
    ]


def _insert_notices(batch: list[dict]) -> int:
    # The unique constraint (user, service, kind, due date) makes each notice happen once.
    created = insert_rows(Notification, batch, ignore_conflicts=True)
    batch.clear()
    return created


def _notices_for(due: _Due, today: date, now) -> list[dict]:
    name = due.name
    K = Notification.Kind
    out = []
    if due.review_overdue:
        out.append(
            (
                K.REVIEW_OVERDUE,
                due.next_review_due,
                f"The QA review of {name} was due on {due.next_review_due:%d %B %Y} and is "
                "overdue.",
            )
        )
    elif not due.never_reviewed and due.next_review_due >= today:
        out.append(
            (
                K.REVIEW_DUE_SOON,
                due.next_review_due,
                f"The QA review of {name} is due on {due.next_review_due:%d %B %Y}.",
            )
        )
    if due.follow_up_due:
        if due.follow_up_overdue:
            out.append(
                (
                    K.FOLLOW_UP_OVERDUE,
                    due.follow_up_due,
                    f"The follow-up review of {name} was due on "
                    f"{due.follow_up_due:%d %B %Y} and is overdue.",
                )
            )
        elif due.follow_up_due >= today:
            out.append(
                (
                    K.FOLLOW_UP_DUE_SOON,
                    due.follow_up_due,
                    f"The follow-up review of {name} is due on {due.follow_up_due:%d %B %Y}.",
                )
            )
    return [
        {
            "user_id": due.user_id,
            "service_id": due.service_id,
            "kind": kind.value,
            "due_date": day,
            "message": message,
            "created_at": now,
        }
        for kind, day, message in out
    ]


def _email_new() -> int:
    """Email each user the notices not yet emailed, in one message per user."""
    pending = (
        Notification.objects.filter(emailed_at__isnull=True)
        .exclude(user__email="")
        .order_by("user_id", "due_date")
        .values_list("pk", "user_id", "message")
    )
    by_user: dict[int, list[tuple[int, str]]] = {}
    for pk, user_id, message in pending.iterator(chunk_size=BATCH):
        by_user.setdefault(user_id, []).append((pk, message))
    users = User.objects.in_bulk(list(by_user))
    sent = 0
    for user_id, notices in by_user.items():
        user = users[user_id]
        body = "\n".join(f"- {message}" for _, message in notices)
        with transaction.atomic():
            # Claim by conditional UPDATE so two runs never email the same notice twice.
            claimed = Notification.objects.filter(
                pk__in=[pk for pk, _ in notices], emailed_at__isnull=True
            ).update(emailed_at=timezone.now())
            if claimed:
                send_mail(
                    subject=f"QAF: {len(notices)} date(s) need your attention",
                    message=f"Hello {user.get_short_name() or user.username},\n\n{body}\n\n"
                    f"Sign in to QAF to see your caseload.\n",
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=[user.email],
                )
                sent += 1
    return sent
