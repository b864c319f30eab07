"""The evidence library's state changes (SPEC §6, §9, §10): add a file, record its virus scan,
record a download. Pages, the API and the Celery tasks all come through here.

An upload is checked (qaf.files) before anything is written; the file and its row are saved
together or not at all; the row starts ``pending`` and a scan is queued once it is committed.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import partial
from typing import IO

from django.db import transaction
from django.utils import timezone

from providers.evidence import AccessKind, DownloadLog, Evidence, ScanStatus
from providers.models import Intelligence, Provider
from qaf.files import check_upload, display_name
from qaf.models import User
from qaf.virus import ScanError, Scanner, get_scanner
from qaf.workflow import NotNow

logger = logging.getLogger(__name__)

# A file still waiting this long after its upload is sent to the scanner again by the sweep.
RESCAN_AFTER = timedelta(minutes=15)
RESCAN_BATCH = 500


def add_evidence(
    *,
    provider: Provider,
    title: str,
    evidence_date: date,
    upload: IO[bytes],
    actor: User,
    review_by: date | None = None,
    previous_version: Evidence | None = None,
) -> Evidence:
    """Check ``upload`` (``qaf.files.UploadRefused`` if it is not accepted), store it under a
    random name and add it to ``provider``'s library, waiting for its virus scan.

    With ``previous_version`` (use ``add_new_version``) the file replaces that one, which must
    be ``provider``'s and locked by the caller. A date rule broken raises ``ValidationError``."""
    name = getattr(upload, "name", "") or ""
    checked = check_upload(upload, name=name)
    evidence = Evidence(
        provider=provider,
        title=title,
        evidence_date=evidence_date,
        review_by=review_by,
        previous_version=previous_version,
        version=previous_version.version + 1 if previous_version else 1,
        original_name=display_name(name),
        content_type=checked.content_type,
        extension=checked.extension,
        size=checked.size,
        sha256=checked.sha256,
        scan_status=ScanStatus.PENDING,
        uploaded_by=actor,
    )
    # The one-to-one's uniqueness is checked under the caller's lock (add_new_version).
    evidence.full_clean(exclude=["file"], validate_unique=False)
    evidence._history_user = actor
    try:
        with transaction.atomic():
            # The stored name comes from evidence_upload_to: random, with the checked extension.
            evidence.file.save(name or "upload", upload, save=False)
            evidence.save()
            transaction.on_commit(partial(queue_scan, evidence.pk))
    except Exception:
        if evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)  # no file without its row
        raise
    logger.info(
        "Evidence %s added for provider %s by %s (%s, %s bytes, sha256 %s)",
        evidence.pk,
        provider.pk,
        actor.pk,
        checked.kind,
        checked.size,
        checked.sha256,
    )
    return evidence


NEWER_VERSION_EXISTS = (
    "This file already has a newer version: open the newest version to replace it."
)


def add_new_version(
    *,
    previous: Evidence,
    title: str,
    evidence_date: date,
    upload: IO[bytes],
    actor: User,
    review_by: date | None = None,
) -> Evidence:
    """A new version of ``previous`` in the same provider's library (issue 12): ``previous``
    stays, with its uses, superseded by the new file. ``NotNow`` when ``previous`` already has
    a newer version (two people replacing the same file at once: the second is told)."""
    with transaction.atomic():
        locked = Evidence.objects.select_for_update().get(pk=previous.pk)
        if Evidence.objects.filter(previous_version=locked).exists():
            raise NotNow(NEWER_VERSION_EXISTS)
        return add_evidence(
            provider=locked.provider,
            title=title,
            evidence_date=evidence_date,
            review_by=review_by,
            upload=upload,
            actor=actor,
            previous_version=locked,
        )


def queue_scan(evidence_id: int) -> None:
    """Ask the worker to scan; a broker that is down only delays it (the sweep catches up)."""
    from providers.tasks import scan_evidence

    try:
        scan_evidence.delay(evidence_id)
    except Exception:
        logger.exception("Could not queue the virus scan of evidence %s", evidence_id)


def scan_evidence(
    evidence_id: int, *, scanner: Scanner | None = None, now: datetime | None = None
) -> str:
    """Scan a waiting file and record the verdict: ``clean`` or ``quarantined``.

    Returns the file's status. Raises ``qaf.virus.ScanError`` when the scanner gives no verdict
    (unreachable, or refusing the file): the file stays ``pending``, served to nobody but
    administrators, until a later attempt succeeds. A file already scanned is left alone, so
    two workers scanning the same file record one verdict.
    """
    evidence = Evidence.objects.filter(pk=evidence_id).first()
    if evidence is None:
        return "missing"
    if evidence.scan_status != ScanStatus.PENDING:
        return evidence.scan_status
    scanner = scanner or get_scanner()
    try:
        with evidence.file.open("rb") as handle:
            result = scanner.scan(handle)
    except FileNotFoundError:
        logger.error(
            "Evidence %s cannot be scanned: its file %s is missing", evidence_id, evidence.file.name
        )
        return evidence.scan_status
    status = ScanStatus.QUARANTINED if result.infected else ScanStatus.CLEAN
    with transaction.atomic():
        locked = (
            Evidence.objects.select_for_update()
            .filter(pk=evidence_id, scan_status=ScanStatus.PENDING)
            .first()
        )
        if locked is None:  # another worker recorded a verdict meanwhile
            return Evidence.objects.get(pk=evidence_id).scan_status
        locked.scan_status = status
        locked.scanned_at = now or timezone.now()
        verdict = f"found {result.signature}" if result.infected else "clean"
        locked._change_reason = f"Virus scan ({scanner.name}): {verdict}"[:100]
        locked.save(update_fields=["scan_status", "scanned_at"])
    if result.infected:
        logger.warning(
            "Evidence %s quarantined: the virus scanner found %s", evidence_id, result.signature
        )
    else:
        logger.info("Evidence %s scanned (%s): clean", evidence_id, scanner.name)
    return status


def scan_waiting_evidence(*, now: datetime | None = None, limit: int = RESCAN_BATCH) -> int:
    """Scan files still waiting some time after upload (the scanner was down, a task was lost).

    Stops at the first file without a verdict: the scanner is down, the next sweep tries again.
    Returns how many got a verdict.
    """
    now = now or timezone.now()
    waiting = (
        Evidence.objects.filter(scan_status=ScanStatus.PENDING, uploaded_at__lte=now - RESCAN_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    scanner = get_scanner()
    done = 0
    for evidence_id in waiting:
        try:
            scan_evidence(evidence_id, scanner=scanner, now=now)
        except ScanError as exc:
            logger.warning("Virus scan sweep stopped at evidence %s: %s", evidence_id, exc)
            break
        done += 1
    return done


def record_download(evidence: Evidence, *, user: User, ip_address: str | None) -> DownloadLog:
    """The audit row of one download (SPEC §10), written before the file is sent."""
    label = f"{evidence.title} ({evidence.original_name}), {evidence.provider}"
    return DownloadLog.objects.create(
        kind=AccessKind.EVIDENCE_DOWNLOAD,
        user=user,
        evidence=evidence,
        provider_id=evidence.provider_id,
        label=label[:300],
        ip_address=ip_address or None,
    )


def record_view(entry: Intelligence, *, user: User, ip_address: str | None) -> DownloadLog | None:
    """The audit row of one look at a confidential intelligence entry (safeguarding,
    whistleblowing, or marked confidential: SPEC §3, §10), written before it is shown. Entries
    a provider may read too are not logged: they are not what the access log watches."""
    if not entry.confidential:
        return None
    subject = entry.subject
    provider_id = entry.provider_id or (entry.service.provider_id if entry.service_id else None)
    suffix = " (provider-wide)" if entry.provider_id else ""
    return DownloadLog.objects.create(
        kind=AccessKind.INTELLIGENCE_VIEW,
        user=user,
        intelligence=entry,
        provider_id=provider_id,
        label=f"{entry}, {subject}{suffix}"[:300],
        ip_address=ip_address or None,
    )
