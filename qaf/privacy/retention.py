"""Retention periods (settings.QAF_RETENTION) as pure rules, and the record types they apply to.

A record's period runs from its date (an entry's date, a review's completion, an invitation's
closing...). It is kept up to the day before its period ends and purged on that day:
``expired(anchor, period, today)`` is the whole rule, tested on the boundary days without a
database. ``RECORD_TYPES`` says, per type, which rows are past their period and not still
needed (``privacy.holds``), as a queryset for the purge and its preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate


def cutoff(today: date, period: dict[str, int]) -> date:
    """The latest date a record may carry and be purged on ``today``: its period ended on or
    before today. Calendar years (a record of 29 February goes on 1 March), or days."""
    return today - relativedelta(years=period.get("years", 0), days=period.get("days", 0))


def expired(anchor: date, period: dict[str, int], today: date) -> bool:
    """True from the day the period after ``anchor`` ends."""
    return anchor <= cutoff(today, period)


def describe(period: dict[str, int]) -> str:
    (unit, n), *_ = period.items()
    return f"{n} {unit[:-1] if n == 1 else unit}"


@dataclass(frozen=True)
class RecordType:
    """One kind of record with a retention period: ``expired(today)`` gives the rows the
    purge deletes today (past their period and not still needed)."""

    name: str
    label: str
    runs_from: str  # in words, for the page and the docs
    kept_while: str  # what keeps a record past its period, in words
    rows: Callable[[date], QuerySet]
    cascades: str = ""  # what goes with it, in words

    @property
    def period(self) -> dict[str, int]:
        return settings.QAF_RETENTION[self.name]

    def expired(self, today: date) -> QuerySet:
        return self.rows(cutoff(today, self.period))


# --- The rows of each type past a cutoff date --------------------------------------------


def _intelligence(before: date) -> QuerySet:
    from providers.models import Intelligence, IntelligenceKind, IntelligenceStatus
    from qaf.privacy.holds import held_provider_ids, held_service_ids

    audit = IntelligenceKind.SAFEGUARDING_AUDIT
    newer_audit = Intelligence.objects.filter(
        kind=audit, date__gt=OuterRef("date"), service=OuterRef("service")
    )
    newer_provider_audit = Intelligence.objects.filter(
        kind=audit,
        date__gt=OuterRef("date"),
        provider=OuterRef("provider"),
        provider__isnull=False,
    )
    return (
        Intelligence.objects.filter(date__lte=before)
        .exclude(status=IntelligenceStatus.OPEN)
        .exclude(service__in=held_service_ids())
        .exclude(provider__in=held_provider_ids())
        # The latest safeguarding audit is what the risk matrix reads: kept until a newer one.
        .exclude(
            Q(kind=audit)
            & ~(Q(service__isnull=False) & Exists(newer_audit))
            & ~(Q(provider__isnull=False) & Exists(newer_provider_audit))
        )
    )


def _reviews(before: date) -> QuerySet:
    from qaf.privacy.holds import held_service_ids
    from reviews.models import Review, ReviewStatus

    newer_final = Review.objects.filter(
        service=OuterRef("service"),
        status=ReviewStatus.FINAL,
        completed_on__gt=OuterRef("completed_on"),
    )
    return (
        Review.objects.annotate(
            retained_from=Coalesce("completed_on", "visit_date", TruncDate("created_at"))
        )
        .filter(status__in=[ReviewStatus.FINAL, ReviewStatus.CANCELLED], retained_from__lte=before)
        .exclude(service__in=held_service_ids())
        # The service's latest final review is what its rating and schedule read.
        .exclude(Q(status=ReviewStatus.FINAL) & ~Exists(newer_final))
    )


def _invitations(before: date) -> QuerySet:
    from providers.invitations import Invitation

    return Invitation.objects.annotate(
        closed=TruncDate(Coalesce("accepted_at", "revoked_at", "expires_at"))
    ).filter(closed__lte=before)


def _notifications(before: date) -> QuerySet:
    from qaf.models import Notification

    return Notification.objects.filter(created_at__date__lte=before)


def _job_runs(before: date) -> QuerySet:
    from risk.models import JobRun

    newer = JobRun.objects.filter(
        name=OuterRef("name"), status=JobRun.Status.SUCCEEDED, pk__gt=OuterRef("pk")
    )
    # Each job's latest successful run says when everything was last checked: kept.
    return (
        JobRun.objects.filter(started_at__date__lte=before)
        .exclude(status=JobRun.Status.RUNNING)
        .exclude(Q(status=JobRun.Status.SUCCEEDED) & ~Exists(newer))
    )


def _import_jobs(before: date) -> QuerySet:
    from providers.models import ImportJob, ImportStatus

    return ImportJob.objects.filter(
        created_at__date__lte=before, status__in=[ImportStatus.DONE, ImportStatus.FAILED]
    )


def _quarantined(before: date) -> QuerySet:
    from providers.evidence import Evidence, ScanStatus

    return Evidence.objects.annotate(
        retained_from=TruncDate(Coalesce("scanned_at", "uploaded_at"))
    ).filter(scan_status=ScanStatus.QUARANTINED, retained_from__lte=before)


def _access_log(before: date) -> QuerySet:
    from providers.evidence import DownloadLog

    return DownloadLog.objects.filter(at__date__lte=before)


def _subject_access_log(before: date) -> QuerySet:
    from qaf.privacy.models import SubjectAccessExport

    return SubjectAccessExport.objects.filter(requested_at__date__lte=before)


STILL_NEEDED = (
    "the service (or for a provider-wide entry, any service of the provider) has an open "
    "escalation case, improvement plan, suspension or revocation, or a legal hold"
)

RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "intelligence",
        "Intelligence entries",
        "the entry's date",
        f"it is an open enquiry or complaint; it is the latest safeguarding audit of its "
        f"service or provider; {STILL_NEEDED}",
        _intelligence,
    ),
    RecordType(
        "review",
        "Quality reviews (final or cancelled)",
        "the date the final report was issued (a cancelled review: its visit or creation)",
        f"it is the service's latest final review (its rating reads it); an information "
        f"request or improvement plan still refers to it; {STILL_NEEDED}",
        _reviews,
        cascades="its visit record (answers, notes), comments and issued reports",
    ),
    RecordType(
        "invitation",
        "Provider user invitations",
        "its acceptance, withdrawal or expiry",
        "its link still works",
        _invitations,
    ),
    RecordType(
        "notification", "Notices to users", "the day the notice was made", "never", _notifications
    ),
    RecordType(
        "job_run",
        "Job run records",
        "the day the run started",
        "it is the latest successful run of its job, or still running",
        _job_runs,
    ),
    RecordType(
        "import_job",
        "Imports and their uploaded files",
        "the day the file was uploaded",
        "it is still queued or running",
        _import_jobs,
    ),
    RecordType(
        "quarantined_evidence",
        "Quarantined evidence files (a virus was found)",
        "the virus scan's verdict",
        "a newer version of the file still refers to it",
        _quarantined,
    ),
    RecordType(
        "access_log",
        "Access log (confidential entries viewed, evidence downloaded)",
        "the day of the access",
        "never",
        _access_log,
    ),
    RecordType(
        "subject_access_log",
        "Subject-access export log",
        "the day of the export",
        "never",
        _subject_access_log,
    ),
)
