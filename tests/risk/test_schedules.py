"""Schedules and deadlines (SPEC §5) with plain data and a fixed today."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from risk.schedules import DEFAULT_SCHEDULES, ScheduleFacts, schedule

TODAY = date(2026, 11, 25)
REVIEWED = ScheduleFacts(
    registered_on=date(2020, 1, 6),
    overall_rating="green",
    latest_review_date=date(2025, 6, 10),
    latest_review_rating="green",
)


def plan(facts, rules=None, today=TODAY):
    return schedule(facts, rules or DEFAULT_SCHEDULES, today)


@pytest.mark.parametrize(
    ("overall", "due"),
    [
        ("green", date(2027, 6, 10)),
        ("amber", date(2026, 6, 10)),
        ("red", date(2025, 12, 10)),
    ],
)
def test_next_review_by_overall_rating(overall, due):
    assert plan(replace(REVIEWED, overall_rating=overall)).next_review_due == due


def test_market_risk_services_at_most_twelve_months():
    facts = replace(REVIEWED, market_risk=True)
    assert plan(facts).next_review_due == date(2026, 6, 10)
    assert plan(replace(facts, overall_rating="red")).next_review_due == date(2025, 12, 10)


def test_never_reviewed_is_due_since_registration_and_overdue():
    facts = replace(REVIEWED, latest_review_date=None, latest_review_rating=None)
    result = plan(facts)
    assert result.never_reviewed
    assert result.next_review_due == date(2020, 1, 6)
    assert result.review_overdue


@pytest.mark.parametrize(
    ("today", "overdue"),
    [
        (date(2027, 6, 9), False),
        (date(2027, 6, 10), False),
        (date(2027, 6, 11), True),
    ],
)
def test_overdue_only_once_the_due_date_has_passed(today, overdue):
    assert plan(REVIEWED, today=today).review_overdue is overdue


def test_not_overdue_while_a_review_is_scheduled_or_in_progress():
    facts = replace(REVIEWED, review_in_progress=True)
    assert plan(facts, today=date(2028, 1, 1)).review_overdue is False


@pytest.mark.parametrize(
    ("rating", "follow_up"),
    [
        ("green", None),
        ("amber", date(2025, 12, 10)),
        ("red", date(2025, 12, 10)),
    ],
)
def test_follow_up_six_months_after_an_amber_or_red_review(rating, follow_up):
    result = plan(replace(REVIEWED, latest_review_rating=rating))
    assert result.follow_up_due == follow_up
    assert result.follow_up_overdue is (follow_up is not None)


def test_follow_up_due_on_31_august_lands_on_the_last_day_of_february():
    facts = replace(REVIEWED, latest_review_date=date(2027, 8, 31), latest_review_rating="red")
    assert plan(facts, today=date(2027, 9, 1)).follow_up_due == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("last_contact", "met"),
    [
        (None, False),
        (date(2025, 11, 25), False),
        (date(2025, 11, 26), True),
    ],
)
def test_minimum_contact_in_the_last_twelve_months(last_contact, met):
    facts = replace(REVIEWED, last_monitoring_date=last_contact)
    assert plan(facts).minimum_contact_met is met


@pytest.mark.parametrize(
    ("rating", "months"),
    [
        ("inadequate", 3),
        ("requires_improvement", 6),
        ("good", 12),
        ("outstanding", 24),
    ],
)
def test_out_of_area_information_request_frequency(rating, months):
    facts = replace(REVIEWED, out_of_area=True, regulator_rating=rating)
    result = plan(facts)
    assert result.information_request_months == months
    assert result.information_request_due is not None


def test_in_area_services_have_no_information_request_schedule():
    assert plan(REVIEWED).information_request_months is None


@pytest.mark.parametrize(
    ("funded", "capacity", "direct"),
    [
        (4, 40, False),
        (5, 40, True),
        (3, 10, True),
        (3, 12, False),
        (2, 8, False),
        (0, None, False),
    ],
)
def test_out_of_area_direct_monitoring(funded, capacity, direct):
    facts = replace(REVIEWED, out_of_area=True, council_funded_people=funded, capacity=capacity)
    assert plan(facts).direct_monitoring is direct


def test_rules_are_settings():
    rules = {**DEFAULT_SCHEDULES, "review_interval_months": {"green": 36, "amber": 12, "red": 6}}
    assert plan(REVIEWED, rules).next_review_due == date(2028, 6, 10)
