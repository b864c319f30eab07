"""The CQC change sync (issue 14 item 3): what CQC changed about our services' locations.

``sync(now=...)`` asks CQC's API (providers.cqc_api) for the locations changed since the last
run (``CqcSyncState.synced_until``), reads the detail of each one that is a service on the
register (regulator CQC, by regulator id), and for each:

- **a new rating** (overall or a key question differs from the service's): the service's rating
  fields change as the CQC ratings import changes them (providers.imports.cqc), with a history
  row; one ``regulator_information`` intelligence entry, source "CQC", says what changed in plain
  words; the service is re-rated when the change commits (risk.signals);
- **deregistered**: ``deregistered_on`` is set (a tag on the service page), an intelligence
  entry says so and the lead officer is told;
- **replaces another location** (``relationships`` of type "HSCA Predecessor", or the old
  location's "HSCA Successor"): the service's ``predecessor`` is the old location's service, so
  its rating history carries over (risk.explain shows the predecessor's rating changes).

Each location is written in its own transaction; a second run over the same changes changes
nothing. ``synced_until`` moves to the run's end only when the feed and every matching location
were read (a location CQC no longer has, 404, is skipped with a note), so a failed run is asked
for again next time. Run nightly before the re-rating (risk.jobs.nightly_work), by
``manage.py sync_cqc``, or by "Run CQC sync now" on the nightly jobs page.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from providers.cqc_api import CqcApiError, CqcClient
from providers.imports import bulk
from providers.imports.cqc import KEY_QUESTION_FIELDS, RATINGS, SOURCE
from providers.imports.files import parse_date
from providers.models import (
    CqcSyncState,
    Intelligence,
    IntelligenceKind,
    Regulator,
    RegulatorRating,
    Service,
    Severity,
)
from qaf import notifications

logger = logging.getLogger(__name__)

CHANGE_REASON = "CQC change sync"
FIRST_SYNC_DAYS = 7  # a first run reads this far back
STATE_KEY = "locations"
PREDECESSOR = "hsca predecessor"
SUCCESSOR = "hsca successor"
DEREGISTERED = "deregistered"
FIELD_LABELS = {
    "regulator_rating": "Overall",
    "rating_safe": "Safe",
    "rating_effective": "Effective",
    "rating_caring": "Caring",
    "rating_responsive": "Responsive",
    "rating_well_led": "Well-led",
}
RATING_FIELDS = tuple(FIELD_LABELS)
SEVERITY_OF = {
    RegulatorRating.INADEQUATE: Severity.HIGH,
    RegulatorRating.REQUIRES_IMPROVEMENT: Severity.MEDIUM,
}
DEREGISTERED_NOTICE = notifications.register_kind(
    "cqc_deregistered", "Service deregistered by CQC"
).name


class SyncOff(Exception):
    """No subscription key is configured: the sync does nothing."""


def enabled() -> bool:
    return bool(settings.QAF_CQC_SUBSCRIPTION_KEY)


def client_from_settings(**kwargs) -> CqcClient:
    if not enabled():
        raise SyncOff("Set QAF_CQC_SUBSCRIPTION_KEY to sync changes from CQC")
    return CqcClient(settings.QAF_CQC_API_URL, settings.QAF_CQC_SUBSCRIPTION_KEY, **kwargs)


# --- Reading a location's detail (pure) -------------------------------------------------------


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return parse_date(str(value)[:10])
    except ValueError:
        return None


def _rating(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return RATINGS.get(re.sub(r"\s+", " ", value.strip().casefold()))


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass
class LocationFacts:
    """What the sync reads from one ``/locations/{id}`` answer."""

    location_id: str
    name: str = ""
    ratings: dict[str, str] = field(default_factory=dict)  # service field -> rating
    report_date: date | None = None
    rated_at: str | None = None  # the location CQC awarded the rating to, when not this one
    last_inspection: date | None = None
    registered: bool = False  # CQC says "Registered" in so many words
    deregistered: bool = False
    deregistered_on: date | None = None
    predecessors: list[tuple[str, str]] = field(default_factory=list)  # (id, name)
    successors: list[tuple[str, str]] = field(default_factory=list)


def read_location(detail: dict[str, Any], today: date) -> LocationFacts:
    """The facts of a location's detail that matter to us; unknown or future values are left
    out rather than guessed."""
    facts = LocationFacts(
        location_id=str(detail.get("locationId") or ""), name=str(detail.get("name") or "")
    )
    current = detail.get("currentRatings")
    overall = current.get("overall") if isinstance(current, dict) else None
    if isinstance(overall, dict):
        if rating := _rating(overall.get("rating")):
            facts.ratings["regulator_rating"] = rating
        facts.report_date = _date(overall.get("reportDate")) or _date(current.get("reportDate"))
        # A location registered again inherits the rating of the one it replaced: CQC names
        # the location it was awarded to.
        awarded = str(overall.get("organisationId") or "").strip()
        if awarded and awarded != facts.location_id:
            facts.rated_at = awarded
        for question in overall.get("keyQuestionRatings") or []:
            if not isinstance(question, dict):
                continue
            name = str(question.get("name") or "").strip().casefold()
            target = KEY_QUESTION_FIELDS.get(name)
            rating = _rating(question.get("rating"))
            if target and target != "regulator_rating" and rating:
                facts.ratings[target] = rating
    if facts.report_date and facts.report_date > today:
        facts.report_date = today
    inspection = detail.get("lastInspection")
    if isinstance(inspection, dict):
        inspected = _date(inspection.get("date"))
        if inspected and inspected <= today:
            facts.last_inspection = inspected
    status = str(detail.get("registrationStatus") or "").strip().casefold()
    facts.registered = status == "registered"
    if status == DEREGISTERED:
        facts.deregistered = True
        day = _date(detail.get("deregistrationDate"))
        facts.deregistered_on = min(day, today) if day else today
    for relation in detail.get("relationships") or []:
        if not isinstance(relation, dict):
            continue
        kind = str(relation.get("type") or "").strip().casefold()
        related = (
            str(relation.get("relatedLocationId") or "").strip(),
            str(relation.get("relatedLocationName") or "").strip(),
        )
        if not related[0] or related[0] == facts.location_id:
            continue
        if kind == PREDECESSOR:
            facts.predecessors.append(related)
        elif kind == SUCCESSOR:
            facts.successors.append(related)
    return facts


def rating_summary(old: dict[str, str], new: dict[str, str], report_date: date | None) -> str:
    """'CQC published a new rating on 14 March 2026: Requires improvement overall (was Good);
    Safe Inadequate (was Good).'"""
    labels = dict(RegulatorRating.choices)
    parts = []
    for name in RATING_FIELDS:
        if name in new:
            label = "overall" if name == "regulator_rating" else ""
            rating = labels[new[name]]
            text = f"{rating} {label}" if label else f"{FIELD_LABELS[name]} {rating}"
            parts.append(f"{text.strip()} (was {labels[old[name]]})")
    when = f" on {_day(report_date)}" if report_date else ""
    return f"CQC published a new rating{when}: {'; '.join(parts)}."


def inherited_summary(new: dict[str, str], facts: LocationFacts, name: str) -> str:
    """'This location carries the CQC rating of Oak Lodge (1-...), the location it replaced,
    published on 14 March 2024: Good overall.'"""
    labels = dict(RegulatorRating.choices)
    parts = [
        f"{labels[new[f]]} overall"
        if f == "regulator_rating"
        else f"{FIELD_LABELS[f]} {labels[new[f]]}"
        for f in RATING_FIELDS
        if f in new
    ]
    where = f"{name} ({facts.rated_at})" if name else facts.rated_at
    when = f", published on {_day(facts.report_date)}" if facts.report_date else ""
    return (
        f"This location carries the CQC rating of {where}, the location it replaced{when}: "
        f"{'; '.join(parts)}."
    )


# --- Writing ------------------------------------------------------------------------------------


@dataclass
class Effects:
    rated: bool = False
    inherited: bool = False
    deregistered: bool = False
    linked: int = 0
    inspection: bool = False


def _cqc_services(location_ids) -> dict[str, Service]:
    return {
        s.regulator_id: s
        for s in Service.objects.filter(
            regulator=Regulator.CQC, regulator_id__in=list(location_ids)
        ).select_related("lead_officer")
    }


def _chain(service_id: int) -> set[int]:
    """The service and every predecessor before it (a link must never make a loop)."""
    seen: set[int] = set()
    current: int | None = service_id
    while current and current not in seen:
        seen.add(current)
        current = Service.objects.filter(pk=current).values_list("predecessor_id", flat=True)[0]
    return seen


def _link(successor: Service, predecessor: Service, changes: dict[int, dict[str, Any]]) -> bool:
    # Read again: the same run may have linked them from the other location's side already.
    successor.predecessor_id = (
        Service.objects.filter(pk=successor.pk).values_list("predecessor_id", flat=True).first()
    )
    if successor.pk == predecessor.pk or successor.predecessor_id == predecessor.pk:
        return False
    if successor.pk in _chain(predecessor.pk):
        logger.warning("CQC sync: linking %s to %s would make a loop", successor, predecessor)
        return False
    changes.setdefault(successor.pk, {})["predecessor"] = predecessor.pk  # bulk: by name
    successor.predecessor_id = predecessor.pk
    return True


def apply_location(
    service: Service, facts: LocationFacts, *, today: date, now: datetime
) -> Effects:
    """Write what changed about one service's location, in one transaction. The service is read
    again, locked, before comparing: a rating import or another run may have changed it."""
    with transaction.atomic():
        service = (
            Service.objects.select_for_update(of=("self",))
            .select_related("lead_officer")
            .get(pk=service.pk)
        )
        return _apply(service, facts, today=today, now=now)


def _newer_or_same(published: date | None, held: date | None) -> bool:
    """Whether a rating published on ``published`` may replace the one held (published on
    ``held``): never an older one, nor one of unknown date over one whose date we know."""
    if held is None:
        return True
    return published is not None and published >= held


def _apply(service: Service, facts: LocationFacts, *, today: date, now: datetime) -> Effects:
    effects = Effects()
    changes: dict[int, dict[str, Any]] = {}
    entries: list[Intelligence] = []
    own = changes.setdefault(service.pk, {})
    old = {name: getattr(service, name) for name in RATING_FIELDS}
    held = service.rating_published_on
    new: dict[str, str] = {}
    if _newer_or_same(facts.report_date, held):
        new = {name: value for name, value in facts.ratings.items() if old[name] != value}
        if facts.report_date and facts.report_date != held and (new or facts.ratings):
            own["rating_published_on"] = facts.report_date
    if new:
        own.update(new)
        own["regulated"] = True
        if facts.rated_at:
            # Not news: the rating the location replaced had, carried over by CQC.
            name = next((n for i, n in facts.predecessors if i == facts.rated_at and n), "")
            if not name:
                name = _cqc_services([facts.rated_at]).get(facts.rated_at, Service()).name
            summary = inherited_summary(new, facts, name)
            severity = Severity.LOW
            effects.inherited = True
        else:
            summary = rating_summary(old, new, facts.report_date)
            severity = max(
                (SEVERITY_OF.get(v, Severity.LOW) for v in new.values()),
                key=[Severity.LOW, Severity.MEDIUM, Severity.HIGH].index,
            )
            effects.rated = True
        entries.append(
            Intelligence(
                service=service,
                kind=IntelligenceKind.REGULATOR_INFORMATION,
                date=facts.report_date or today,
                source=SOURCE,
                summary=summary,
                severity=severity,
            )
        )
    inspected = service.last_inspection_date
    if facts.last_inspection and (inspected is None or facts.last_inspection > inspected):
        own["last_inspection_date"] = facts.last_inspection
        own["regulated"] = True
        effects.inspection = True
    successors = _cqc_services(i for i, _ in facts.successors)
    predecessors = _cqc_services(i for i, _ in facts.predecessors)
    if facts.deregistered and service.deregistered_on is None:
        own["deregistered_on"] = facts.deregistered_on
        replaced = ", ".join(
            f"{name or location} ({location})" for location, name in facts.successors
        )
        entries.append(
            Intelligence(
                service=service,
                kind=IntelligenceKind.REGULATOR_INFORMATION,
                date=facts.deregistered_on,
                source=SOURCE,
                summary=(
                    f"CQC deregistered this location ({facts.location_id}) on "
                    f"{_day(facts.deregistered_on)}."
                    + (f" It is replaced by {replaced}." if replaced else "")
                ),
                severity=Severity.HIGH,
            )
        )
        effects.deregistered = True
    elif facts.registered and service.deregistered_on is not None:
        own["deregistered_on"] = None  # registered again: CQC's word is the latest
    for location, _ in facts.predecessors:
        if (predecessor := predecessors.get(location)) and _link(service, predecessor, changes):
            effects.linked += 1
            break  # a merger lists several; the first on our register carries the history
    for location, _ in facts.successors:
        if (successor := successors.get(location)) and _link(successor, service, changes):
            effects.linked += 1
    changes = {pk: values for pk, values in changes.items() if values}
    if not changes and not entries:
        return effects
    bulk.copy_update(Service, changes, now=now)
    bulk.record_history(
        Service, list(changes), history_type="~", user=None, reason=CHANGE_REASON, now=now
    )
    for entry in entries:
        entry.full_clean()
        entry.save()
    from risk.signals import mark_services_dirty

    mark_services_dirty(changes)  # re-rated when this commits: tonight's rating has it
    if effects.deregistered and service.lead_officer and service.lead_officer.is_active:
        notifications.notify(
            service.lead_officer,
            DEREGISTERED_NOTICE,
            about=service,
            due=facts.deregistered_on,
            message=f"CQC deregistered {service.name} on {_day(facts.deregistered_on)}.",
            now=now,
        )
    return effects


# --- A run --------------------------------------------------------------------------------------


def sync(
    *,
    now: datetime | None = None,
    client: CqcClient | None = None,
    today: date | None = None,
    budget: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, int]:
    """One run of the sync; the counts of what it did. Raises ``SyncOff`` without a key, and
    ``CqcApiError`` when the changes feed cannot be read in full (nothing moves on).

    A run stops after ``budget`` seconds (``QAF_CQC_SYNC_BUDGET_SECONDS``) with the rest of the
    locations unread (``cqc_unfinished``); it, or one with a location that failed, is resumed
    by the next run: the same period, without the locations already done."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    client = client or client_from_settings()
    budget = settings.QAF_CQC_SYNC_BUDGET_SECONDS if budget is None else budget
    started = clock()
    state, _ = CqcSyncState.objects.get_or_create(key=STATE_KEY)
    start = state.synced_until or now - timedelta(days=FIRST_SYNC_DAYS)
    end = state.resume_until or now  # an unfinished period is finished before a new one
    done: set[str] = set(state.resume_done or []) if state.resume_until else set()
    counts: Counter[str] = Counter()
    problems: list[str] = []
    try:
        changed = list(dict.fromkeys(client.changed_locations(start, end)))
    except CqcApiError as exc:
        _record(state, now=now, counts=counts, problems=[str(exc)], finished=False)
        raise
    counts["cqc_changed_locations"] = len(changed)
    finished = True
    todo = [location_id for location_id in changed if location_id not in done]
    for chunk_start in range(0, len(todo), 500):
        chunk = todo[chunk_start : chunk_start + 500]
        services = _cqc_services(chunk)
        for location_id in chunk:
            service = services.get(location_id)
            if service is None:
                done.add(location_id)
                continue
            if clock() - started >= budget:
                counts["cqc_unfinished"] += 1
                finished = False
                continue
            counts["cqc_matched"] += 1
            try:
                detail = client.location(location_id)
            except CqcApiError as exc:
                problems.append(str(exc))
                if exc.status == 404:
                    counts["cqc_not_found"] += 1
                    done.add(location_id)
                else:
                    counts["cqc_failed"] += 1
                    finished = False  # asked for again next run
                continue
            facts = read_location(detail, today)
            try:
                effects = apply_location(service, facts, today=today, now=now)
            except (ValidationError, DatabaseError) as exc:
                # Asking again would get the same answer: noted, and the run goes on.
                logger.warning("CQC sync: %s not applied: %s", location_id, exc)
                problems.append(f"The change to {service.name} ({location_id}) was refused: {exc}")
                counts["cqc_refused"] += 1
                done.add(location_id)
                continue
            done.add(location_id)
            counts["cqc_new_ratings"] += effects.rated
            counts["cqc_inherited_ratings"] += effects.inherited
            counts["cqc_deregistered"] += effects.deregistered
            counts["cqc_linked"] += effects.linked
    if counts["cqc_unfinished"]:
        problems.append(
            f"Out of time after {budget:.0f} seconds with {counts['cqc_unfinished']} "
            "locations still to read: the next run goes on from there."
        )
    counts["cqc_requests"] = client.requests
    _record(
        state,
        now=now,
        counts=counts,
        problems=problems,
        finished=finished,
        end=end,
        done=sorted(done),
    )
    return dict(counts)


def _record(
    state, *, now, counts, problems: list[str], finished: bool, end=None, done=None
) -> None:
    state.last_run_at = now
    state.last_error = "\n".join(problems)
    state.last_counts = dict(counts)
    fields = ["last_run_at", "last_error", "last_counts", "resume_until", "resume_done"]
    if finished:
        state.synced_until = end or now
        state.resume_until, state.resume_done = None, []
        fields.append("synced_until")
    elif done is not None:  # part of the period was read: the next run resumes it
        state.resume_until, state.resume_done = end, done
    state.save(update_fields=fields)


def nightly_step(now: datetime | None = None) -> dict[str, Any]:
    """The nightly job's first step: off without a key; a failure of CQC's API is recorded in the
    counts (and the sync state) and never stops the re-rating that follows."""
    from risk.jobs import CQC_SYNC, advisory_lock

    if not enabled():
        return {}
    # The same lock as a run by hand: two syncs at once would log the same new rating twice.
    with advisory_lock(CQC_SYNC) as acquired:
        if not acquired:
            return {"cqc_sync_error": "A CQC sync run by hand was in progress; skipped tonight."}
        try:
            return sync(now=now)
        except Exception as exc:  # recorded for staff on the nightly jobs page
            logger.exception("The CQC change sync failed")
            return {"cqc_sync_error": str(exc)}


def run_by_hand(triggered_by=None):
    """A run recorded as its own job (``cqc_sync``) on the nightly jobs page; one at a time."""
    from risk.jobs import CQC_SYNC, run_job

    return run_job(CQC_SYNC, lambda today: sync(), triggered_by=triggered_by)
