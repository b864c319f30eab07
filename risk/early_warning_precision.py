"""How often the early-warning flag was right (docs/early-warning.md): of the services the rule
would have flagged on a past day, how many went on, within ``horizon`` days, to get worse.

"Went on to get worse" is read from dated records of what people decided, never from rows a
job computed (a re-rating or a nightly suggestion is dated the day the job ran, which says
nothing about when the service changed): in the days after the as-of day up to and including
the horizon's last day, the service

- had its concern level raised (a manager's decision, or the board's approved proposal:
  ``ConcernDecision.decided_on``),
- had a suspension approved (placements stopped or restricted: ``Suspension.decided_on``), or
- had a review's final report issued rated Red (``Review.completed_on``).

Contract default notices are not an outcome: they are one of the entries the rule counts.

Read-only: the decisions as of that day are worked out in memory from the intelligence dated
up to it (``risk.early_warning_job``), with the current policy's thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F

from escalation.models import ConcernDecision, DecisionKind, Suspension, SuspensionStatus
from qaf import policy as qaf_policy
from qaf.rag import RED
from reviews.models import Review, ReviewStatus
from risk.early_warning import Thresholds
from risk.early_warning_job import _decisions, _services
from risk.models import PolicyVersion

NOT_DECIDED = (SuspensionStatus.PROPOSED, SuspensionStatus.REJECTED)


@dataclass(frozen=True)
class Precision:
    as_of: date
    horizon: int
    services: int
    flagged: int
    flagged_then_worse: int
    not_flagged_then_worse: int

    @property
    def precision(self) -> float | None:
        """Of the services flagged, the share that went on to get worse."""
        return self.flagged_then_worse / self.flagged if self.flagged else None

    @property
    def worse(self) -> int:
        return self.flagged_then_worse + self.not_flagged_then_worse

    @property
    def recall(self) -> float | None:
        """Of the services that went on to get worse, the share flagged beforehand."""
        return self.flagged_then_worse / self.worse if self.worse else None

    @property
    def base_rate(self) -> float | None:
        others = self.services - self.flagged
        return self.not_flagged_then_worse / others if others else None


def went_worse(start: date, end: date) -> set[int]:
    """Services with a dated turn for the worse in (start, end] (the module's list)."""
    window = {"decided_on__gt": start, "decided_on__lte": end}
    worse = set(
        ConcernDecision.objects.filter(to_level__gt=F("from_level"), **window)
        .exclude(kind=DecisionKind.NOT_APPROVED)
        .values_list("service_id", flat=True)
    )
    worse |= set(
        Suspension.objects.filter(**window)
        .exclude(status__in=NOT_DECIDED)
        .values_list("service_id", flat=True)
    )
    worse |= set(
        Review.objects.filter(
            status=ReviewStatus.FINAL, rating=RED, completed_on__gt=start, completed_on__lte=end
        ).values_list("service_id", flat=True)
    )
    return worse


def precision(as_of: date, horizon: int = 180) -> Precision:
    thresholds = Thresholds.from_policy(qaf_policy.values(PolicyVersion.current().schedules))
    decisions = _decisions(_services(as_of), thresholds)
    flagged = {pk for pk, (_, d, _) in decisions.items() if d.flagged}
    worse = went_worse(as_of, as_of + timedelta(days=horizon)) & set(decisions)
    return Precision(
        as_of=as_of,
        horizon=horizon,
        services=len(decisions),
        flagged=len(flagged),
        flagged_then_worse=len(flagged & worse),
        not_flagged_then_worse=len(worse - flagged),
    )
