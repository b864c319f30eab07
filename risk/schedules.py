"""Schedules and deadlines (SPEC §5) as a pure function of a service's facts and the rules.

Every number is a setting registered in ``qaf.policy`` (its default is in ``DEFAULT_SCHEDULES``),
stored with each policy version so that an administrator changes it without a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta

from qaf import policy
from qaf.rag import AMBER, GREEN, RED
from qaf.rag import LABELS as RAG_LABELS
from risk.matrix import RATING_WORDS

# Each rule is a setting of the administrator's policy (qaf.policy), registered here once with
# its SPEC §5 default.
_RULES = (
    policy.register(
        "review_interval_months",
        {GREEN: 24, AMBER: 12, RED: 6},
        "Next full review after a service rated {part}",
        section=policy.SCHEDULES,
        unit="months",
        parts=RAG_LABELS,
    ),
    policy.register(
        "market_risk_max_months",
        12,
        "Market-risk services (strategic importance): review at least every",
        section=policy.SCHEDULES,
        unit="months",
    ),
    policy.register(
        "follow_up_months",
        6,
        "Follow-up focused review after a final review rated Amber or Red",
        section=policy.SCHEDULES,
        unit="months",
    ),
    policy.register(
        "minimum_contact_months",
        12,
        "Minimum contact: some monitoring activity within",
        section=policy.SCHEDULES,
        unit="months",
    ),
    # Out-of-area services: information requested this often, by regulator rating (source 004).
    policy.register(
        "out_of_area_request_months",
        {
            "inadequate": 3,
            "requires_improvement": 6,
            "good": 12,
            "outstanding": 24,
            "not_rated": 12,
        },
        "Out-of-area information request, rated {part}",
        section=policy.SCHEDULES,
        unit="months",
        parts=RATING_WORDS,
    ),
    # Out-of-area direct monitoring when council-funded people >= N or > P% of capacity.
    policy.register(
        "direct_monitoring_min_people",
        5,
        "Out-of-area direct monitoring from this many council-funded people",
        section=policy.SCHEDULES,
        unit="people",
    ),
    policy.register(
        "direct_monitoring_capacity_percent",
        25,
        "\u2026or when council-funded people are more than this percentage of capacity",
        section=policy.SCHEDULES,
        unit="%",
        maximum=100,
    ),
    # The nightly notices and the dashboard.
    policy.register(
        "due_soon_days",
        30,
        "Tell the lead officer before a review is due",
        section=policy.NOTICES,
    ),
    policy.register(
        "worsened_days",
        30,
        "The dashboard lists the ratings that got worse in the last",
        section=policy.NOTICES,
        maximum=366,
    ),
)
# The defaults of the rules above: what schedule() uses for a rule its caller leaves out.
DEFAULT_SCHEDULES: dict[str, Any] = {rule.name: rule.default for rule in _RULES}


@dataclass(frozen=True)
class ScheduleFacts:
    registered_on: date
    overall_rating: str
    market_risk: bool = False
    latest_review_date: date | None = None
    latest_review_rating: str | None = None
    review_in_progress: bool = False
    last_monitoring_date: date | None = None
    out_of_area: bool = False
    regulator_rating: str = "not_rated"
    council_funded_people: int = 0
    capacity: int | None = None
    last_information_request_date: date | None = None


@dataclass(frozen=True)
class Schedule:
    next_review_due: date
    never_reviewed: bool
    review_overdue: bool
    follow_up_due: date | None
    follow_up_overdue: bool
    minimum_contact_met: bool
    information_request_months: int | None
    information_request_due: date | None
    direct_monitoring: bool


@lru_cache(maxsize=16384)  # pure; a recompute asks for the same few thousand dates
def add_months(day: date, months: int) -> date:
    return day + relativedelta(months=months)


def schedule(facts: ScheduleFacts, rules: dict[str, Any], today: date) -> Schedule:
    rules = {**DEFAULT_SCHEDULES, **(rules or {})}

    # Never reviewed: due since the service came onto the register ("due now").
    if facts.latest_review_date is None:
        next_due = facts.registered_on
    else:
        months = int(rules["review_interval_months"].get(facts.overall_rating, 12))
        if facts.market_risk:
            months = min(months, int(rules["market_risk_max_months"]))
        next_due = add_months(facts.latest_review_date, months)

    follow_up_due = None
    if facts.latest_review_date and facts.latest_review_rating in ("amber", "red"):
        follow_up_due = add_months(facts.latest_review_date, int(rules["follow_up_months"]))

    # SPEC §5: overdue when the due date has passed and no review is scheduled or in progress.
    waiting = not facts.review_in_progress
    review_overdue = next_due < today and waiting
    follow_up_overdue = bool(follow_up_due and follow_up_due < today and waiting)

    contact_since = add_months(today, -int(rules["minimum_contact_months"]))
    minimum_contact_met = bool(
        facts.last_monitoring_date and facts.last_monitoring_date > contact_since
    )

    request_months = request_due = None
    direct = False
    if facts.out_of_area:
        table = rules["out_of_area_request_months"]
        request_months = int(table.get(facts.regulator_rating, table.get("not_rated", 12)))
        last_contact = max(
            (d for d in (facts.last_information_request_date, facts.latest_review_date) if d),
            default=None,
        )
        request_due = (
            add_months(last_contact, request_months) if last_contact else (facts.registered_on)
        )
        people = facts.council_funded_people or 0
        share = int(rules["direct_monitoring_capacity_percent"])
        direct = people >= int(rules["direct_monitoring_min_people"]) or bool(
            facts.capacity and people * 100 > share * facts.capacity
        )

    return Schedule(
        next_review_due=next_due,
        never_reviewed=facts.latest_review_date is None,
        review_overdue=review_overdue,
        follow_up_due=follow_up_due,
        follow_up_overdue=follow_up_overdue,
        minimum_contact_met=minimum_contact_met,
        information_request_months=request_months,
        information_request_due=request_due,
        direct_monitoring=direct,
    )
