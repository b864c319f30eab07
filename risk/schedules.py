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
    # Any contact counts: an answered information request, a visit, a contract meeting, a
    # safeguarding audit, professional feedback or a final review (SPEC §5).
    policy.register(
        "minimum_contact_months",
        12,
        "Minimum contact: some contact with the service (any kind) within",
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
    # The day the service came onto the register (its registration date, else the day it was
    # added to QAF): what is due "now" for a service never reviewed is due since then.
    registered_on: date
    overall_rating: str
    market_risk: bool = False
    # The latest final *full* review: the next full review counts from it (issue 9 item 5).
    latest_full_review_date: date | None = None
    # The latest final review of either kind: a focused review closes the follow-up of the
    # review before it, and an Amber or Red one asks for a follow-up of its own.
    latest_review_date: date | None = None
    latest_review_rating: str | None = None
    full_review_in_progress: bool = False
    review_in_progress: bool = False
    # The latest contact of any kind (SPEC §5 minimum contact), gathered by risk.recompute.
    last_contact_date: date | None = None
    out_of_area: bool = False
    care_home: bool = False
    regulator_rating: str = "not_rated"
    council_funded_people: int = 0
    capacity: int | None = None
    # The latest information request sent to the provider (source 004: the cycle runs from it).
    last_information_request_date: date | None = None
    # Source 003 Appendix 4: a service that came out of an escalation case's final warning is
    # reviewed within six months "to demonstrate sustainability": the due date the case set,
    # and the day it left final warning (a final review since then answers it).
    sustainability_review_due: date | None = None
    left_final_warning_on: date | None = None


@dataclass(frozen=True)
class Schedule:
    # None for an out-of-area service: its host authority reviews it (source 000 §6).
    next_review_due: date | None
    never_reviewed: bool
    review_overdue: bool
    follow_up_due: date | None
    follow_up_overdue: bool
    minimum_contact_met: bool
    information_request_months: int | None
    information_request_due: date | None
    information_request_overdue: bool
    direct_monitoring: bool


@lru_cache(maxsize=16384)  # pure; a recompute asks for the same few thousand dates
def add_months(day: date, months: int) -> date:
    return day + relativedelta(months=months)


def schedule(facts: ScheduleFacts, rules: dict[str, Any], today: date) -> Schedule:
    rules = {**DEFAULT_SCHEDULES, **(rules or {})}

    # Source 000 §6: for services outside the council's area the team requests and reviews
    # the host authority's reports, so no full-review due date is set for them; their
    # information-request cycle (below) is what the council owes.
    next_due = None
    if not facts.out_of_area:
        if facts.latest_full_review_date is None:
            # Never reviewed: due since the service came onto the register ("due now").
            next_due = facts.registered_on
        else:
            months = int(rules["review_interval_months"].get(facts.overall_rating, 12))
            if facts.market_risk:
                months = min(months, int(rules["market_risk_max_months"]))
            next_due = add_months(facts.latest_full_review_date, months)

    # The sustainability review after a final warning: the next full review is due no later,
    # until a final review completed since the case left final warning answers it.
    sustainability = facts.sustainability_review_due
    if sustainability and not (
        facts.latest_review_date
        and facts.left_final_warning_on
        and facts.latest_review_date >= facts.left_final_warning_on
    ):
        next_due = sustainability if next_due is None else min(next_due, sustainability)

    follow_up_due = None
    if facts.latest_review_date and facts.latest_review_rating in (AMBER, RED):
        follow_up_due = add_months(facts.latest_review_date, int(rules["follow_up_months"]))

    # SPEC §5: overdue when the due date has passed and no review is scheduled or in progress;
    # only a full review answers the full review, while any review answers a follow-up.
    review_overdue = bool(next_due and next_due < today and not facts.full_review_in_progress)
    follow_up_overdue = bool(
        follow_up_due and follow_up_due < today and not facts.review_in_progress
    )

    contact_since = add_months(today, -int(rules["minimum_contact_months"]))
    minimum_contact_met = bool(facts.last_contact_date and facts.last_contact_date > contact_since)

    request_months = request_due = None
    direct = False
    if facts.out_of_area:
        # Source 004: an information request as often as the regulator rating says, counted
        # from the last request sent; never sent, one is due now.
        table = rules["out_of_area_request_months"]
        request_months = int(table.get(facts.regulator_rating, table.get("not_rated", 12)))
        last = facts.last_information_request_date
        request_due = add_months(last, request_months) if last else facts.registered_on
        # Source 004: direct monitoring is for out-of-area care homes (with or without
        # nursing); other services follow their contracts, and get the request cycle only.
        if facts.care_home:
            people = facts.council_funded_people or 0
            share = int(rules["direct_monitoring_capacity_percent"])
            direct = people >= int(rules["direct_monitoring_min_people"]) or bool(
                facts.capacity and people * 100 > share * facts.capacity
            )

    return Schedule(
        next_review_due=next_due,
        never_reviewed=facts.latest_full_review_date is None,
        review_overdue=review_overdue,
        follow_up_due=follow_up_due,
        follow_up_overdue=follow_up_overdue,
        minimum_contact_met=minimum_contact_met,
        information_request_months=request_months,
        information_request_due=request_due,
        information_request_overdue=bool(request_due and request_due < today),
        direct_monitoring=direct,
    )
