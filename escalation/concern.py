"""Concern levels (SPEC §6 "Concern level", source 001 Appendix 2) as pure rules.

``suggest(facts, today, settings)`` takes one service's facts as plain data and returns the
level the triggers point to, with each trigger's reason in plain words. Nothing here reads the
database: the nightly step (``escalation.concern_job``) gathers the facts of every service
set-based and writes the suggestions; a manager (or, for a move to or from level 3, two)
decides (``escalation.concern_workflows``).

The mapping (source 001 Appendix 2 says what puts a service at each level; the words for
officers, and why, are in docs/concern-levels.md):

- regulator's overall rating Inadequate: 3; Requires improvement: 2, or 3 when every key
  question is Requires improvement or worse ("Requires Improvement in all areas");
- an organisational safeguarding enquiry open on the service or its provider: 2, or 3 with any
  other trigger ("repeated safeguarding / quality concerns");
- a suspension (no new placements, or placing with restrictions) in force: 2; in force longer
  than ``suspension_concern_months`` calendar months from its approval: 3;
- a contract default notice served within ``concern_default_notice_months``: 2; two or more
  ("further contract default notice(s) served"): 3;
- improvement actions overdue: not yet, improvement plans do not exist
  (``overdue_improvement_actions`` is the hook).

The suggested level is the highest of the triggers' levels; no trigger suggests level 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from escalation.deadlines import SUSPENSION_CONCERN_MONTHS
from qaf import policy

LEVELS = (1, 2, 3)
# A move to or from this level is proposed by a manager and decided by the board (SPEC §6: the
# board decides 2<->3).
SECOND_DECISION_LEVEL = 3

# Source 001 Appendix 2: "Further contract default notice(s) served" is level 3; one notice is
# level 2. A notice counts for this long after it was served.
DEFAULT_NOTICE_MONTHS = policy.register(
    "concern_default_notice_months",
    12,
    "Concern levels: a contract default notice counts for",
    section=policy.ESCALATION,
    unit="months",
).name

REQUIRES_IMPROVEMENT = "requires_improvement"
INADEQUATE = "inadequate"
WORSE_THAN_GOOD = frozenset({REQUIRES_IMPROVEMENT, INADEQUATE})
KEY_QUESTION_COUNT = 5  # safe, effective, caring, responsive, well-led

NO_TRIGGER = "None of the triggers for level 2 or 3 applies now."


def needs_second_decision(from_level: int, to_level: int) -> bool:
    """A move to or from level 3 is decided by two people (SPEC §6; source 001 §3.4.4: the
    monthly multi-agency meeting decides for levels 2 and 3); a move between 1 and 2 by one
    manager."""
    return SECOND_DECISION_LEVEL in (from_level, to_level)


# --- What each level means (source 001 Appendix 2, its words) -------------------------------


@dataclass(frozen=True)
class LevelText:
    level: int
    description: str  # "Moderate concerns"
    intervention: str  # "Active monitoring"
    thresholds: tuple[str, ...]  # what puts a service at this level
    monitoring: tuple[str, ...]  # monitoring and measures at this level
    reviewed_by: str  # who looks at it and decides on escalating (source 001 §3.4.3-3.4.5)

    @property
    def title(self) -> str:
        return f"Level {self.level}: {self.description.lower()}"


# "Herefordshire Council" and "HCCG" of the source are "the council" and "the integrated care
# board (ICB)" here: the CCGs became ICBs in 2022 and the council is configurable.
LEVEL_TEXTS: dict[int, LevelText] = {
    1: LevelText(
        level=1,
        description="No concerns or minor concerns",
        intervention="Business as usual or light touch monitoring",
        thresholds=(
            "Overall CQC rating is Outstanding or Good",
            "Feedback received about the provider is generally positive",
            "Little or no quality concerns; or the level of concerns is as you would expect for "
            "a service of its size and nature",
            "Minor and relatively isolated quality concerns",
            "Levels of safeguarding concerns are broadly what you would expect for a service "
            "of its size and nature",
            "Provider is delivering service improvement recommendations and actions to timescales",
            "Provider is willing to engage with commissioners to improve the quality of "
            "service provision",
            "Provider service development plan / self-assessment profile does not give rise to "
            "additional concerns",
            "Provider is submitting monitoring information as requested",
        ),
        monitoring=(
            "Annual service development plan / self-assessment profile",
            "Annual quality assurance visit or contact",
            "Monthly provider monitoring returns",
            "Feedback / questionnaires",
            "Monthly quality team meetings",
            "Case review with team manager",
            "Focused visit / support",
            "Recommendations / actions for provider",
            "Recognising / sharing best practice",
        ),
        reviewed_by="Reviewed by the quality team; the team manager decides whether to "
        "escalate to level 2.",
    ),
    2: LevelText(
        level=2,
        description="Moderate concerns",
        intervention="Active monitoring",
        thresholds=(
            "CQC rating is Requires improvement in some areas",
            "CQC warning notices / compliance actions / conditions imposed on registration",
            "Repeated safeguarding / quality concerns, at levels outside what you would expect "
            "for a service of its size and nature",
            "Quality concerns are more widespread and/or more serious in nature",
            "Feedback received gives rise to additional concerns",
            "Little or no progress being made against service improvement actions: timescales "
            "not achieved",
            "Provider service development plan / self-assessment profile gives rise to "
            "additional concerns",
            "Monitoring information not being submitted by the provider as requested",
            "Contract default notice served",
            "Advisory notice or placement suspension issued",
        ),
        monitoring=(
            "Service development plan / self-assessment profile may be requested",
            "Quality review meeting with the provider undertaken",
            "Unannounced visit undertaken",
            "Focused visit / support",
            "Service improvement and action plan is developed",
            "Monthly multi-agency quality review meetings to discuss concerns and review progress",
            "Monthly quality team meetings",
            "Contract default notice served in the event of timescales for delivering service "
            "improvements not being achieved",
            "Advisory notice or placement suspension issued at the discretion of commissioners",
        ),
        reviewed_by="Reviewed at the monthly multi-agency quality review meeting, which "
        "decides whether to escalate or de-escalate.",
    ),
    3: LevelText(
        level=3,
        description="Major concerns",
        intervention="Large scale intervention",
        thresholds=(
            "Overall CQC rating Inadequate, or Requires improvement in all areas",
            "CQC notices of proposal / decision to cancel registration / conditions imposed on "
            "registration",
            "Repeated safeguarding / quality concerns",
            "Timescales for delivering service improvements not being met / little or no "
            "progress against the service improvement plan",
            "Provider is unwilling to engage with commissioners to improve the quality of "
            "service provision",
            "Further contract default notice(s) served in the event of timescales for "
            "delivering service improvements not being met / achieved",
            # The period is the administrator's setting (suspension_concern_months).
            "Advisory notice or placement suspension has been in place for more than "
            "{suspension_months} months",
        ),
        monitoring=(
            "Large scale intervention process implemented",
            "Monthly (or as required / as agreed) multi-agency quality review meetings to "
            "discuss concerns, agree actions and review progress",
            "Monthly (or as required / as agreed) contract monitoring meetings with the "
            "provider and senior representatives of the council and/or the integrated care "
            "board",
            "Regular (as required / as agreed) quality review meetings with the provider",
            "Automatic contract default notice served",
            "Further contract default notice(s) issued in the event of timescales for "
            "delivering service improvements not being achieved",
            "Automatic advisory notice or placement suspension considered",
            "Ceasing to commission services / termination of contract may be considered",
        ),
        reviewed_by="Reviewed at the monthly multi-agency quality review meeting, which "
        "decides whether to escalate or de-escalate; a major concern may call it sooner.",
    ),
}


def level_text(level: int, settings: Mapping[str, Any] | None = None) -> LevelText:
    """The level's text with the policy's numbers filled in (the current policy's when
    ``settings`` is not given)."""
    text = LEVEL_TEXTS[level]
    months = (settings or {}).get(SUSPENSION_CONCERN_MONTHS)
    if months is None:
        months = policy.setting(SUSPENSION_CONCERN_MONTHS)
    return LevelText(
        level=text.level,
        description=text.description,
        intervention=text.intervention,
        thresholds=tuple(t.format(suspension_months=months) for t in text.thresholds),
        monitoring=text.monitoring,
        reviewed_by=text.reviewed_by,
    )


# --- The rule ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConcernFacts:
    """What the triggers read about one service (and its provider)."""

    regulator_rating: str = "not_rated"
    # The five key questions' ratings (safe, effective, caring, responsive, well-led).
    key_question_ratings: tuple[str, ...] = ()
    # The earliest open organisational safeguarding enquiry, on the service or provider-wide.
    enquiry_open_since: date | None = None
    enquiry_provider_wide: bool = False
    # The suspension in force: the day it was approved (decided_on).
    suspension_since: date | None = None
    restricted_placements: bool = False  # placing with restrictions, not no new placements
    # Contract default notices served, on the service or provider-wide (any age).
    default_notices: tuple[date, ...] = ()
    # The due dates of the service's agreed improvement actions past their day and not done.
    overdue_improvement_actions: tuple[date, ...] = ()


@dataclass(frozen=True)
class Trigger:
    code: str
    level: int
    reason: str


@dataclass(frozen=True)
class Suggestion:
    level: int
    triggers: tuple[Trigger, ...] = ()

    @property
    def reasons(self) -> list[str]:
        return [t.reason for t in self.triggers] or [NO_TRIGGER]

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.triggers]


Settings = Mapping[str, Any]
Rule = Callable[[ConcernFacts, date, Settings], "Trigger | None"]


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def regulator_rating(facts: ConcernFacts, today: date, settings: Settings) -> Trigger | None:
    if facts.regulator_rating == INADEQUATE:
        return Trigger("regulator_inadequate", 3, "The regulator's overall rating is Inadequate.")
    if facts.regulator_rating != REQUIRES_IMPROVEMENT:
        return None
    rated = [r for r in facts.key_question_ratings if r != "not_rated"]
    if len(rated) == KEY_QUESTION_COUNT and all(r in WORSE_THAN_GOOD for r in rated):
        return Trigger(
            "regulator_requires_improvement_everywhere",
            3,
            "The regulator rates it Requires improvement overall and Requires improvement or "
            "Inadequate in every key question.",
        )
    return Trigger(
        "regulator_requires_improvement",
        2,
        "The regulator's overall rating is Requires improvement.",
    )


def suspension(facts: ConcernFacts, today: date, settings: Settings) -> Trigger | None:
    since = facts.suspension_since
    if since is None:
        return None
    what = (
        "Placing with restrictions"
        if facts.restricted_placements
        else "A suspension of new placements"
    )
    months = settings[SUSPENSION_CONCERN_MONTHS]
    # Calendar months from the approval: in force for exactly the period is not longer than it.
    if today > since + relativedelta(months=months):
        return Trigger(
            "suspension_long",
            3,
            f"{what} has been in force since {_day(since)}: longer than {months} "
            f"month{'s' if months != 1 else ''}.",
        )
    return Trigger("suspension", 2, f"{what} has been in force since {_day(since)}.")


def default_notices(facts: ConcernFacts, today: date, settings: Settings) -> Trigger | None:
    months = settings[DEFAULT_NOTICE_MONTHS]
    start = today - relativedelta(months=months)
    # "Within the last 12 months": after the same day 12 months earlier (docs/risk.md's ages).
    recent = sorted((d for d in facts.default_notices if start < d <= today), reverse=True)
    if not recent:
        return None
    period = f"{months} month{'s' if months != 1 else ''}"
    if len(recent) == 1:
        return Trigger(
            "default_notice",
            2,
            f"A contract default notice was served on {_day(recent[0])}, within the last {period}.",
        )
    return Trigger(
        "default_notices",
        3,
        f"{len(recent)} contract default notices were served within the last {period}, the "
        f"latest on {_day(recent[0])}.",
    )


# An agreed improvement action overdue for longer than this is "timescales for delivering
# service improvements not being met" (source 001 Appendix 2, level 3).
IMPROVEMENT_ACTION_LATE_MONTHS = 3


def overdue_improvement_actions(
    facts: ConcernFacts, today: date, settings: Settings
) -> Trigger | None:
    """Source 001 Appendix 2: "little or no progress being made against service improvement
    actions - timescales not achieved" at level 2; "timescales for delivering service
    improvements not being met" at level 3, which we read as an agreed action overdue for longer
    than 3 calendar months."""
    if not facts.overdue_improvement_actions:
        return None
    oldest = min(facts.overdue_improvement_actions)
    count = len(facts.overdue_improvement_actions)
    what = "An improvement action" if count == 1 else f"{count} improvement actions"
    verb = "was" if count == 1 else "were"
    due = f"due {'on' if count == 1 else 'from'} {_day(oldest)}"
    if today > oldest + relativedelta(months=IMPROVEMENT_ACTION_LATE_MONTHS):
        return Trigger(
            "improvement_actions_long_overdue",
            3,
            f"{what} of the agreed improvement plan {verb} {due} and not done: overdue for "
            f"longer than {IMPROVEMENT_ACTION_LATE_MONTHS} months.",
        )
    return Trigger(
        "improvement_actions_overdue",
        2,
        f"{what} of the agreed improvement plan {verb} {due} and not done.",
    )


def safeguarding_enquiry(
    facts: ConcernFacts, today: date, settings: Settings, others: list[Trigger]
) -> Trigger | None:
    since = facts.enquiry_open_since
    if since is None:
        return None
    place = " on its provider (for all its services)" if facts.enquiry_provider_wide else ""
    opened = f"An organisational safeguarding enquiry{place} has been open since {_day(since)}"
    if others:
        # Source 001 Appendix 2, level 3: "repeated safeguarding / quality concerns".
        return Trigger(
            "safeguarding_enquiry_with_other_concerns",
            3,
            f"{opened}, on top of the other concerns listed: together, major concerns.",
        )
    return Trigger("safeguarding_enquiry", 2, f"{opened}.")


RULES: tuple[Rule, ...] = (
    regulator_rating,
    suspension,
    default_notices,
    overdue_improvement_actions,
)


def suggest(facts: ConcernFacts, today: date, settings: Settings) -> Suggestion:
    """The level the triggers point to (1 when none applies) and each trigger with its reason,
    the highest level first. ``settings`` are the policy's values (``qaf.policy``)."""
    found = [t for rule in RULES if (t := rule(facts, today, settings)) is not None]
    enquiry = safeguarding_enquiry(facts, today, settings, found)
    if enquiry is not None:
        found.insert(0, enquiry)
    found.sort(key=lambda t: -t.level)  # stable: the table's order within a level
    return Suggestion(max((t.level for t in found), default=1), tuple(found))
