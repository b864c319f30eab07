"""The nightly early-warning step (``risk.early_warning``): count every service's entries of
concern set-based, decide, store what changed, and tell the lead officer of each service whose
flag was raised (once per raise, through qaf.notifications).

Run by ``risk.jobs.nightly_work`` after the re-rating and by hand with
``manage.py early_warning`` (or for one service from its page).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from providers.models import CommissioningStatus, Intelligence, Service
from qaf import notifications
from qaf import policy as qaf_policy
from risk.early_warning import (
    BASELINE_DAYS,
    KINDS,
    WEEKS,
    WINDOW_DAYS,
    Counts,
    Decision,
    Thresholds,
    decide,
    rate_to_tenth,
    size_band,
)
from risk.models import EarlyWarning, PolicyVersion
from risk.notices import GETTING_WORSE

BATCH = 2000
# What a change of decision is (a history row): the series and the day are not.
DECIDED_FIELDS = (
    "flagged",
    "flagged_since",
    "reason",
    "recent",
    "recent_by_kind",
    "previous",
    "own_rate",
    "peer_rate",
    "peers",
    "size_band",
    "policy_version",
)


@dataclass
class _Tally:
    recent: dict[str, int] = field(default_factory=dict)
    previous: int = 0
    weekly: list[int] = field(default_factory=lambda: [0] * WEEKS)
    first: date | None = None

    def add(self, other: _Tally) -> None:
        for kind, n in other.recent.items():
            self.recent[kind] = self.recent.get(kind, 0) + n
        self.previous += other.previous
        self.weekly = [a + b for a, b in zip(self.weekly, other.weekly, strict=True)]
        if other.first and (self.first is None or other.first < self.first):
            self.first = other.first


def _tallies(today: date) -> tuple[dict[int, _Tally], dict[int, _Tally]]:
    """Entries of concern per service and per provider (provider-wide), by day: one query."""
    oldest = today - timedelta(days=WEEKS * 7 - 1)
    rows = (
        Intelligence.objects.filter(kind__in=KINDS, date__gte=oldest, date__lte=today)
        .order_by()
        .values("service_id", "provider_id", "kind", "date")
        .annotate(n=Count("pk"))
    )
    by_service: dict[int, _Tally] = defaultdict(_Tally)
    by_provider: dict[int, _Tally] = defaultdict(_Tally)
    for row in rows.iterator(chunk_size=BATCH):
        tally = (
            by_service[row["service_id"]] if row["service_id"] else by_provider[row["provider_id"]]
        )
        days_ago = (today - row["date"]).days
        n = row["n"]
        if days_ago < WINDOW_DAYS:
            tally.recent[row["kind"]] = tally.recent.get(row["kind"], 0) + n
        elif days_ago < WINDOW_DAYS + BASELINE_DAYS:
            tally.previous += n
        tally.weekly[WEEKS - 1 - days_ago // 7] += n
        if tally.first is None or row["date"] < tally.first:
            tally.first = row["date"]
    return by_service, by_provider


def _history_days(today: date, known_since: date | None) -> int:
    """Days of the year before the window on which the service was known."""
    baseline_end = today - timedelta(days=WINDOW_DAYS)  # the last day before the window
    if known_since is None:
        return BASELINE_DAYS
    return max(0, min(BASELINE_DAYS, (baseline_end - known_since).days + 1))


@dataclass(frozen=True)
class _Service:
    pk: int
    group: tuple[str, str]  # (service type, size band)
    tally: _Tally
    history_days: int


def _services(today: date) -> list[_Service]:
    by_service, by_provider = _tallies(today)
    # The earliest intelligence of any kind counts as "known since" too: a service on the
    # register before it was entered in QAF has history before its row was created.
    first_entry = dict(
        Intelligence.objects.filter(service__isnull=False)
        .order_by()
        .values_list("service_id")
        .annotate(first=Min("date"))
    )
    out = []
    rows = (
        Service.objects.exclude(commissioning_status=CommissioningStatus.DECOMMISSIONED)
        .order_by("pk")
        .values_list(
            "pk",
            "provider_id",
            "service_type",
            "capacity",
            "council_funded_people",
            "registration_date",
            "created_at",
        )
    )
    for pk, provider_id, kind, capacity, funded, registered, created in rows.iterator(
        chunk_size=BATCH
    ):
        tally = _Tally()
        if pk in by_service:
            tally.add(by_service[pk])
        if provider_id in by_provider:
            tally.add(by_provider[provider_id])
        starts = [d for d in (registered, timezone.localdate(created), first_entry.get(pk)) if d]
        out.append(
            _Service(
                pk=pk,
                group=(kind, size_band(capacity, funded)),
                tally=tally,
                history_days=_history_days(today, min(starts) if starts else None),
            )
        )
    return out


def _decisions(services: list[_Service], thresholds: Thresholds) -> dict[int, tuple]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in services:
        if s.history_days:
            group = groups[s.group]
            group[0] += 1
            group[1] += s.tally.previous
            group[2] += s.history_days
    out = {}
    for s in services:
        peers, entries, days = groups.get(s.group, (0, 0, 0))
        if s.history_days:  # not a peer of itself
            peers, entries, days = peers - 1, entries - s.tally.previous, days - s.history_days
        counts = Counts(
            recent=dict(s.tally.recent),
            previous=s.tally.previous,
            history_days=s.history_days,
            peers=peers,
            peer_entries=entries,
            peer_days=days,
            service_type=s.group[0],
            size_band=s.group[1],
        )
        out[s.pk] = (counts, decide(counts, thresholds), s.tally.weekly)
    return out


def _rate_stored(value: Fraction | None) -> Decimal | None:
    return None if value is None else rate_to_tenth(value)


def compute(
    today: date, *, policy: PolicyVersion | None = None, only: int | None = None
) -> dict[str, int]:
    """Decide for every service (or store only service ``only``) and write what changed."""
    policy = policy or PolicyVersion.current()
    thresholds = Thresholds.from_policy(qaf_policy.values(policy.schedules))
    decisions = _decisions(_services(today), thresholds)
    if only is not None:
        decisions = {only: decisions[only]} if only in decisions else {}
    existing = EarlyWarning.objects.in_bulk(list(decisions)) if only is not None else None
    if existing is None:
        existing = {w.service_id: w for w in EarlyWarning.objects.all().iterator(BATCH)}
    new, decided, moved, raised = [], [], [], 0
    for pk, (counts, decision, weekly) in decisions.items():
        warning = _apply(existing.get(pk), pk, counts, decision, weekly, today, policy)
        if pk not in existing:
            new.append(warning)
            raised += warning.flagged
        elif warning._decided_changed:
            decided.append(warning)
            raised += warning.flagged and warning.flagged_since == today
        elif warning._weekly_changed:
            moved.append(warning)
    with transaction.atomic():
        # A check by hand during the nightly run may have made a row first: keep that one.
        bulk_create_with_history(new, EarlyWarning, batch_size=BATCH, ignore_conflicts=True)
        bulk_update_with_history(
            decided, EarlyWarning, [*DECIDED_FIELDS, "weekly", "computed_for"], batch_size=BATCH
        )
        EarlyWarning.objects.bulk_update(moved, ["weekly", "computed_for"], batch_size=BATCH)
        rest = EarlyWarning.objects.all()
        if only is not None:
            rest = rest.filter(pk__in=list(decisions))
        rest.exclude(computed_for=today).update(computed_for=today)
    return {
        "early_warning_flagged": sum(1 for _, d, _ in decisions.values() if d.flagged),
        "early_warning_raised": raised,
        "early_warning_changed": len(new) + len(decided),
    }


def _apply(warning, pk, counts: Counts, decision: Decision, weekly, today, policy):
    if warning is None:
        warning = EarlyWarning(service_id=pk)
    before = {name: getattr(warning, name, None) for name in DECIDED_FIELDS}
    before_weekly = warning.weekly if warning.pk else None
    if decision.flagged and not warning.flagged:
        warning.flagged_since = today
    elif not decision.flagged:
        warning.flagged_since = None
    warning.flagged = decision.flagged
    warning.reason = decision.reason
    warning.recent = counts.total
    warning.recent_by_kind = {k: n for k, n in counts.recent.items() if n}
    warning.previous = counts.previous
    warning.own_rate = _rate_stored(decision.own_rate)
    warning.peer_rate = _rate_stored(decision.peer_rate)
    warning.peers = counts.peers
    warning.size_band = counts.size_band
    warning.policy_version = policy
    warning.weekly = weekly
    warning.computed_for = today
    after = {name: getattr(warning, name) for name in DECIDED_FIELDS}
    warning._decided_changed = before != after
    warning._weekly_changed = before_weekly != weekly
    return warning


def notices(today: date) -> int:
    """Tell each flagged service's (active) lead officer, once per raise: a notice is unique
    per (officer, service, kind, day the flag was raised)."""
    now = timezone.now()
    service_type = ContentType.objects.get_for_model(Service)
    flagged = (
        EarlyWarning.objects.filter(
            flagged=True,
            service__lead_officer__isnull=False,
            service__lead_officer__is_active=True,
        )
        .order_by()
        .values_list(
            "service_id", "service__name", "service__lead_officer_id", "flagged_since", "reason"
        )
    )
    rows = (
        notifications.notice_row(
            user_id=officer,
            kind=GETTING_WORSE,
            content_type=service_type,
            object_id=pk,
            service_id=pk,
            due=since or today,
            message=f"{name} may be getting worse. {reason}",
            now=now,
        )
        for pk, name, officer, since, reason in flagged.iterator(chunk_size=BATCH)
    )
    return notifications.create_once(rows)


def nightly(today: date, policy: PolicyVersion | None = None) -> dict[str, int]:
    counts = compute(today, policy=policy)
    counts["early_warning_notifications"] = notices(today)
    return counts
