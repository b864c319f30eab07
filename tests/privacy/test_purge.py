"""The nightly retention purge (qaf.privacy.purge): each record type on its boundary day, with its
history rows and files; and the records a council still needs, kept whatever their age.

Every record of the first test is dated so that its period ends on the same day, ``DAY``: the
day before, nothing goes; on the day, each goes (through ``manage.py purge_expired``, which runs
the job with its lock and run record)."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from escalation.models import EscalationCase
from providers.evidence import AccessKind, DownloadLog, Evidence, ScanStatus
from providers.invitations import Invitation
from providers.models import ImportJob, Intelligence, IntelligenceKind, IntelligenceStatus
from qaf.models import Document, Notification
from qaf.privacy.models import LegalHold, SubjectAccessExport
from qaf.privacy.purge import preview, purge
from reviews.models import InformationRequest, Review
from risk.models import JobRun
from tests.factories import EvidenceFactory, IntelligenceFactory, ReviewFactory

pytestmark = pytest.mark.django_db

DAY = date(2033, 6, 15)


def at_noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def years(n: int) -> date:
    return DAY - relativedelta(years=n)


def days(n: int) -> date:
    return DAY - timedelta(days=n)


def _stored(name: str, content: bytes = b"%PDF-1.7 test") -> str:
    return default_storage.save(name, ContentFile(content))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def one_of_each(media, sunrise, sunrise_house, officer_olivia, admin_alex):
    """One record of each type whose retention period ends on DAY."""
    entry = IntelligenceFactory(service=sunrise_house, date=years(6), author=officer_olivia)
    entry.summary = "Edited: a second history row"
    entry.save()
    old = ReviewFactory(service=sunrise_house, completed_on=years(6))
    latest = ReviewFactory(service=sunrise_house, completed_on=years(2))
    report = Document.objects.create(
        kind="review_report",
        title="Final report",
        provider=sunrise,
        service=sunrise_house,
        source_type=ContentType.objects.get_for_model(Review),
        source_id=old.pk,
        template="reviews/report_pdf.html",
        file=_stored("documents/report.pdf"),
        status=Document.Status.READY,
    )
    about_review = Notification.objects.create(
        user=officer_olivia,
        kind="review_due",
        content_type=ContentType.objects.get_for_model(Review),
        object_id=old.pk,
        due_date=DAY,
        message="About the old review",
    )
    Notification.objects.filter(pk=about_review.pk).update(created_at=at_noon(DAY))
    notice = Notification.objects.create(
        user=officer_olivia,
        kind="review_due",
        content_type=ContentType.objects.get_for_model(Review),
        object_id=latest.pk,
        due_date=days(365),
        message="A review is due",
    )
    Notification.objects.filter(pk=notice.pk).update(created_at=at_noon(days(365)))
    closed = at_noon(days(90))
    invitation = Invitation.objects.create(
        provider=sunrise,
        email="sam@sunrise.example",
        first_name="Sam",
        last_name="Jones",
        token_hash="a" * 64,
        invited_by=officer_olivia,
        created_at=closed - timedelta(days=7),
        sent_at=closed - timedelta(days=7),
        sent_by=officer_olivia,
        expires_at=closed,
    )
    run = JobRun.objects.create(name="nightly", for_date=days(365), status=JobRun.Status.FAILED)
    JobRun.objects.filter(pk=run.pk).update(started_at=at_noon(days(365)))
    upload = ImportJob.objects.create(
        kind="cqc", status="done", file=_stored("imports/cqc.csv", b"a,b\n"), file_format="csv"
    )
    ImportJob.objects.filter(pk=upload.pk).update(created_at=at_noon(days(90)))
    virus = EvidenceFactory(
        provider=sunrise,
        uploaded_by=officer_olivia,
        scan_status=ScanStatus.QUARANTINED,
        file=_stored("evidence/virus.pdf"),
    )
    Evidence.objects.filter(pk=virus.pk).update(scanned_at=at_noon(days(30)))
    log = DownloadLog.objects.create(
        kind=AccessKind.INTELLIGENCE_VIEW, user=officer_olivia, intelligence=entry, label="x"
    )
    DownloadLog.objects.filter(pk=log.pk).update(at=at_noon(years(6)))
    export = SubjectAccessExport.objects.create(requested_by=admin_alex, subject_name="Sam Jones")
    SubjectAccessExport.objects.filter(pk=export.pk).update(requested_at=at_noon(years(6)))
    return {
        "intelligence": entry,
        "review": old,
        "latest_review": latest,
        "report": report,
        "about_review": about_review,
        "notification": notice,
        "invitation": invitation,
        "job_run": run,
        "import_job": upload,
        "quarantined_evidence": virus,
        "access_log": log,
        "subject_access_log": export,
    }


def _exists(obj) -> bool:
    return type(obj)._base_manager.filter(pk=obj.pk).exists()


def test_each_record_type_is_kept_the_day_before_and_purged_on_the_day_with_history_and_files(
    one_of_each, django_capture_on_commit_callbacks
):
    records = one_of_each
    files = [records[name].file.name for name in ("report", "import_job", "quarantined_evidence")]
    assert all(default_storage.exists(name) for name in files)
    day_before = DAY - timedelta(days=1)
    assert set(preview(day_before).values()) == {0}
    with django_capture_on_commit_callbacks(execute=True):
        assert purge(day_before).get("files", 0) == 0
    assert all(_exists(obj) for obj in records.values())

    assert set(preview(DAY).values()) == {1}, preview(DAY)
    out = io.StringIO()
    call_command("purge_expired", "--dry-run", "--today", DAY.isoformat(), stdout=out)
    assert "Intelligence entries (kept 6 years): 1" in out.getvalue()
    assert all(_exists(obj) for obj in records.values())

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_expired", "--today", DAY.isoformat(), stdout=io.StringIO())
    run = JobRun.objects.get(name="retention_purge")
    assert run.status == JobRun.Status.SUCCEEDED and run.for_date == DAY
    for name in (
        "intelligence",
        "review",
        "invitation",
        "notification",
        "job_run",
        "import_job",
        "quarantined_evidence",
        "access_log",
        "subject_access_log",
    ):
        assert run.counts[name] == 1, name
        assert not _exists(records[name]), name
    # What went with the review: the report issued from it (and its file), its notice.
    assert not _exists(records["report"]) and not _exists(records["about_review"])
    assert run.counts["files"] == 3
    assert not any(default_storage.exists(name) for name in files)
    # The history rows go too, the "deleted" row the delete itself wrote included.
    for name in ("intelligence", "review", "invitation", "quarantined_evidence"):
        obj = records[name]
        assert not obj.history.model.objects.filter(id=obj.pk).exists(), name
    # The service's latest final review is what its rating reads: kept.
    assert _exists(records["latest_review"])


def test_records_still_needed_are_kept_whatever_their_age(
    sunrise, sunrise_house, sunrise_lodge, oak_lodge_home, officer_olivia, admin_alex
):
    long_ago = date(2015, 1, 1)

    def entry(**kwargs):
        return IntelligenceFactory(**{"date": long_ago, "author": officer_olivia, **kwargs})

    open_enquiry = entry(
        service=oak_lodge_home,
        kind=IntelligenceKind.SAFEGUARDING_ENQUIRY,
        status=IntelligenceStatus.OPEN,
        confidential=True,
    )
    older_audit = entry(
        service=oak_lodge_home,
        kind=IntelligenceKind.SAFEGUARDING_AUDIT,
        outcome="satisfactory",
        confidential=True,
    )
    latest_audit = entry(
        service=oak_lodge_home,
        kind=IntelligenceKind.SAFEGUARDING_AUDIT,
        outcome="satisfactory",
        confidential=True,
        date=date(2016, 1, 1),
    )
    held = entry(service=sunrise_house)
    provider_wide = entry(service=None, provider=sunrise)
    under_case = entry(service=sunrise_lodge)
    plain = entry(service=oak_lodge_home)
    hold = LegalHold.objects.create(service=sunrise_house, reason="A claim", placed_by=admin_alex)
    EscalationCase.objects.create(
        service=sunrise_lodge,
        opened_on=long_ago,
        stage_entered_on=long_ago,
        opened_by=officer_olivia,
        concerns="Falls",
    )
    asked_about = ReviewFactory(service=oak_lodge_home, completed_on=long_ago)
    ReviewFactory(service=oak_lodge_home, completed_on=date(2025, 1, 1))
    InformationRequest.objects.create(service=oak_lodge_home, review=asked_about)

    counts = purge(DAY)

    assert not _exists(plain) and not _exists(older_audit)
    for kept in (open_enquiry, latest_audit, held, provider_wide, under_case, asked_about):
        assert _exists(kept), kept
    # The review an information request still refers to is kept, and counted as such.
    assert counts["review_kept"] == 1 and counts["intelligence"] == 2

    LegalHold.objects.filter(pk=hold.pk).update(released_at=timezone.now())
    purge(DAY)
    assert not _exists(held)
    assert _exists(provider_wide), "Sunrise Lodge's open case still holds Sunrise's own entries"
    assert Intelligence.objects.filter(pk=under_case.pk).exists()
