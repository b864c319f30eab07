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
    latest_full_review_date=date(2025, 6, 10),
    latest_review_date=date(2025, 6, 10),
    latest_review_rating="green",
)
NEVER_REVIEWED = replace(
    REVIEWED, latest_full_review_date=None, latest_review_date=None, latest_review_rating=None
)
# An out-of-area home rated Requires improvement by CQC, never reviewed by the council.
OUT_OF_AREA_HOME = replace(
    NEVER_REVIEWED,
    out_of_area=True,
    care_home=True,
    regulator_rating="requires_improvement",
    registered_on=date(2024, 5, 2),
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
    result = plan(NEVER_REVIEWED)
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


def test_not_overdue_while_a_full_review_is_scheduled_or_in_progress():
    facts = replace(REVIEWED, full_review_in_progress=True, review_in_progress=True)
    assert plan(facts, today=date(2028, 1, 1)).review_overdue is False


def test_a_focused_review_in_progress_does_not_stand_for_the_full_review():
    facts = replace(REVIEWED, review_in_progress=True)
    assert plan(facts, today=date(2028, 1, 1)).review_overdue is True


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
    facts = replace(
        REVIEWED,
        latest_full_review_date=date(2027, 8, 31),
        latest_review_date=date(2027, 8, 31),
        latest_review_rating="red",
    )
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
    facts = replace(REVIEWED, last_contact_date=last_contact)
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
    facts = replace(
        REVIEWED, out_of_area=True, care_home=True, council_funded_people=funded, capacity=capacity
    )
    assert plan(facts).direct_monitoring is direct


def test_rules_are_settings():
    rules = {**DEFAULT_SCHEDULES, "review_interval_months": {"green": 36, "amber": 12, "red": 6}}
    assert plan(REVIEWED, rules).next_review_due == date(2028, 6, 10)


# --- Issue 9 item 5: full and focused reviews count differently ---------------------------

# A full review rated Amber on 10 June 2025, then a focused follow-up on 1 December 2025.
AMBER_THEN_FOCUSED = replace(
    REVIEWED,
    overall_rating="amber",
    latest_full_review_date=date(2025, 6, 10),
    latest_review_date=date(2025, 12, 1),
    latest_review_rating="green",
)


def test_a_later_focused_review_does_not_reset_the_full_review_clock():
    result = plan(AMBER_THEN_FOCUSED, today=date(2026, 6, 10))
    assert result.next_review_due == date(2026, 6, 10)  # 12 months from the full review
    assert result.review_overdue is False
    assert plan(AMBER_THEN_FOCUSED, today=date(2026, 6, 11)).review_overdue is True


def test_a_later_focused_review_closes_the_follow_up():
    result = plan(AMBER_THEN_FOCUSED)
    assert result.follow_up_due is None
    assert result.follow_up_overdue is False


def test_a_focused_review_rated_red_asks_for_a_follow_up_of_its_own():
    facts = replace(AMBER_THEN_FOCUSED, latest_review_rating="red")
    assert plan(facts).follow_up_due == date(2026, 6, 1)


def test_a_focused_review_alone_leaves_the_service_never_fully_reviewed():
    facts = replace(
        NEVER_REVIEWED, latest_review_date=date(2026, 1, 5), latest_review_rating="amber"
    )
    result = plan(facts)
    assert result.never_reviewed is True
    assert result.next_review_due == date(2020, 1, 6)
    assert result.follow_up_due == date(2026, 7, 5)


def test_a_review_of_either_kind_in_progress_answers_the_follow_up():
    facts = replace(REVIEWED, latest_review_rating="red", review_in_progress=True)
    assert plan(facts).follow_up_overdue is False


# --- Issue 9 item 1: the out-of-area request cycle runs from the last sent request --------


def test_a_sent_request_moves_the_out_of_area_clock():
    # Requires improvement: every 6 months, from the request sent on 1 March 2026.
    facts = replace(OUT_OF_AREA_HOME, last_information_request_date=date(2026, 3, 1))
    result = plan(facts, today=date(2026, 3, 2))
    assert result.information_request_months == 6
    assert result.information_request_due == date(2026, 9, 1)
    assert result.information_request_overdue is False


@pytest.mark.parametrize(
    ("today", "overdue"),
    [
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), False),  # due today: not yet overdue
        (date(2026, 9, 2), True),
    ],
)
def test_an_information_request_is_overdue_once_its_due_date_has_passed(today, overdue):
    facts = replace(OUT_OF_AREA_HOME, last_information_request_date=date(2026, 3, 1))
    assert plan(facts, today=today).information_request_overdue is overdue


def test_never_sent_a_request_is_due_since_registration():
    result = plan(OUT_OF_AREA_HOME, today=date(2026, 3, 2))
    assert result.information_request_due == date(2024, 5, 2)
    assert result.information_request_overdue is True


def test_a_final_review_does_not_move_the_request_clock():
    facts = replace(
        OUT_OF_AREA_HOME,
        latest_full_review_date=date(2026, 2, 1),
        latest_review_date=date(2026, 2, 1),
        latest_review_rating="green",
        last_information_request_date=date(2025, 6, 30),
    )
    assert plan(facts, today=date(2026, 3, 2)).information_request_due == date(2025, 12, 30)


@pytest.mark.parametrize(
    ("sent", "rating", "due"),
    [
        (date(2025, 11, 30), "inadequate", date(2026, 2, 28)),  # 30 Nov + 3 months: 28 Feb
        (date(2027, 11, 30), "inadequate", date(2028, 2, 29)),  # a leap year: 29 Feb
        (date(2025, 8, 31), "requires_improvement", date(2026, 2, 28)),
        (date(2024, 2, 29), "good", date(2025, 2, 28)),
        (date(2024, 2, 29), "outstanding", date(2026, 2, 28)),
        (date(2024, 2, 29), "not_rated", date(2025, 2, 28)),
    ],
)
def test_request_due_dates_by_rating_at_month_ends(sent, rating, due):
    facts = replace(OUT_OF_AREA_HOME, regulator_rating=rating, last_information_request_date=sent)
    assert plan(facts, today=sent).information_request_due == due


# --- Issue 9 item 8: out-of-area monitoring follows source 004 ----------------------------


def test_out_of_area_services_get_no_full_review_due_date():
    facts = replace(REVIEWED, out_of_area=True, care_home=True)
    result = plan(facts, today=date(2030, 1, 1))
    assert result.next_review_due is None
    assert result.review_overdue is False
    never = plan(OUT_OF_AREA_HOME, today=date(2030, 1, 1))
    assert (never.next_review_due, never.review_overdue, never.never_reviewed) == (
        None,
        False,
        True,
    )


def test_an_out_of_area_follow_up_of_the_councils_own_review_stays():
    facts = replace(REVIEWED, out_of_area=True, latest_review_rating="red")
    assert plan(facts).follow_up_due == date(2025, 12, 10)


@pytest.mark.parametrize("care_home", [True, False])
def test_every_out_of_area_service_gets_the_request_cycle(care_home):
    facts = replace(OUT_OF_AREA_HOME, care_home=care_home)
    assert plan(facts).information_request_months == 6


def test_direct_monitoring_is_for_out_of_area_care_homes_only():
    crowded = replace(OUT_OF_AREA_HOME, council_funded_people=9, capacity=20)
    assert plan(crowded).direct_monitoring is True
    assert plan(replace(crowded, care_home=False)).direct_monitoring is False
    assert plan(replace(crowded, out_of_area=False)).direct_monitoring is False


# --- Issue 9 item 9: minimum contact is a setting --------------------------------------------


@pytest.mark.parametrize(
    ("last_contact", "met"),
    [
        (date(2026, 5, 25), False),  # exactly 6 months ago
        (date(2026, 5, 26), True),
    ],
)
def test_minimum_contact_period_is_the_policy_setting(last_contact, met):
    rules = {**DEFAULT_SCHEDULES, "minimum_contact_months": 6}
    facts = replace(REVIEWED, last_contact_date=last_contact)
    assert plan(facts, rules).minimum_contact_met is met


def test_minimum_contact_on_a_leap_day():
    # 12 months before 29 February 2028 is 28 February 2027: that day is not within.
    facts = replace(REVIEWED, last_contact_date=date(2027, 2, 28))
    assert plan(facts, today=date(2028, 2, 29)).minimum_contact_met is False
    facts = replace(REVIEWED, last_contact_date=date(2027, 3, 1))
    assert plan(facts, today=date(2028, 2, 29)).minimum_contact_met is True
