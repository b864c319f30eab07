"""The Quality Risk Matrix (SPEC §4, source 000 Appendix A) as a pure function.

``evaluate(facts, matrix, today)`` takes plain data and returns a ``RiskResult``: one RAG per
factor with a reason in plain words, the overall RAG (the worst applicable factor) and the score
(the sum of factor weights). Nothing here touches the database, so every factor and boundary is
tested with plain values and a fixed ``today``.

The factors are code; their thresholds, RAG mappings, weights and on/off switches are data
(``matrix``, a dict as stored in ``risk.models.PolicyVersion.matrix``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta

from qaf.rag import AMBER, GREEN, RED, label, worst
from qaf.rag import NOT_APPLICABLE as NA

FACTORS = (
    "regulator_rating",
    "inspection_age",
    "sponsorship_licence",
    "safeguarding_enquiry",
    "registered_manager",
    "review_outcome",
    "review_age",
    "safeguarding_audit",
    "safeguarding_audit_age",
)

FACTOR_LABELS = {
    "regulator_rating": "Regulator rating",
    "inspection_age": "Time since the last inspection",
    "sponsorship_licence": "Sponsorship licence (provider)",
    "safeguarding_enquiry": "Organisational safeguarding enquiry",
    "registered_manager": "Registered manager",
    "review_outcome": "Latest QA review outcome",
    "review_age": "Time since the last QA review",
    "safeguarding_audit": "Safeguarding audit outcome",
    "safeguarding_audit_age": "Time since the last safeguarding audit",
}

RATING_WORDS = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
    "not_rated": "Not rated",
}
LICENCE_WORDS = {
    "not_held": "not held",
    "active": "active",
    "suspended": "suspended",
    "revoked": "revoked",
}

DEFAULT_WEIGHTS = {GREEN: 0, AMBER: 1, RED: 3}

# SPEC §4's table, exactly. The gaps of the source table (2-3 and 4-5 years for review age) are
# closed towards Amber.
DEFAULT_MATRIX: dict[str, dict[str, Any]] = {
    "regulator_rating": {
        "enabled": True,
        "weights": DEFAULT_WEIGHTS,
        "mapping": {
            "outstanding": GREEN,
            "good": GREEN,
            "requires_improvement": AMBER,
            "inadequate": RED,
        },
    },
    "inspection_age": {
        "enabled": True,
        "weights": DEFAULT_WEIGHTS,
        "amber_years": 3,
        "never_inspected": AMBER,
    },
    "sponsorship_licence": {
        "enabled": True,
        "weights": DEFAULT_WEIGHTS,
        "mapping": {"not_held": GREEN, "active": GREEN, "suspended": RED, "revoked": RED},
    },
    "safeguarding_enquiry": {"enabled": True, "weights": DEFAULT_WEIGHTS, "open": RED},
    "registered_manager": {
        "enabled": True,
        "weights": DEFAULT_WEIGHTS,
        "not_in_post": AMBER,
        "not_known": AMBER,
    },
    "review_outcome": {
        "enabled": True,
        "weights": DEFAULT_WEIGHTS,
        "mapping": {GREEN: GREEN, AMBER: AMBER, RED: RED},
    },
    "review_age": {
        "enabled": True,
        "weights": DEFAULT_WEIGHTS,
        "amber_years": 2,
        "red_years": 5,
        "never_reviewed": AMBER,
    },
    "safeguarding_audit": {
        "enabled": True,
        "weights": DEFAULT_WEIGHTS,
        "mapping": {"satisfactory": GREEN, "not_satisfactory": AMBER},
    },
    "safeguarding_audit_age": {
        "enabled": True,
        "weights": DEFAULT_WEIGHTS,
        "amber_years": 1,
        "never_audited": AMBER,
    },
}


def with_defaults(matrix: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """A stored matrix with each factor's settings it lacks (a version saved before a setting
    existed, like "registered manager not known") taken from ``DEFAULT_MATRIX``."""
    stored = matrix or {}
    return {
        name: copy.deepcopy({**DEFAULT_MATRIX[name], **(stored.get(name) or {})})
        for name in FACTORS
    }


@dataclass(frozen=True)
class ServiceFacts:
    """What the matrix needs to know about one service (gathered in bulk by risk.recompute)."""

    regulated: bool
    regulator: str = ""
    regulator_rating: str = "not_rated"
    last_inspection_date: date | None = None
    # True: in post; False: not in post; None: not known (nobody has said).
    registered_manager: bool | None = None
    # The regulator's registration date, or the day the service came onto the council's
    # register: the review age of a service never reviewed counts from it.
    registration_date: date | None = None
    sponsorship_licence: str = "not_held"
    open_safeguarding_enquiry: bool = False
    # The latest final *full* review: a focused review neither resets the review age nor
    # replaces the full review's outcome (issue 9 item 5).
    latest_full_review_date: date | None = None
    latest_full_review_rating: str | None = None
    latest_audit_date: date | None = None
    latest_audit_outcome: str | None = None


@dataclass(frozen=True)
class FactorResult:
    factor: str
    rag: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"factor": self.factor, "rag": self.rag, "reason": self.reason}


@dataclass(frozen=True)
class RiskResult:
    rating: str
    score: int
    factors: tuple[FactorResult, ...] = field(default_factory=tuple)

    def factor(self, name: str) -> FactorResult | None:
        return next((f for f in self.factors if f.factor == name), None)


# Cached (pure, and called with the same few days for every service in a recompute):
# relativedelta and strftime were a third of the time of a 100,000-service recompute.
@lru_cache(maxsize=16384)
def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February falls back to 28 February)."""
    return day - relativedelta(years=years)


def is_within_years(event: date, today: date, years: int) -> bool:
    """ "Less than N years before today": after the same day N years earlier (SPEC §4)."""
    return event > years_before(today, years)


@lru_cache(maxsize=16384)
def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _regulator_rating(facts: ServiceFacts, cfg: dict) -> tuple[str, str]:
    if not facts.regulated:
        return NA, "Not regulated"
    if facts.regulator_rating == "not_rated" or facts.regulator_rating not in cfg["mapping"]:
        return NA, f"Not yet rated by {facts.regulator or 'the regulator'}"
    words = RATING_WORDS.get(facts.regulator_rating, facts.regulator_rating)
    return cfg["mapping"][facts.regulator_rating], f"Rated {words} by {facts.regulator}"


def _inspection_age(facts: ServiceFacts, cfg: dict, today: date) -> tuple[str, str]:
    if not facts.regulated:
        return NA, "Not regulated"
    years = cfg["amber_years"]
    regulator = facts.regulator or "regulator"
    if facts.last_inspection_date is None:
        return cfg["never_inspected"], f"Regulated but never inspected by the {regulator}"
    when = long_date(facts.last_inspection_date)
    if is_within_years(facts.last_inspection_date, today, years):
        return (
            GREEN,
            f"Last {regulator} inspection {when} is less than {_plural(years, 'year')} ago",
        )
    return AMBER, f"Last {regulator} inspection {when} is {_plural(years, 'year')} ago or more"


def _sponsorship_licence(facts: ServiceFacts, cfg: dict) -> tuple[str, str]:
    licence = facts.sponsorship_licence
    rag = cfg["mapping"].get(licence, GREEN)
    return (
        rag,
        f"The provider's Home Office sponsorship licence is {LICENCE_WORDS.get(licence, licence)}",
    )


def _safeguarding_enquiry(facts: ServiceFacts, cfg: dict) -> tuple[str, str]:
    if facts.open_safeguarding_enquiry:
        return cfg[
            "open"
        ], "An organisational safeguarding enquiry is open on the service or its provider"
    return GREEN, "No organisational safeguarding enquiry is open"


def _registered_manager(facts: ServiceFacts, cfg: dict) -> tuple[str, str]:
    if not facts.regulated:
        return NA, "Not regulated"
    if facts.registered_manager is None:
        # Never "in post" unless someone said so (issue 9 item 7).
        return (
            cfg.get("not_known", AMBER),
            "It is not known whether a registered manager is in post",
        )
    if facts.registered_manager:
        return GREEN, "A registered manager is in post"
    return cfg["not_in_post"], "No registered manager is in post"


def _review_outcome(facts: ServiceFacts, cfg: dict) -> tuple[str, str]:
    day, rating = facts.latest_full_review_date, facts.latest_full_review_rating
    if day is None or rating is None:
        return NA, "No final full QA review yet"
    rag = cfg["mapping"].get(rating, AMBER)
    return rag, (
        f"The latest full QA review ({long_date(day)}) was rated "
        f"{label(rating, rating.capitalize())}"
    )


def _review_age(facts: ServiceFacts, cfg: dict, today: date) -> tuple[str, str]:
    amber, red = cfg["amber_years"], cfg["red_years"]
    if facts.latest_full_review_date is not None:
        since = facts.latest_full_review_date
        what = f"The latest full QA review {long_date(since)} is"
    elif facts.registration_date is not None:
        # SPEC §4: never reviewed counts from the registration date, as if reviewed then.
        since = facts.registration_date
        what = f"Never reviewed; on the register since {long_date(since)},"
    else:
        return (
            cfg["never_reviewed"],
            "Never reviewed, and the date it came onto the register is not known",
        )
    if is_within_years(since, today, amber):
        return GREEN, f"{what} less than {_plural(amber, 'year')} ago"
    # "More than N years": before the same day N years earlier; that day itself is Amber.
    if since < years_before(today, red):
        return RED, f"{what} more than {_plural(red, 'year')} ago"
    return AMBER, f"{what} {amber} to {_plural(red, 'year')} ago"


def _safeguarding_audit(facts: ServiceFacts, cfg: dict) -> tuple[str, str]:
    if facts.latest_audit_date is None or not facts.latest_audit_outcome:
        return NA, "No safeguarding audit recorded"
    rag = cfg["mapping"].get(facts.latest_audit_outcome, AMBER)
    outcome = facts.latest_audit_outcome.replace("_", " ")
    return (
        rag,
        f"The latest safeguarding audit ({long_date(facts.latest_audit_date)}) was {outcome}",
    )


def _safeguarding_audit_age(facts: ServiceFacts, cfg: dict, today: date) -> tuple[str, str]:
    if facts.latest_audit_date is None:
        return cfg["never_audited"], "No safeguarding audit recorded"
    years = cfg["amber_years"]
    when = long_date(facts.latest_audit_date)
    if is_within_years(facts.latest_audit_date, today, years):
        return (
            GREEN,
            f"The latest safeguarding audit {when} is less than {_plural(years, 'year')} ago",
        )
    return AMBER, f"The latest safeguarding audit {when} is {_plural(years, 'year')} ago or more"


_RULES: dict[str, Callable[..., tuple[str, str]]] = {
    "regulator_rating": _regulator_rating,
    "inspection_age": _inspection_age,
    "sponsorship_licence": _sponsorship_licence,
    "safeguarding_enquiry": _safeguarding_enquiry,
    "registered_manager": _registered_manager,
    "review_outcome": _review_outcome,
    "review_age": _review_age,
    "safeguarding_audit": _safeguarding_audit,
    "safeguarding_audit_age": _safeguarding_audit_age,
}
_NEEDS_TODAY = {"inspection_age", "review_age", "safeguarding_audit_age"}


def evaluate(facts: ServiceFacts, matrix: dict[str, dict[str, Any]], today: date) -> RiskResult:
    """Rate one service: each enabled factor, the worst as overall, the weights summed."""
    factors = []
    score = 0
    for name in FACTORS:
        cfg = matrix.get(name) or DEFAULT_MATRIX[name]
        if not cfg.get("enabled", True):
            continue
        rule = _RULES[name]
        rag, reason = rule(facts, cfg, today) if name in _NEEDS_TODAY else rule(facts, cfg)
        factors.append(FactorResult(name, rag, reason))
        if rag == NA:
            continue
        score += int(cfg.get("weights", DEFAULT_WEIGHTS).get(rag, 0))
    # SPEC §4: the worst applicable factor; Green when none applies.
    overall = worst(f.rag for f in factors) or GREEN
    return RiskResult(rating=overall, score=score, factors=tuple(factors))


def changed_factors(before: list[dict], after: list[dict]) -> list[str]:
    """Names of the factors whose RAG differs between two stored factor lists."""
    old = {f["factor"]: f["rag"] for f in before or []}
    new = {f["factor"]: f["rag"] for f in after or []}
    return [name for name in FACTORS if old.get(name) != new.get(name)]
