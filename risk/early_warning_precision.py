"""How often the early-warning flag was right (docs/early-warning.md): of the services the rule
would have flagged on a past day, how many went on, within ``horizon`` days, to a worse risk
rating or a higher concern level (suggested by the nightly check or decided).

Read-only: the decisions as of that day are worked out in memory from the intelligence dated
up to it (``risk.early_warning_job``), with the current policy's thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F

from escalation.models import ConcernDecision, ConcernSuggestion
from qaf import policy as qaf_policy
from risk.dashboard import WORSENED
from risk.early_warning import Thresholds
from risk.early_warning_job import _decisions, _services
from risk.models import PolicyVersion, RatingChange


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
        return self.flagged_then_worse / self.flagged if self.flagged else None

    @property
    def base_rate(self) -> float | None:
        others = self.services - self.flagged
        return self.not_flagged_then_worse / others if others else None


def went_worse(start: date, end: date) -> set[int]:
    """Services with a worse rating or a higher concern level in (start, end]."""
    worse = set(
        RatingChange.objects.filter(WORSENED, date__gt=start, date__lte=end).values_list(
            "service_id", flat=True
        )
    )
    worse |= set(
        ConcernDecision.objects.filter(
            to_level__gt=F("from_level"), decided_on__gt=start, decided_on__lte=end
        ).values_list("service_id", flat=True)
    )
    worse |= set(
        ConcernSuggestion.objects.filter(
            level__gt=F("from_level"), created_for__gt=start, created_for__lte=end
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
