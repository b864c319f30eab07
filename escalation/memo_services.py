"""The Managed Placements Memo from the database: the draft as it stands, and issuing it
(SPEC §6 "Managed Placements Memo", §7; source 003 §2.6). The rules are ``escalation.memo``.

The draft is worked out on demand from the suspensions in force and the last issue. Issuing
stores it as a ``MemoIssue`` (its number, date, who issued it, every entry) and issues its PDF
through the document pipeline (``qaf.pdf.issue_document``), in one transaction: an issue never
changes, and the next issue's GREEN part is worked out from this one's entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from escalation import memo
from escalation.models import MemoIssue, Restriction, Suspension
from escalation.models.memo import MEMO_DOCUMENT_KIND
from providers.models import CommissioningStatus, Service
from qaf.models import Document, User
from qaf.pdf import issue_document
from qaf.scoping import can
from qaf.workflow import Forbidden, NotNow

POLICY_LABEL = "escalation.memo"  # qaf.scoping.POLICY: view, issue, export
PDF_TEMPLATE = "escalation/memo/memo_pdf.html"
# pg_advisory_xact_lock: one issue at a time, so numbers follow on and each issue's GREEN part
# is worked out from the one before it (any stable 64-bit number will do).
ISSUE_LOCK_ID = 0x4D454D4F  # "MEMO"
# ``issue(expected_previous=ANY)``: issue whatever was issued before (the API without a body).
ANY = object()


def _address(service: Service) -> str:
    lines = [" ".join(line.split()) for line in service.address.replace(",", "\n").splitlines()]
    return ", ".join(filter(None, [*lines, service.postcode.strip()]))


def entry_for(service: Service, *, part: str, date_added: date | None, **extra) -> memo.Entry:
    """A service as the memo lists it (its provider and lead officer read already)."""
    officer = service.lead_officer
    name, phone = memo.contact(
        str(officer) if officer else "",
        officer.phone if officer else "",
        settings.COUNCIL_QUALITY_PHONE,
    )
    return memo.Entry(
        service_id=service.pk,
        part=part,
        name=service.name,
        service_type=service.service_type,
        type_label=service.get_service_type_display(),
        provider=service.provider.name,
        address=_address(service),
        area=memo.area_label(service.local_authority_area, service.out_of_area),
        contact_name=name,
        contact_phone=phone,
        date_added=date_added,
        **extra,
    )


def current_entries() -> list[memo.Entry]:
    """RED and AMBER: every service with a suspension in force."""
    suspensions = Suspension.objects.in_force().select_related(
        "service__provider", "service__lead_officer"
    )
    entries = []
    for suspension in suspensions.order_by("pk"):
        amber = suspension.restriction == Restriction.RESTRICTED_PLACEMENTS
        entries.append(
            entry_for(
                suspension.service,
                part=memo.part_for(suspension.restriction),
                date_added=suspension.decided_on,
                restriction_details=suspension.restriction_details if amber else "",
                suspension_id=suspension.pk,
            )
        )
    return entries


def open_again(service_ids: Iterable[int]) -> dict[int, memo.Entry]:
    """The services among ``service_ids`` open to placements now, each dated the day its
    latest suspension ended (GREEN's "date added")."""
    ids = set(service_ids)
    if not ids:
        return {}
    ended = (
        Suspension.objects.filter(service=OuterRef("pk"), ended_on__isnull=False)
        .order_by("-ended_on", "-pk")
        .values("ended_on")[:1]
    )
    services = (
        Service.objects.filter(pk__in=ids, commissioning_status=CommissioningStatus.OPEN)
        .select_related("provider", "lead_officer")
        .annotate(ended_on=Subquery(ended))
    )
    return {s.pk: entry_for(s, part=memo.GREEN, date_added=s.ended_on) for s in services}


def _previous_entries(previous: MemoIssue | None) -> list[memo.Entry]:
    return [memo.Entry.from_json(row) for row in previous.entries] if previous else []


def _compose(previous: MemoIssue | None, *, updated: date, number: int | None) -> memo.Memo:
    current = current_entries()
    before = _previous_entries(previous)
    return memo.build(
        current,
        before if previous else None,
        open_again(memo.candidates_for_green(before, current)),
        updated=updated,
        number=number,
        previous_number=previous.number if previous else None,
    )


def draft(*, today: date | None = None) -> memo.Memo:
    """The memo as it would be issued today (not stored)."""
    today = today or timezone.localdate()
    return _compose(MemoIssue.objects.latest_issue(), updated=today, number=None)


def _refusal_if_not_latest(previous: MemoIssue | None, expected_previous) -> str | None:
    if expected_previous is ANY:
        return None
    latest = previous.number if previous else None
    if latest == expected_previous:
        return None
    if previous is None:
        return "The memo you looked at is no longer the last one: look at the draft again."
    when = timezone.localtime(previous.issued_at)
    return (
        f"{previous.issued_by} issued memo {previous.number} at {when:%H:%M} on "
        f"{when.day} {when:%B %Y} while you were looking at the draft: check the draft again, "
        "and issue it again if it still needs to go out."
    )


def issue(
    *, actor: User, now: datetime | None = None, expected_previous: int | None | object = ANY
) -> MemoIssue:
    """Store the memo as it stands and issue its PDF (staff only, confidential).

    ``expected_previous`` is the number of the last issue when the user looked at the draft
    (None: there was none): if someone has issued since, nothing is issued (409), so two
    managers pressing "Issue" together send one memo, not two."""
    if not can(actor, "issue", POLICY_LABEL):
        raise Forbidden("Only quality officers and managers issue the Managed Placements Memo.")
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ISSUE_LOCK_ID])
        previous = MemoIssue.objects.select_related("issued_by").latest_issue()
        refusal = _refusal_if_not_latest(previous, expected_previous)
        if refusal:
            raise NotNow(refusal)
        number = previous.number + 1 if previous else 1
        composed = _compose(previous, updated=timezone.localdate(now), number=number)
        issued = MemoIssue.objects.create(
            number=number,
            issued_on=composed.updated,
            issued_at=now,
            issued_by=actor,
            previous=previous,
            entries=[entry.as_json() for entry in composed.entries],
        )
        issue_document(
            issued,
            kind=MEMO_DOCUMENT_KIND,
            title=composed.title,
            template=PDF_TEMPLATE,
            actor=actor,
            service=None,
            provider=None,
            visible_to_provider=False,
        )
    return issued


def documents_of(issues: Iterable[MemoIssue]) -> dict[int, Document]:
    """Each issue's PDF document, by issue id, in one query."""
    ids = [i.pk for i in issues]
    if not ids:
        return {}
    rows = Document.objects.filter(
        source_type=ContentType.objects.get_for_model(MemoIssue),
        source_id__in=ids,
        kind=MEMO_DOCUMENT_KIND,
    ).order_by("pk")
    return {row.source_id: row for row in rows}
