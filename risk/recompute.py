"""Set-based recompute: gather every service's facts in a fixed number of streamed queries,
evaluate the matrix and schedules, and write only what changed (STYLE habits 3, 7, 8).

Reads: one query per fact, each streamed in service order through a server-side cursor and
merged in Python, so the number of reads does not grow with the number of services and memory
stays flat. Writes: changed results are upserted, and rating changes recorded, in batches.
The whole run is one transaction: a run that fails leaves the previous results as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from providers.models import (
    Intelligence,
    IntelligenceKind,
    IntelligenceStatus,
    Service,
)
from qaf.bulkload import insert_rows
from reviews.models import IN_PROGRESS, Review, ReviewStatus
from risk.matrix import ServiceFacts, changed_factors, evaluate
from risk.models import PolicyVersion, RatingChange, ServiceRisk
from risk.schedules import ScheduleFacts, schedule

logger = logging.getLogger(__name__)

CHUNK = 2000
WRITE_BATCH = 2000
# Past this many services, naming them in every query costs more than reading them all:
# re-rate everyone (results that do not change are not written).
SUBSET_LIMIT = 5000

# Recorded monitoring activity for the minimum-contact rule (SPEC §5): a final review, a
# contract meeting, a safeguarding audit, or professional feedback gathered by the team.
MONITORING_KINDS = (
    IntelligenceKind.CONTRACT_MEETING,
    IntelligenceKind.SAFEGUARDING_AUDIT,
    IntelligenceKind.PROFESSIONAL_FEEDBACK,
)

RESULT_FIELDS = (
    "rating",
    "score",
    "factors",
    "policy_version_id",
    "next_review_due",
    "never_reviewed",
    "review_overdue",
    "follow_up_due",
    "follow_up_overdue",
    "minimum_contact_met",
    "information_request_months",
    "information_request_due",
    "direct_monitoring",
)


@dataclass
class RecomputeCounts:
    services: int = 0
    changed: int = 0
    rating_changes: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "services": self.services,
            "changed": self.changed,
            "rating_changes": self.rating_changes,
        }


class _Stream:
    """A stream of (service_id, value) sorted by service_id, read forward only."""

    def __init__(self, rows: Iterable[tuple[int, Any]]):
        self._rows: Iterator[tuple[int, Any]] = iter(rows)
        self._head: tuple[int, Any] | None = next(self._rows, None)

    def get(self, service_id: int, default=None):
        while self._head is not None and self._head[0] < service_id:
            self._head = next(self._rows, None)
        if self._head is not None and self._head[0] == service_id:
            return self._head[1]
        return default


def _scoped(qs, field_name: str, service_ids: list[int] | None):
    return qs if service_ids is None else qs.filter(**{f"{field_name}__in": service_ids})


def _facts_streams(service_ids: list[int] | None):
    """The queries that gather every fact, each ordered by service id."""
    services = (
        _scoped(Service.objects.all(), "pk", service_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "provider_id",
            "regulated",
            "regulator",
            "regulator_rating",
            "last_inspection_date",
            "registered_manager",
            "market_risk_reasons",
            "out_of_area",
            "council_funded_people",
            "capacity",
            "created_at",
            "provider__sponsorship_licence",
        )
    )
    latest_review = (
        _scoped(Review.objects.filter(status=ReviewStatus.FINAL), "service_id", service_ids)
        .order_by("service_id", "-completed_on", "-pk")
        .distinct("service_id")
        .values_list("service_id", "completed_on", "rating")
    )
    in_progress = (
        _scoped(Review.objects.filter(status__in=IN_PROGRESS), "service_id", service_ids)
        .order_by("service_id")
        .distinct("service_id")
        .values_list("service_id", flat=True)
    )
    service_intel = Intelligence.objects.filter(service__isnull=False)
    audits = (
        _scoped(
            service_intel.filter(kind=IntelligenceKind.SAFEGUARDING_AUDIT),
            "service_id",
            service_ids,
        )
        .order_by("service_id", "-date", "-pk")
        .distinct("service_id")
        .values_list("service_id", "date", "outcome")
    )
    monitoring = (
        _scoped(service_intel.filter(kind__in=MONITORING_KINDS), "service_id", service_ids)
        .values("service_id")
        .annotate(last=Max("date"))
        .order_by("service_id")
        .values_list("service_id", "last")
    )
    enquiries = (
        _scoped(
            service_intel.filter(
                kind=IntelligenceKind.SAFEGUARDING_ENQUIRY, status=IntelligenceStatus.OPEN
            ),
            "service_id",
            service_ids,
        )
        .order_by("service_id")
        .distinct("service_id")
        .values_list("service_id", flat=True)
    )
    existing = (
        _scoped(ServiceRisk.objects.all(), "service_id", service_ids)
        .order_by("service_id")
        .values_list("service_id", *RESULT_FIELDS)
    )
    return services, latest_review, in_progress, audits, monitoring, enquiries, existing


def _provider_facts(service_ids: list[int] | None):
    """Provider-wide intelligence applies to every service of the provider (SPEC §3)."""
    wide = Intelligence.objects.filter(provider__isnull=False)
    if service_ids is not None:
        wide = wide.filter(provider__services__in=service_ids).distinct()
    open_enquiries = set(
        wide.filter(
            kind=IntelligenceKind.SAFEGUARDING_ENQUIRY, status=IntelligenceStatus.OPEN
        ).values_list("provider_id", flat=True)
    )
    audits = {
        pid: (day, outcome)
        for pid, day, outcome in wide.filter(kind=IntelligenceKind.SAFEGUARDING_AUDIT)
        .order_by("provider_id", "-date", "-pk")
        .distinct("provider_id")
        .values_list("provider_id", "date", "outcome")
    }
    monitoring = dict(
        wide.filter(kind__in=MONITORING_KINDS)
        .values("provider_id")
        .annotate(last=Max("date"))
        .order_by()
        .values_list("provider_id", "last")
    )
    return open_enquiries, audits, monitoring


def _later(a: tuple | None, b: tuple | None) -> tuple | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a[0] >= b[0] else b


def _latest_date(*days: date | None) -> date | None:
    return max((d for d in days if d), default=None)


def evaluate_rows(service_ids: list[int] | None, policy: PolicyVersion, today: date):
    """Yield (service_id, new result dict, existing result dict or None) for each service."""
    services, reviews, in_progress, audits, monitoring, enquiries, existing = _facts_streams(
        service_ids
    )
    wide_enquiries, wide_audits, wide_monitoring = _provider_facts(service_ids)
    # The zone once, not per row: timezone.localdate() looks it up each call.
    zone = timezone.get_current_timezone()
    reviews_s = _Stream((sid, (day, rag)) for sid, day, rag in reviews.iterator(CHUNK))
    progress_s = _Stream((sid, True) for sid in in_progress.iterator(CHUNK))
    audits_s = _Stream((sid, (d, o)) for sid, d, o in audits.iterator(CHUNK))
    monitoring_s = _Stream(monitoring.iterator(CHUNK))
    enquiries_s = _Stream((sid, True) for sid in enquiries.iterator(CHUNK))
    existing_s = _Stream(
        (row[0], dict(zip(RESULT_FIELDS, row[1:], strict=True))) for row in existing.iterator(CHUNK)
    )
    for (
        sid,
        provider_id,
        regulated,
        regulator,
        rating,
        inspected,
        manager,
        market,
        out_of_area,
        funded,
        capacity,
        created_at,
        licence,
    ) in services.iterator(CHUNK):
        review = reviews_s.get(sid)
        review_date, review_rating = review if review else (None, None)
        audit = _later(audits_s.get(sid), wide_audits.get(provider_id))
        facts = ServiceFacts(
            regulated=regulated,
            regulator=regulator,
            regulator_rating=rating,
            last_inspection_date=inspected,
            registered_manager=manager,
            sponsorship_licence=licence,
            open_safeguarding_enquiry=bool(enquiries_s.get(sid)) or provider_id in wide_enquiries,
            latest_review_date=review_date,
            latest_review_rating=review_rating,
            latest_audit_date=audit[0] if audit else None,
            latest_audit_outcome=audit[1] if audit else None,
        )
        result = evaluate(facts, policy.matrix, today)
        plan = schedule(
            ScheduleFacts(
                registered_on=created_at.astimezone(zone).date(),
                overall_rating=result.rating,
                market_risk=bool(market),
                latest_review_date=review_date,
                latest_review_rating=review_rating,
                review_in_progress=bool(progress_s.get(sid)),
                last_monitoring_date=_latest_date(
                    monitoring_s.get(sid), wide_monitoring.get(provider_id), review_date
                ),
                out_of_area=out_of_area,
                regulator_rating=rating,
                council_funded_people=funded,
                capacity=capacity,
            ),
            policy.schedules,
            today,
        )
        new = {
            "rating": result.rating,
            "score": result.score,
            "factors": [f.as_dict() for f in result.factors],
            "policy_version_id": policy.pk,
            "next_review_due": plan.next_review_due,
            "never_reviewed": plan.never_reviewed,
            "review_overdue": plan.review_overdue,
            "follow_up_due": plan.follow_up_due,
            "follow_up_overdue": plan.follow_up_overdue,
            "minimum_contact_met": plan.minimum_contact_met,
            "information_request_months": plan.information_request_months,
            "information_request_due": plan.information_request_due,
            "direct_monitoring": plan.direct_monitoring,
        }
        yield sid, new, existing_s.get(sid)


def recompute(
    service_ids: Iterable[int] | None = None,
    *,
    today: date | None = None,
    policy: PolicyVersion | None = None,
) -> RecomputeCounts:
    """Re-rate the given services (all when ``None``); write only the results that changed."""
    today = today or timezone.localdate()
    ids = None if service_ids is None else sorted(set(service_ids))
    counts = RecomputeCounts()
    if ids == []:
        return counts
    if ids is not None and len(ids) > SUBSET_LIMIT:
        ids = None
    with transaction.atomic():
        policy = policy or PolicyVersion.current()
        now = timezone.now()
        upserts: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for sid, new, old in evaluate_rows(ids, policy, today):
            counts.services += 1
            if old == new:
                continue
            counts.changed += 1
            upserts.append({"service_id": sid, "evaluated_on": today, **new})
            if old is None or old["rating"] != new["rating"]:
                changes.append(
                    {
                        "service_id": sid,
                        "date": today,
                        "from_rating": old["rating"] if old else "",
                        "to_rating": new["rating"],
                        "changed_factors": changed_factors(
                            old["factors"] if old else [], new["factors"]
                        ),
                        "policy_version_id": policy.pk,
                        "created_at": now,
                    }
                )
            if len(upserts) >= WRITE_BATCH:
                counts.rating_changes += _flush(upserts, changes)
        counts.rating_changes += _flush(upserts, changes)
    return counts


def _flush(upserts: list[dict], changes: list[dict]) -> int:
    if upserts:
        insert_rows(
            ServiceRisk,
            upserts,
            conflict="service_id",
            update=[*RESULT_FIELDS, "evaluated_on"],
        )
    written = len(changes)
    if changes:
        insert_rows(RatingChange, changes)
    upserts.clear()
    changes.clear()
    return written


def services_of_providers(provider_ids: Iterable[int]) -> list[int]:
    return list(
        Service.objects.filter(provider_id__in=list(provider_ids)).values_list("pk", flat=True)
    )


def affected_by_intelligence(entry: Intelligence) -> list[int]:
    if entry.service_id:
        return [entry.service_id]
    return services_of_providers([entry.provider_id]) if entry.provider_id else []
