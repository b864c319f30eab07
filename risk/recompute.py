"""Set-based recompute: gather every service's facts in a fixed number of streamed queries,
evaluate the matrix and schedules, and write only what changed (STYLE habits 3, 7, 8).

Reads: one query per fact, each streamed in service order through a server-side cursor and
merged in Python, so the number of reads does not grow with the number of services and memory
stays flat. Re-rating given services (after an import or an edit) runs the same queries with
the ids as one array parameter (``qaf.bulkload.id_array``), however many there are.
Writes: changed results are upserted, and rating changes recorded, in batches. The whole run
is one transaction: a run that fails leaves the previous results as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.postgres.aggregates import BoolOr
from django.db import transaction
from django.db.models import Max, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils import timezone

from providers.models import (
    CARE_HOME_TYPES,
    Intelligence,
    IntelligenceKind,
    IntelligenceStatus,
    Service,
)
from qaf.bulkload import id_array, insert_rows
from reviews.models import (
    IN_PROGRESS,
    InformationRequest,
    RequestStatus,
    Review,
    ReviewKind,
    ReviewStatus,
)
from risk.matrix import ServiceFacts, changed_factors, evaluate
from risk.models import PolicyVersion, RatingChange, ServiceRisk
from risk.schedules import ScheduleFacts, schedule

logger = logging.getLogger(__name__)

CHUNK = 2000
WRITE_BATCH = 2000

# Intelligence that is contact for the minimum-contact rule (SPEC §5). The other contacts are
# read from their own tables: a final review, a recorded visit, an answered information request.
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
    "information_request_overdue",
    "last_information_request",
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


def _scoped(qs, field_name: str, service_ids: RawSQL | None):
    return qs if service_ids is None else qs.filter(**{f"{field_name}__in": service_ids})


def _facts_streams(service_ids: RawSQL | None) -> dict[str, Any]:
    """The queries that gather every fact, each ordered by service id: of every service, or
    of the services ``service_ids`` (``qaf.bulkload.id_array``: one array in each query)."""
    services = (
        _scoped(Service.objects.all(), "pk", service_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "provider_id",
            "service_type",
            "regulated",
            "regulator",
            "regulator_rating",
            "last_inspection_date",
            "registration_date",
            "registered_manager",
            "market_risk_reasons",
            "out_of_area",
            "council_funded_people",
            "capacity",
            "created_at",
            "provider__sponsorship_licence",
        )
    )
    final = _scoped(Review.objects.filter(status=ReviewStatus.FINAL), "service_id", service_ids)
    # The matrix and the next full review read the latest *full* review (issue 9 item 5)...
    latest_full = (
        final.filter(kind=ReviewKind.FULL)
        .order_by("service_id", "-completed_on", "-pk")
        .distinct("service_id")
        .values_list("service_id", "completed_on", "rating")
    )
    # ...the follow-up and the minimum contact the latest of either kind.
    latest_any = (
        final.order_by("service_id", "-completed_on", "-pk")
        .distinct("service_id")
        .values_list("service_id", "completed_on", "rating")
    )
    in_progress = Q(status__in=IN_PROGRESS)
    visited = Q(visit_recorded_at__isnull=False)
    review_activity = (
        _scoped(Review.objects.filter(in_progress | visited), "service_id", service_ids)
        .values("service_id")
        .annotate(
            any_in_progress=BoolOr(Value(True), filter=in_progress),
            full_in_progress=BoolOr(Value(True), filter=in_progress & Q(kind=ReviewKind.FULL)),
            # A visit is contact once recorded, whatever becomes of its report (SPEC §5).
            last_visit=Max("visit_date", filter=visited),
        )
        .order_by("service_id")
        .values_list("service_id", "any_in_progress", "full_in_progress", "last_visit")
    )
    requests = (
        _scoped(
            InformationRequest.objects.filter(
                status__in=(RequestStatus.SENT, RequestStatus.CLOSED)
            ),
            "service_id",
            service_ids,
        )
        .values("service_id")
        .annotate(
            last_sent=Max("issued_on"),
            last_answer=Max(TruncDate("items__answered_at")),
        )
        .order_by("service_id")
        .values_list("service_id", "last_sent", "last_answer")
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
    sustainability = _sustainability_reviews(service_ids)
    existing = (
        _scoped(ServiceRisk.objects.all(), "service_id", service_ids)
        .order_by("service_id")
        .values_list("service_id", *RESULT_FIELDS)
    )
    return {
        "services": services,
        "latest_full": latest_full,
        "latest_any": latest_any,
        "review_activity": review_activity,
        "requests": requests,
        "audits": audits,
        "monitoring": monitoring,
        "enquiries": enquiries,
        "sustainability": sustainability,
        "existing": existing,
    }


def _sustainability_reviews(service_ids: RawSQL | None):
    """Per service, the latest sustainability review an escalation case set (source 003
    Appendix 4) and the day that case left final warning, by service id."""
    from django.db.models import OuterRef, Subquery

    from escalation.models import CaseMove, EscalationCase, Stage

    left = (
        CaseMove.objects.filter(case=OuterRef("pk"), from_stage=Stage.FINAL_WARNING)
        .order_by("-on", "-pk")
        .values("on")[:1]
    )
    return (
        _scoped(
            EscalationCase.objects.filter(sustainability_review_due__isnull=False),
            "service_id",
            service_ids,
        )
        .annotate(left_on=Subquery(left))
        .order_by("service_id", "-sustainability_review_due", "-pk")
        .distinct("service_id")
        .values_list("service_id", "sustainability_review_due", "left_on")
    )


def _provider_facts(service_ids: RawSQL | None):
    """Provider-wide intelligence applies to every service of the provider (SPEC §3)."""
    wide = Intelligence.objects.filter(provider__isnull=False)
    if service_ids is not None:
        wide = wide.filter(
            provider_id__in=Service.objects.filter(pk__in=service_ids).values("provider_id")
        )
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


NO_REVIEW = (None, None)
NO_ACTIVITY = (False, False, None)
NO_REQUESTS = (None, None)


def evaluate_rows(service_ids: list[int] | None, policy: PolicyVersion, today: date):
    """Yield (service_id, new result dict, existing result dict or None) for each service."""
    ids = None if service_ids is None else id_array(service_ids)
    q = _facts_streams(ids)
    wide_enquiries, wide_audits, wide_monitoring = _provider_facts(ids)
    # The zone once, not per row: timezone.localdate() looks it up each call.
    zone = timezone.get_current_timezone()
    full_s = _Stream((sid, (day, rag)) for sid, day, rag in q["latest_full"].iterator(CHUNK))
    any_s = _Stream((sid, (day, rag)) for sid, day, rag in q["latest_any"].iterator(CHUNK))
    activity_s = _Stream((row[0], row[1:]) for row in q["review_activity"].iterator(CHUNK))
    requests_s = _Stream((row[0], row[1:]) for row in q["requests"].iterator(CHUNK))
    audits_s = _Stream((sid, (d, o)) for sid, d, o in q["audits"].iterator(CHUNK))
    monitoring_s = _Stream(q["monitoring"].iterator(CHUNK))
    enquiries_s = _Stream((sid, True) for sid in q["enquiries"].iterator(CHUNK))
    sustainability_s = _Stream((sid, (d, o)) for sid, d, o in q["sustainability"].iterator(CHUNK))
    existing_s = _Stream(
        (row[0], dict(zip(RESULT_FIELDS, row[1:], strict=True)))
        for row in q["existing"].iterator(CHUNK)
    )
    for (
        sid,
        provider_id,
        service_type,
        regulated,
        regulator,
        rating,
        inspected,
        registered,
        manager,
        market,
        out_of_area,
        funded,
        capacity,
        created_at,
        licence,
    ) in q["services"].iterator(CHUNK):
        full_date, full_rating = full_s.get(sid, NO_REVIEW)
        review_date, review_rating = any_s.get(sid, NO_REVIEW)
        any_in_progress, full_in_progress, last_visit = activity_s.get(sid, NO_ACTIVITY)
        last_sent, last_answer = requests_s.get(sid, NO_REQUESTS)
        audit = _later(audits_s.get(sid), wide_audits.get(provider_id))
        sustainability_due, left_final_warning = sustainability_s.get(sid, (None, None))
        facts = ServiceFacts(
            regulated=regulated,
            regulator=regulator,
            regulator_rating=rating,
            last_inspection_date=inspected,
            registered_manager=manager,
            registration_date=registered,
            sponsorship_licence=licence,
            open_safeguarding_enquiry=bool(enquiries_s.get(sid)) or provider_id in wide_enquiries,
            latest_full_review_date=full_date,
            latest_full_review_rating=full_rating,
            latest_audit_date=audit[0] if audit else None,
            latest_audit_outcome=audit[1] if audit else None,
        )
        result = evaluate(facts, policy.matrix, today)
        plan = schedule(
            ScheduleFacts(
                registered_on=registered or created_at.astimezone(zone).date(),
                overall_rating=result.rating,
                market_risk=bool(market),
                latest_full_review_date=full_date,
                latest_review_date=review_date,
                latest_review_rating=review_rating,
                full_review_in_progress=bool(full_in_progress),
                review_in_progress=bool(any_in_progress),
                # SPEC §5: every kind of contact counts; audits, meetings and feedback logged
                # provider-wide count for each of its services.
                last_contact_date=_latest_date(
                    monitoring_s.get(sid),
                    wide_monitoring.get(provider_id),
                    review_date,
                    last_visit,
                    last_answer,
                ),
                out_of_area=out_of_area,
                care_home=service_type in CARE_HOME_TYPES,
                regulator_rating=rating,
                council_funded_people=funded,
                capacity=capacity,
                last_information_request_date=last_sent,
                sustainability_review_due=sustainability_due,
                left_final_warning_on=left_final_warning,
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
            "information_request_overdue": plan.information_request_overdue,
            "last_information_request": last_sent if out_of_area else None,
            "direct_monitoring": plan.direct_monitoring,
        }
        yield sid, new, existing_s.get(sid)


def recompute(
    service_ids: Iterable[int] | None = None,
    *,
    today: date | None = None,
    policy: PolicyVersion | None = None,
) -> RecomputeCounts:
    """Re-rate the given services (all when ``None``); write only the results that changed.
    The same queries and writes either way: given ids are one array in each query."""
    today = today or timezone.localdate()
    ids = None if service_ids is None else sorted(set(service_ids))
    counts = RecomputeCounts()
    if ids == []:
        return counts
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
