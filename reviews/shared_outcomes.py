"""Shared outcomes between councils (issue 14 item 4, docs/shared-outcomes.md).

``export_document`` writes this council's final review outcomes in the versioned JSON format
(docs/shared-outcomes.schema.json): the service's regulator id, name and provider as in the
register, dates, the RAG per domain and standard and overall, and the report's summary of
findings. Nothing else: no officer, no notes, no people spoken to, no override reason, no
intelligence.

``import_document`` reads another council's file: each outcome matched by regulator and
regulator id to a service is recorded once (``SharedOutcome``) and logged as intelligence on
that service, with its source. A provider user may import one for their own services only.
The page, the API and ``manage.py import_outcomes`` all call it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from providers.models import Intelligence, IntelligenceKind, Service, Severity
from qaf.names import named_for_provider, names_near
from qaf.rag import LABELS, ORDER
from reviews.models import Review, ReviewKind, ReviewStatus, SharedOutcome
from reviews.models.shared import council_key

FORMAT = "qaf-shared-outcomes"
FORMAT_VERSION = "1.1"  # 1.1 added summary_withheld (optional)
SUPPORTED_MAJOR = "1"
MAX_VERSION_LENGTH = 16  # SharedOutcome.format_version; the schema's maxLength
SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "shared-outcomes.schema.json"

SEVERITY_OF = {"green": Severity.LOW, "amber": Severity.MEDIUM, "red": Severity.HIGH}


class OutcomesFileError(Exception):
    """The file as a whole cannot be read: nothing is imported. The message says why."""


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker())


def pointer(path) -> str:
    """A JSON Pointer (RFC 6901) to the place of an error: ``/outcomes/2/overall_rating``."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "/"


# --- Export ---------------------------------------------------------------------------------


def outcomes_queryset(user=None, *, date_from=None, date_to=None, services=None):
    """Final reviews of services with a regulator id (the only ones another council can
    match), within ``user``'s scope when a user is given."""
    reviews = Review.objects.filter(status=ReviewStatus.FINAL).exclude(service__regulator_id="")
    if user is not None:
        reviews = reviews.restrict(user, "view")
    if date_from:
        reviews = reviews.filter(completed_on__gte=date_from)
    if date_to:
        reviews = reviews.filter(completed_on__lte=date_to)
    if services:
        reviews = reviews.filter(service__in=services)
    return reviews.select_related("service__provider", "toolkit").order_by("completed_on", "pk")


def _domains(review: Review, questions: list) -> list[dict]:
    """The RAG per domain and standard as the report shows them (reviews.documents):
    ``questions`` are the review's, in toolkit order (``reviews.queries.questions_of``)."""
    from reviews.scoring import score_standard, suggested_rating

    answers = {a.question_id: a for a in review.answers.all()}
    points: dict[int, tuple] = {}
    for question in questions:
        standard, scored = points.setdefault(question.standard_id, (question.standard, []))
        answer = answers.get(question.pk)
        scored.append(answer.points if answer else None)
    domains: dict[int, dict] = {}
    scores: dict[int, list] = {}
    for standard, scored in points.values():
        score = score_standard(standard.pk, scored)
        domain = domains.setdefault(
            standard.domain_id, {"title": standard.domain.title, "rating": None, "standards": []}
        )
        scores.setdefault(standard.domain_id, []).append(score)
        domain["standards"].append(
            {
                "code": standard.code,
                "title": standard.title,
                "rating": score.rag,
                "mean_score": float(score.mean) if score.mean is not None else None,
            }
        )
    for domain_id, domain in domains.items():
        domain["rating"] = suggested_rating(scores[domain_id])
    return list(domains.values())


def outcomes(reviews) -> list[dict]:
    """Each review's outcome, with a bounded number of queries: the answers in one, and the
    questions once per toolkit (a focused review's own)."""
    from reviews.queries import questions_of

    by_toolkit: dict[int, list] = {}
    rows = []
    reviews = list(reviews.prefetch_related("answers"))
    names = names_near({review.service.provider_id for review in reviews})
    for review in reviews:
        if not review.toolkit_id:
            questions = []  # a historic review, recorded with its rating only
        elif review.kind == ReviewKind.FOCUSED:
            questions = list(questions_of(review))
        else:
            if review.toolkit_id not in by_toolkit:
                by_toolkit[review.toolkit_id] = list(questions_of(review))
            questions = by_toolkit[review.toolkit_id]
        named = named_for_provider(review.summary, review.service.provider_id, names)
        rows.append(outcome_of(review, questions, withhold_summary=bool(named)))
    return rows


def withheld(reviews) -> list[tuple[Review, list[str]]]:
    """The reviews whose summary of findings the export holds back, each with the names it
    holds (staff, or the provider's users), for the officer to see on the export page."""
    reviews = list(reviews)
    names = names_near({review.service.provider_id for review in reviews})
    found = []
    for review in reviews:
        named = named_for_provider(review.summary, review.service.provider_id, names)
        if named:
            found.append((review, named))
    return found


def outcome_of(review: Review, questions: list, *, withhold_summary: bool = False) -> dict:
    """One review's outcome. ``withhold_summary`` (the summary names a member of staff or one
    of the provider's users): the outcome goes, its summary of findings empty and
    ``summary_withheld`` true (format 1.1)."""
    service = review.service
    return {
        "review_id": str(review.pk),
        "service": {
            "regulator": service.regulator,
            "regulator_id": service.regulator_id,
            "name": service.name,
            "provider_name": service.provider.name,
            "provider_regulator_id": service.provider.regulator_provider_id or None,
        },
        "kind": review.kind,
        "historic": review.historic,
        "visit_date": review.visit_date.isoformat() if review.visit_date else None,
        "completed_on": review.completed_on.isoformat(),
        "overall_rating": review.rating,
        "domains": _domains(review, questions),
        "summary_of_findings": "" if withhold_summary else review.summary,
        "summary_withheld": withhold_summary,
    }


def export_document(reviews, *, date_from=None, date_to=None, now=None) -> dict:
    now = now or timezone.now()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "council": {"name": settings.COUNCIL_NAME},
        "generated_at": now.isoformat(timespec="seconds"),
        "period": {
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
        },
        "outcomes": outcomes(reviews),
    }


def export_filename(today: date | None = None) -> str:
    today = today or timezone.localdate()
    return f"shared-outcomes-{today.isoformat()}.json"


# --- Import ---------------------------------------------------------------------------------

RECORDED = "recorded"
ALREADY_RECORDED = "already_recorded"
DUPLICATE = "duplicate"
UNMATCHED = "unmatched"
NOT_YOURS = "not_yours"
INVALID = "invalid"
STATUS_LABELS = {
    RECORDED: "Recorded",
    ALREADY_RECORDED: "Already recorded",
    DUPLICATE: "Duplicate in the file",
    UNMATCHED: "No matching service",
    NOT_YOURS: "Not one of your services",
    INVALID: "Invalid",
}


@dataclass
class RowResult:
    row: int  # 1 for the file's first outcome
    status: str
    message: str
    review_id: str = ""
    regulator_id: str = ""
    service: int | None = None
    service_name: str = ""
    shared_outcome: int | None = None
    intelligence: int | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class ImportReport:
    council: str
    format_version: str
    source: str
    rows: list[RowResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(row.status for row in self.rows)
        return {status: found.get(status, 0) for status in STATUS_LABELS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "council": self.council,
            "format_version": self.format_version,
            "source": self.source,
            "counts": self.counts,
            "rows": [asdict(row) for row in self.rows],
        }


def parse(raw: bytes | str) -> Any:
    """The file's JSON, or ``OutcomesFileError`` saying why it is not."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise OutcomesFileError("The file is not text in UTF-8: is it a JSON file?") from exc
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise OutcomesFileError(f"The file is not JSON ({exc}).") from exc


def check_document(document: Any) -> dict[int, list[str]]:
    """Refuse a file that is not a shared-outcomes document of a version read here
    (``OutcomesFileError``); return the schema errors of single outcomes, by their index, so
    that the rest can still be imported."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise OutcomesFileError(
            f'This is not a shared-outcomes file: it needs "format": "{FORMAT}" at its top.'
        )
    version = document.get("format_version")
    if not isinstance(version, str) or version.partition(".")[0] != SUPPORTED_MAJOR:
        raise OutcomesFileError(
            f"This file is format version {version!r}; QAF reads version "
            f"{SUPPORTED_MAJOR}.x (1.0 is the current one). Ask the council for a file in "
            "version 1."
        )
    if len(version) > MAX_VERSION_LENGTH:
        raise OutcomesFileError(
            f"The file's format_version is {len(version)} characters long; it may be at most "
            f"{MAX_VERSION_LENGTH} characters (MAJOR.MINOR, such as 1.0)."
        )
    by_outcome: dict[int, list[str]] = {}
    whole: list[str] = []
    for error in sorted(validator().iter_errors(document), key=lambda e: list(e.path)):
        path = list(error.absolute_path)
        if len(path) >= 2 and path[0] == "outcomes" and isinstance(path[1], int):
            by_outcome.setdefault(path[1], []).append(f"{pointer(path)}: {error.message}")
        else:
            whole.append(f"{pointer(path)}: {error.message}")
    if whole:
        raise OutcomesFileError(
            "The file does not match the shared-outcomes schema: " + "; ".join(whole[:5])
        )
    council = document["council"]["name"].strip()
    if council_key(council) == council_key(settings.COUNCIL_NAME):
        raise OutcomesFileError(
            f"This file holds {council}'s own outcomes (this council): nothing to import."
        )
    return by_outcome


def _summary(outcome: dict, council: str, service_name: str) -> str:
    done = date.fromisoformat(outcome["completed_on"])
    rating = LABELS[outcome["overall_rating"]]
    kind = "focused" if outcome["kind"] == "focused" else "full"
    text = (
        f"{council} completed a {kind} QA review of {service_name} on {done:%-d %B %Y}: "
        f"overall {rating}."
    )
    rated = [d for d in outcome["domains"] if d.get("rating") in ORDER]
    if rated:
        text += " " + ", ".join(f"{d['title']} {LABELS[d['rating']]}" for d in rated) + "."
    findings = outcome["summary_of_findings"].strip()
    if findings:
        text += f"\n\nTheir summary of findings: {findings}"
    return text


def _record(
    outcome: dict, service: Service, *, council: str, version: str, supplier, actor
) -> SharedOutcome:
    source = f"{council}, supplied by {supplier.name}" if supplier else council
    entry = Intelligence(
        service=service,
        kind=IntelligenceKind.REGULATOR_INFORMATION,
        date=date.fromisoformat(outcome["completed_on"]),
        source=source[:200],
        summary=_summary(outcome, council, service.name),
        severity=SEVERITY_OF[outcome["overall_rating"]],
        confidential=False,
        author=actor,
    )
    entry.full_clean()
    entry.save()
    record = SharedOutcome(
        service=service,
        source_council=council,
        their_review_id=outcome["review_id"],
        supplied_by=supplier,
        format_version=version,
        kind=outcome["kind"],
        visit_date=outcome.get("visit_date") or None,
        completed_on=outcome["completed_on"],
        rating=outcome["overall_rating"],
        ratings=outcome["domains"],
        summary=outcome["summary_of_findings"],
        intelligence=entry,
        imported_by=actor,
    )
    # Uniqueness is left to the database (an IntegrityError: recorded by someone else since
    # the import began); every field's own limits are checked here, not met as a 500.
    record.full_clean(validate_unique=False, validate_constraints=False)
    record.save()
    if supplier is None:
        _supersede_provider_copies(record)
    lead = service.lead_officer
    if supplier and lead is not None and lead.is_active:
        from qaf import notifications
        from reviews.notices import SHARED_OUTCOME_SUPPLIED

        notifications.notify(
            lead,
            SHARED_OUTCOME_SUPPLIED,
            about=record,
            due=timezone.localdate(),
            message=f"{supplier.name} sent in {council}'s QA review of {service.name} "
            f"(overall {LABELS[record.rating]}, completed {entry.date:%-d %B %Y}).",
        )
    return record


COMPARED = [
    ("service", "service", lambda record: record.service.name),
    ("kind", "kind", lambda record: record.kind or "-"),
    ("visit_date", "visit date", lambda record: _day(record.visit_date)),
    ("completed_on", "completed", lambda record: _day(record.completed_on)),
    ("rating", "overall", lambda record: LABELS.get(record.rating, record.rating)),
    ("ratings", "domain and standard ratings", None),
    ("summary", "summary of findings", None),
]


def _day(value) -> str:
    if not value:
        return "-"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value:%-d %B %Y}"


def differences(own: SharedOutcome, copy: SharedOutcome) -> list[str]:
    """Where a provider's copy differs from the council's own, as "overall Red (X's copy:
    Green)"; empty when they agree."""
    found = []
    supplier = copy.supplied_by.name if copy.supplied_by_id else "the provider"
    for name, label, shown in COMPARED:
        ours, theirs = getattr(own, name), getattr(copy, name)
        if name == "service":
            ours, theirs = own.service_id, copy.service_id
        elif name in ("visit_date", "completed_on"):
            ours, theirs = _day(ours), _day(theirs)
        elif name == "summary":
            ours, theirs = " ".join(ours.split()), " ".join(theirs.split())
        if ours == theirs:
            continue
        if shown is None:
            found.append(f"{label} differ")
        else:
            found.append(f"{label} {shown(own)} ({supplier}'s copy: {shown(copy)})")
    return found


def _supersede_provider_copies(record: SharedOutcome) -> None:
    """The council's own copy, imported by staff, replaces what providers sent in of the same
    review: theirs are kept (with their history) but marked superseded, and the service's lead
    officer is told where a provider's copy differed."""
    from qaf import notifications
    from reviews.notices import SHARED_OUTCOME_DIFFERS

    copies = SharedOutcome.objects.filter(
        council_key=record.council_key,
        their_review_id=record.their_review_id,
        supplied_by__isnull=False,
        superseded_by__isnull=True,
    ).select_related("service__lead_officer", "supplied_by")
    for copy in copies:
        copy.superseded_by = record
        copy.save(update_fields=["superseded_by"])
        found = differences(record, copy)
        if not found:
            continue
        message = (
            f"{record.source_council}'s own copy of its review {record.their_review_id} "
            f"differs from the copy {copy.supplied_by.name} sent in: " + "; ".join(found) + "."
        )
        leads = {
            lead.pk: lead
            for lead in (record.service.lead_officer, copy.service.lead_officer)
            if lead is not None and lead.is_active
        }
        for lead in leads.values():
            notifications.notify(
                lead,
                SHARED_OUTCOME_DIFFERS,
                about=copy,
                due=timezone.localdate(),
                message=message[:1000],
            )


def import_document(document: Any, *, actor=None) -> ImportReport:
    """Record each outcome of another council's shared-outcomes document.

    ``actor`` None is the command line (every service). A provider user's file may only
    speak of their own organisation's services: the others are ignored, and the report says
    so without saying whether this council has such a service.
    """
    row_errors = check_document(document)
    council = document["council"]["name"].strip()
    version = document["format_version"]
    supplier = actor.provider if getattr(actor, "is_provider_user", False) else None
    report = ImportReport(
        council=council,
        format_version=version,
        source=f"{council}, supplied by {supplier.name}" if supplier else council,
    )
    outcomes = document["outcomes"]
    wanted = {
        (o["service"]["regulator"], o["service"]["regulator_id"].strip())
        for i, o in enumerate(outcomes)
        if i not in row_errors
    }
    services = Service.objects.select_related("provider", "lead_officer")
    if supplier:
        services = services.filter(provider=supplier)
    found = {
        (s.regulator, s.regulator_id): s
        for s in services.filter(regulator_id__in={rid for _, rid in wanted})
        if (s.regulator, s.regulator_id) in wanted
    }
    # Held already: the council's own copy (imported by staff) stands for everyone; a
    # provider's copy only for that provider, never blocking staff importing the council's.
    held = {
        review_id
        for review_id, supplied_by in SharedOutcome.objects.filter(
            council_key=council_key(council),
            their_review_id__in=[str(o.get("review_id")) for o in outcomes if isinstance(o, dict)],
        ).values_list("their_review_id", "supplied_by_id")
        if supplied_by is None or (supplier is not None and supplied_by == supplier.pk)
    }
    seen: set[str] = set()
    for index, outcome in enumerate(outcomes):
        row = RowResult(row=index + 1, status=INVALID, message="")
        report.rows.append(row)
        if isinstance(outcome, dict):
            row.review_id = str(outcome.get("review_id", ""))[:100]
            regulator_id = (outcome.get("service") or {}).get("regulator_id", "")
            row.regulator_id = str(regulator_id)[:20] if isinstance(regulator_id, str) else ""
        if index in row_errors:
            row.message = "; ".join(row_errors[index])
            continue
        service_key = (outcome["service"]["regulator"], outcome["service"]["regulator_id"].strip())
        if row.review_id in seen:
            row.status, row.message = DUPLICATE, "The same review is earlier in the file."
            continue
        seen.add(row.review_id)
        service = found.get(service_key)
        if service is None:
            if supplier:
                row.status = NOT_YOURS
                row.message = (
                    f"{service_key[0]} id {service_key[1]} is not one of {supplier.name}'s "
                    "services here: ignored."
                )
            else:
                row.status = UNMATCHED
                row.message = f"No service here has {service_key[0]} id {service_key[1]}."
            continue
        row.service, row.service_name = service.pk, service.name
        if row.review_id in held:
            row.status = ALREADY_RECORDED
            row.message = f"{council}'s review {row.review_id} is already recorded: unchanged."
            continue
        try:
            with transaction.atomic():
                record = _record(
                    outcome,
                    service,
                    council=council,
                    version=version,
                    supplier=supplier,
                    actor=actor,
                )
        except ValidationError as exc:
            row.message = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
            )
            continue
        except IntegrityError:
            # Recorded by someone else since this import began.
            row.status = ALREADY_RECORDED
            row.message = f"{council}'s review {row.review_id} is already recorded: unchanged."
            continue
        except DatabaseError as exc:
            row.message = f"The outcome could not be stored ({str(exc).strip()[:200]})."
            continue
        held.add(row.review_id)
        row.status = RECORDED
        row.shared_outcome, row.intelligence = record.pk, record.intelligence_id
        row.message = f"Recorded as intelligence on {service.name}."
    return report


def import_bytes(raw: bytes | str, *, actor=None) -> ImportReport:
    return import_document(parse(raw), actor=actor)


def service_outcomes(service: Service, user):
    """Other councils' outcomes on the service page (not confidential: its provider sees
    them)."""
    return (
        SharedOutcome.objects.restrict(user, "view")
        .filter(service=service, superseded_by__isnull=True)
        .select_related("supplied_by")[:10]
    )
