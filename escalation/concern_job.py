"""The nightly step that suggests concern levels (SPEC §8), set-based (STYLE habits 3, 7, 8).

Reads: a fixed number of queries whatever the number of services, each streamed in service
order and merged (``risk.recompute._Stream``); provider-wide intelligence as small dicts.
Then, for each service, the pure rule (``escalation.concern.suggest``) and a comparison with
the service's level and its waiting suggestion:

- the triggers point to the level the service is at (or it is decommissioned): a waiting
  suggestion is withdrawn;
- they point elsewhere: a suggestion is created, once (at most one waits per service, a
  database constraint, so a second run finds it and writes nothing); one waiting for another
  level is withdrawn first; one for the same level whose reasons changed gets the new reasons;
- a manager dismissed a suggestion of this level with these very reasons: not suggested again
  until the reasons change.

Writes are set-based, in batches, all in one transaction under an advisory lock, so two runs
never interleave and a failed run leaves the suggestions as they were. Suggestions are the
machine's rows (no actor): created and withdrawn by statements of their own, like the risk
results; managers' decisions about them go through ``escalation.concern_workflows``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from escalation.concern import DEFAULT_NOTICE_MONTHS, ConcernFacts, Suggestion, suggest
from escalation.models import (
    ConcernLevel,
    ConcernSuggestion,
    Restriction,
    SuggestionStatus,
    Suspension,
)
from providers.models import (
    KEY_QUESTIONS,
    CommissioningStatus,
    Intelligence,
    IntelligenceKind,
    IntelligenceStatus,
    Service,
)
from qaf import policy
from qaf.bulkload import insert_rows
from risk.recompute import _Stream

CHUNK = 2000
WRITE_BATCH = 2000
# pg_advisory_xact_lock: any stable 64-bit number of our own (risk.jobs uses 7_264_00x).
LOCK_ID = 7_264_101

W = SuggestionStatus


@dataclass
class Counts:
    services: int = 0
    suggested: int = 0
    withdrawn: int = 0
    reasons_updated: int = 0
    waiting: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f"concern_{name}": value for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class _Waiting:
    pk: int
    level: int
    reasons: list[str]


def _streams(today: date, notice_start: date) -> dict[str, Any]:
    service_intel = Intelligence.objects.filter(service__isnull=False)
    return {
        "services": Service.objects.order_by("pk").values_list(
            "pk",
            "provider_id",
            "commissioning_status",
            "regulator_rating",
            *(f"rating_{kq}" for kq in KEY_QUESTIONS),
        ),
        "levels": ConcernLevel.objects.order_by("service_id").values_list("service_id", "level"),
        "enquiries": service_intel.filter(
            kind=IntelligenceKind.SAFEGUARDING_ENQUIRY, status=IntelligenceStatus.OPEN
        )
        .values("service_id")
        .annotate(since=Min("date"))
        .order_by("service_id")
        .values_list("service_id", "since"),
        # At most one open suspension per service (a constraint); approved on decided_on.
        "suspensions": Suspension.objects.in_force()
        .filter(decided_on__isnull=False)
        .order_by("service_id")
        .values_list("service_id", "decided_on", "restriction"),
        "notices": service_intel.filter(
            kind=IntelligenceKind.CONTRACT_DEFAULT_NOTICE, date__gt=notice_start, date__lte=today
        )
        .values("service_id")
        .annotate(days=ArrayAgg("date"))
        .order_by("service_id")
        .values_list("service_id", "days"),
        "waiting": ConcernSuggestion.objects.waiting()
        .order_by("service_id")
        .values_list("service_id", "pk", "level", "reasons"),
        # The latest dismissal of each service: not suggested again with the same reasons.
        "dismissed": ConcernSuggestion.objects.filter(status=W.DISMISSED)
        .order_by("service_id", "-closed_on", "-pk")
        .distinct("service_id")
        .values_list("service_id", "level", "reasons"),
    }


def _provider_wide(today: date, notice_start: date) -> tuple[dict, dict]:
    """Provider-wide entries apply to every service of the provider (SPEC §3)."""
    wide = Intelligence.objects.filter(provider__isnull=False)
    enquiries = dict(
        wide.filter(kind=IntelligenceKind.SAFEGUARDING_ENQUIRY, status=IntelligenceStatus.OPEN)
        .values("provider_id")
        .annotate(since=Min("date"))
        .order_by()
        .values_list("provider_id", "since")
    )
    notices = dict(
        wide.filter(
            kind=IntelligenceKind.CONTRACT_DEFAULT_NOTICE, date__gt=notice_start, date__lte=today
        )
        .values("provider_id")
        .annotate(days=ArrayAgg("date"))
        .order_by()
        .values_list("provider_id", "days")
    )
    return enquiries, notices


def evaluate(today: date, settings: dict) -> Iterator[tuple[int, int, Suggestion | None, Any]]:
    """(service id, its level, the suggestion the triggers make or None when they agree with
    the level, what waits for it or None, the latest dismissal or None) for every service."""
    notice_start = today - relativedelta(months=settings[DEFAULT_NOTICE_MONTHS])
    q = _streams(today, notice_start)
    wide_enquiries, wide_notices = _provider_wide(today, notice_start)
    levels = _Stream(q["levels"].iterator(CHUNK))
    enquiries = _Stream(q["enquiries"].iterator(CHUNK))
    suspensions = _Stream((sid, rest) for sid, *rest in q["suspensions"].iterator(CHUNK))
    notices = _Stream(q["notices"].iterator(CHUNK))
    waiting = _Stream(
        (sid, _Waiting(pk, level, reasons))
        for sid, pk, level, reasons in q["waiting"].iterator(CHUNK)
    )
    dismissed = _Stream((sid, rest) for sid, *rest in q["dismissed"].iterator(CHUNK))
    # Overdue improvement actions are few (agreed actions past their day): read at once.
    from escalation.plan_services import overdue_action_dates

    overdue_actions = overdue_action_dates(today)
    for sid, provider_id, status, rating, *key_questions in q["services"].iterator(CHUNK):
        level = levels.get(sid, 1)
        on_service, on_provider = enquiries.get(sid), wide_enquiries.get(provider_id)
        since = min((d for d in (on_service, on_provider) if d), default=None)
        suspension = suspensions.get(sid)
        facts = ConcernFacts(
            regulator_rating=rating,
            key_question_ratings=tuple(key_questions),
            enquiry_open_since=since,
            enquiry_provider_wide=since is not None and on_service != since,
            suspension_since=suspension[0] if suspension else None,
            restricted_placements=bool(
                suspension and suspension[1] == Restriction.RESTRICTED_PLACEMENTS
            ),
            default_notices=tuple(notices.get(sid, ())) + tuple(wide_notices.get(provider_id, ())),
            overdue_improvement_actions=tuple(sorted(overdue_actions.get(sid, ()))),
        )
        result = suggest(facts, today, settings)
        if result.level == level or status == CommissioningStatus.DECOMMISSIONED:
            result = None
        yield sid, level, result, waiting.get(sid), dismissed.get(sid)


def suggest_levels(today: date | None = None) -> dict[str, int]:
    """Suggest a concern level for every service; withdraw what the triggers no longer
    support. Returns the counts for the JobRun."""
    today = today or timezone.localdate()
    counts = Counts()
    settings = policy.current_values()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])
        now = timezone.now()
        withdraw: list[int] = []
        create: list[dict] = []
        update: list[dict] = []
        for sid, level, result, waiting, dismissed in evaluate(today, settings):
            counts.services += 1
            if waiting is not None and (result is None or waiting.level != result.level):
                withdraw.append(waiting.pk)
                waiting = None
            if result is None:
                pass
            elif waiting is not None:
                if waiting.reasons != result.reasons:
                    update.append(
                        {"id": waiting.pk, "reasons": result.reasons, "triggers": result.codes}
                    )
            elif dismissed is None or list(dismissed) != [result.level, result.reasons]:
                create.append(
                    {
                        "service_id": sid,
                        "level": result.level,
                        "from_level": level,
                        "reasons": result.reasons,
                        "triggers": result.codes,
                        "created_for": today,
                        "status": W.WAITING,
                        "dismiss_reason": "",
                        "created_at": now,
                    }
                )
            if max(len(withdraw), len(create), len(update)) >= WRITE_BATCH:
                _flush(counts, today, withdraw, create, update)
        _flush(counts, today, withdraw, create, update)
        counts.waiting = ConcernSuggestion.objects.waiting().count()
    return counts.as_dict()


def _flush(counts: Counts, today: date, withdraw: list, create: list, update: list) -> None:
    if withdraw:
        # Conditional: a manager who accepted or dismissed it meanwhile keeps their answer.
        counts.withdrawn += ConcernSuggestion.objects.filter(
            pk__in=withdraw, status=W.WAITING
        ).update(status=W.WITHDRAWN, closed_on=today)
    if create:
        counts.suggested += insert_rows(ConcernSuggestion, create, ignore_conflicts=True)
    if update:
        counts.reasons_updated += _update_reasons(update)
    withdraw.clear()
    create.clear()
    update.clear()


def _update_reasons(rows: list[dict]) -> int:
    """New reasons for suggestions still waiting, in one statement (conditional, as above)."""
    table = connection.ops.quote_name(ConcernSuggestion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS s SET reasons = r.reasons, triggers = r.triggers "  # noqa: S608
            "FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, reasons text[], "
            "triggers varchar(48)[]) WHERE s.id = r.id AND s.status = %s",
            [json.dumps(rows), W.WAITING],
        )
        return cursor.rowcount
