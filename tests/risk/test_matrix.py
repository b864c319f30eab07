"""The Quality Risk Matrix (SPEC §4) with plain data and a fixed today: every factor, every
boundary day (before, on, after), leap days, n/a cases, the overall RAG and the score."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, timedelta

import pytest

from qaf.rag import AMBER, GREEN, RED
from qaf.rag import NOT_APPLICABLE as NA
from risk.matrix import (
    DEFAULT_MATRIX,
    FACTORS,
    ServiceFacts,
    changed_factors,
    evaluate,
    years_before,
)

TODAY = date(2026, 11, 25)

# A regulated, well-run service: every factor Green.
GOOD = ServiceFacts(
    regulated=True,
    regulator="CQC",
    regulator_rating="good",
    last_inspection_date=date(2025, 6, 1),
    registered_manager=True,
    sponsorship_licence="not_held",
    open_safeguarding_enquiry=False,
    latest_full_review_date=date(2025, 9, 1),
    latest_full_review_rating="green",
    latest_audit_date=date(2026, 3, 1),
    latest_audit_outcome="satisfactory",
)


def rag(facts, factor, today=TODAY, matrix=DEFAULT_MATRIX):
    return evaluate(facts, matrix, today).factor(factor).rag


def test_a_well_run_service_is_green_with_score_zero():
    result = evaluate(GOOD, DEFAULT_MATRIX, TODAY)
    assert result.rating == GREEN
    assert result.score == 0
    assert [f.factor for f in result.factors] == list(FACTORS)
    assert all(f.rag == GREEN for f in result.factors)


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        ("outstanding", GREEN),
        ("good", GREEN),
        ("requires_improvement", AMBER),
        ("inadequate", RED),
        ("not_rated", NA),
    ],
)
def test_regulator_rating(rating, expected):
    assert rag(replace(GOOD, regulator_rating=rating), "regulator_rating") == expected


def test_regulator_rating_is_na_when_not_regulated():
    facts = replace(
        GOOD, regulated=False, regulator="", regulator_rating="not_rated", last_inspection_date=None
    )
    assert rag(facts, "regulator_rating") == NA
    assert evaluate(facts, DEFAULT_MATRIX, TODAY).factor("regulator_rating").reason == (
        "Not regulated"
    )


@pytest.mark.parametrize(
    ("inspected", "expected"),
    [
        (date(2023, 11, 24), AMBER),  # the day before "three years earlier": more than 3 years
        (date(2023, 11, 25), AMBER),  # exactly 3 years: "3 years or more"
        (date(2023, 11, 26), GREEN),  # the day after: less than 3 years
        (date(2026, 11, 25), GREEN),  # inspected today
    ],
)
def test_inspection_age_boundaries(inspected, expected):
    assert rag(replace(GOOD, last_inspection_date=inspected), "inspection_age") == expected


def test_inspection_age_reason_is_plain_words():
    facts = replace(GOOD, last_inspection_date=date(2022, 3, 14))
    reason = evaluate(facts, DEFAULT_MATRIX, TODAY).factor("inspection_age").reason
    assert reason == "Last CQC inspection 14 March 2022 is 3 years ago or more"


def test_regulated_and_never_inspected_is_amber():
    facts = replace(GOOD, last_inspection_date=None, regulator_rating="not_rated")
    assert rag(facts, "inspection_age") == AMBER


def test_inspection_age_is_na_when_not_regulated():
    facts = replace(GOOD, regulated=False, regulator_rating="not_rated", last_inspection_date=None)
    assert rag(facts, "inspection_age") == NA


@pytest.mark.parametrize(
    ("today", "inspected", "expected"),
    [
        # Today is 29 February: three years earlier is 28 February (no 29th that year).
        (date(2028, 2, 29), date(2025, 2, 28), AMBER),
        (date(2028, 2, 29), date(2025, 3, 1), GREEN),
        # Inspected on a leap day: on 28 February three years later it is still under 3 years…
        (date(2027, 2, 28), date(2024, 2, 29), GREEN),
        # …and on 1 March it is 3 years.
        (date(2027, 3, 1), date(2024, 2, 29), AMBER),
    ],
)
def test_inspection_age_on_leap_days(today, inspected, expected):
    assert rag(replace(GOOD, last_inspection_date=inspected), "inspection_age", today) == expected


def test_years_before_falls_back_from_29_february():
    assert years_before(date(2028, 2, 29), 1) == date(2027, 2, 28)
    assert years_before(date(2028, 2, 29), 4) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("licence", "expected"),
    [
        ("not_held", GREEN),
        ("active", GREEN),
        ("suspended", RED),
        ("revoked", RED),
    ],
)
def test_sponsorship_licence(licence, expected):
    assert rag(replace(GOOD, sponsorship_licence=licence), "sponsorship_licence") == expected


def test_sponsorship_licence_applies_to_unregulated_services_too():
    facts = replace(
        GOOD,
        regulated=False,
        regulator_rating="not_rated",
        last_inspection_date=None,
        sponsorship_licence="revoked",
    )
    result = evaluate(facts, DEFAULT_MATRIX, TODAY)
    assert result.factor("sponsorship_licence").rag == RED
    assert result.rating == RED


@pytest.mark.parametrize(("open_enquiry", "expected"), [(False, GREEN), (True, RED)])
def test_safeguarding_enquiry(open_enquiry, expected):
    facts = replace(GOOD, open_safeguarding_enquiry=open_enquiry)
    assert rag(facts, "safeguarding_enquiry") == expected


@pytest.mark.parametrize(
    ("regulated", "in_post", "expected"),
    [
        (True, True, GREEN),
        (True, False, AMBER),
        (True, None, AMBER),  # not known: Amber, never "in post"
        (False, False, NA),
        (False, True, NA),
        (False, None, NA),
    ],
)
def test_registered_manager(regulated, in_post, expected):
    facts = replace(
        GOOD,
        regulated=regulated,
        registered_manager=in_post,
        regulator_rating="good" if regulated else "not_rated",
    )
    assert rag(facts, "registered_manager") == expected


@pytest.mark.parametrize(
    ("in_post", "reason"),
    [
        (True, "A registered manager is in post"),
        (False, "No registered manager is in post"),
        (None, "It is not known whether a registered manager is in post"),
    ],
)
def test_registered_manager_reasons(in_post, reason):
    facts = replace(GOOD, registered_manager=in_post)
    assert evaluate(facts, DEFAULT_MATRIX, TODAY).factor("registered_manager").reason == reason


def test_registered_manager_is_not_known_unless_someone_said_so():
    facts = ServiceFacts(regulated=True, regulator="CQC", regulator_rating="good")
    result = evaluate(facts, DEFAULT_MATRIX, TODAY).factor("registered_manager")
    assert (result.rag, result.reason) == (
        AMBER,
        "It is not known whether a registered manager is in post",
    )


def test_not_known_registered_manager_rates_with_a_matrix_saved_before_the_setting():
    # A policy version saved before "not known" existed has no setting for it: Amber.
    matrix = copy.deepcopy(DEFAULT_MATRIX)
    del matrix["registered_manager"]["not_known"]
    assert rag(replace(GOOD, registered_manager=None), "registered_manager", matrix=matrix) == (
        AMBER
    )


@pytest.mark.parametrize(
    ("review_rating", "expected"),
    [
        ("green", GREEN),
        ("amber", AMBER),
        ("red", RED),
    ],
)
def test_review_outcome(review_rating, expected):
    assert rag(replace(GOOD, latest_full_review_rating=review_rating), "review_outcome") == expected


def test_review_outcome_is_na_without_a_final_review():
    facts = replace(GOOD, latest_full_review_date=None, latest_full_review_rating=None)
    assert rag(facts, "review_outcome") == NA


@pytest.mark.parametrize(
    ("reviewed", "expected"),
    [
        (date(2024, 11, 26), GREEN),  # the day after two years earlier: less than 2 years
        (date(2024, 11, 25), AMBER),  # exactly 2 years: Amber (the 2-3 year gap closed to Amber)
        (date(2024, 11, 24), AMBER),
        (date(2022, 11, 25), AMBER),  # 4-5 year gap: Amber
        (date(2021, 11, 26), AMBER),
        (date(2021, 11, 25), AMBER),  # exactly 5 years is not "more than 5 years"
        (date(2021, 11, 24), RED),  # the day before: more than 5 years
        (date(2015, 1, 1), RED),
    ],
)
def test_review_age_boundaries(reviewed, expected):
    assert rag(replace(GOOD, latest_full_review_date=reviewed), "review_age") == expected


def test_never_reviewed_with_no_registration_date_is_amber_with_that_reason():
    facts = replace(GOOD, latest_full_review_date=None, latest_full_review_rating=None)
    result = evaluate(facts, DEFAULT_MATRIX, TODAY).factor("review_age")
    assert (result.rag, result.reason) == (
        AMBER,
        "Never reviewed, and the date it came onto the register is not known",
    )


NEVER_REVIEWED = replace(GOOD, latest_full_review_date=None, latest_full_review_rating=None)


@pytest.mark.parametrize(
    ("registered", "expected"),
    [
        # Never reviewed: rated as if last reviewed on the registration date (SPEC §4).
        (date(2026, 11, 25), GREEN),  # registered today
        (date(2024, 11, 26), GREEN),  # the day after two years earlier
        (date(2024, 11, 25), AMBER),  # exactly 2 years
        (date(2021, 11, 26), AMBER),
        (date(2021, 11, 25), AMBER),  # exactly 5 years is not "more than 5 years"
        (date(2021, 11, 24), RED),  # the day before: more than 5 years
        (date(2010, 4, 1), RED),
    ],
)
def test_never_reviewed_counts_from_the_registration_date(registered, expected):
    facts = replace(NEVER_REVIEWED, registration_date=registered)
    assert rag(facts, "review_age") == expected


@pytest.mark.parametrize(
    ("today", "registered", "expected"),
    [
        (date(2029, 2, 28), date(2024, 2, 29), AMBER),  # 5 years back from 28 Feb is 28 Feb
        (date(2029, 3, 1), date(2024, 2, 29), RED),
        (date(2026, 2, 28), date(2024, 2, 29), GREEN),
        (date(2026, 3, 1), date(2024, 2, 29), AMBER),
    ],
)
def test_never_reviewed_registration_age_on_leap_days(today, registered, expected):
    facts = replace(NEVER_REVIEWED, registration_date=registered)
    assert rag(facts, "review_age", today) == expected


@pytest.mark.parametrize(
    ("registered", "reason"),
    [
        (
            date(2019, 3, 1),
            "Never reviewed; on the register since 1 March 2019, more than 5 years ago",
        ),
        (
            date(2023, 3, 1),
            "Never reviewed; on the register since 1 March 2023, 2 to 5 years ago",
        ),
        (
            date(2026, 3, 1),
            "Never reviewed; on the register since 1 March 2026, less than 2 years ago",
        ),
    ],
)
def test_never_reviewed_reason_names_the_registration_date(registered, reason):
    facts = replace(NEVER_REVIEWED, registration_date=registered)
    assert evaluate(facts, DEFAULT_MATRIX, TODAY).factor("review_age").reason == reason


def test_a_full_review_counts_not_the_registration_date():
    facts = replace(GOOD, registration_date=date(2001, 1, 1))
    result = evaluate(facts, DEFAULT_MATRIX, TODAY).factor("review_age")
    assert (result.rag, result.reason) == (
        GREEN,
        "The latest full QA review 1 September 2025 is less than 2 years ago",
    )


def test_review_outcome_reason_names_the_full_review():
    facts = replace(GOOD, latest_full_review_rating="amber")
    assert evaluate(facts, DEFAULT_MATRIX, TODAY).factor("review_outcome").reason == (
        "The latest full QA review (1 September 2025) was rated Amber"
    )


@pytest.mark.parametrize(
    ("today", "reviewed", "expected"),
    [
        (date(2029, 2, 28), date(2024, 2, 29), AMBER),  # 5 years back from 28 Feb 2029 is 28 Feb
        (date(2029, 3, 1), date(2024, 2, 29), RED),
        (date(2026, 2, 28), date(2024, 2, 29), GREEN),
        (date(2026, 3, 1), date(2024, 2, 29), AMBER),
    ],
)
def test_review_age_on_leap_days(today, reviewed, expected):
    assert rag(replace(GOOD, latest_full_review_date=reviewed), "review_age", today) == expected


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("satisfactory", GREEN),
        ("not_satisfactory", AMBER),
    ],
)
def test_safeguarding_audit_outcome(outcome, expected):
    facts = replace(GOOD, latest_audit_outcome=outcome)
    assert rag(facts, "safeguarding_audit") == expected


def test_no_audit_is_na_for_outcome_and_amber_for_age():
    facts = replace(GOOD, latest_audit_date=None, latest_audit_outcome=None)
    assert rag(facts, "safeguarding_audit") == NA
    assert rag(facts, "safeguarding_audit_age") == AMBER


@pytest.mark.parametrize(
    ("audited", "expected"),
    [
        (date(2025, 11, 24), AMBER),
        (date(2025, 11, 25), AMBER),
        (date(2025, 11, 26), GREEN),
    ],
)
def test_safeguarding_audit_age_boundaries(audited, expected):
    assert rag(replace(GOOD, latest_audit_date=audited), "safeguarding_audit_age") == expected


def test_audit_age_on_a_leap_day():
    facts = replace(GOOD, latest_audit_date=date(2027, 2, 28))
    assert rag(facts, "safeguarding_audit_age", date(2028, 2, 29)) == AMBER
    assert (
        rag(
            replace(facts, latest_audit_date=date(2027, 3, 1)),
            "safeguarding_audit_age",
            date(2028, 2, 29),
        )
        == GREEN
    )


def test_overall_is_the_worst_applicable_factor_and_score_sums_weights():
    facts = replace(
        GOOD,
        regulator_rating="requires_improvement",  # Amber 1
        registered_manager=False,  # Amber 1
        open_safeguarding_enquiry=True,
    )  # Red 3
    result = evaluate(facts, DEFAULT_MATRIX, TODAY)
    assert result.rating == RED
    assert result.score == 5


def test_amber_beats_green_and_na_counts_for_nothing():
    facts = replace(
        GOOD,
        regulated=False,
        regulator="",
        regulator_rating="not_rated",
        last_inspection_date=None,
        latest_full_review_date=None,
        latest_full_review_rating=None,
    )
    result = evaluate(facts, DEFAULT_MATRIX, TODAY)
    assert result.factor("review_age").rag == AMBER
    assert result.rating == AMBER
    assert result.score == 1  # review age only; the n/a factors add nothing


def test_weights_are_settings():
    matrix = copy.deepcopy(DEFAULT_MATRIX)
    matrix["safeguarding_enquiry"]["weights"] = {GREEN: 0, AMBER: 2, RED: 10}
    facts = replace(GOOD, open_safeguarding_enquiry=True)
    assert evaluate(facts, matrix, TODAY).score == 10


def test_a_switched_off_factor_is_left_out():
    matrix = copy.deepcopy(DEFAULT_MATRIX)
    matrix["safeguarding_enquiry"]["enabled"] = False
    result = evaluate(replace(GOOD, open_safeguarding_enquiry=True), matrix, TODAY)
    assert result.factor("safeguarding_enquiry") is None
    assert result.rating == GREEN


def test_thresholds_and_mappings_are_settings():
    matrix = copy.deepcopy(DEFAULT_MATRIX)
    matrix["inspection_age"]["amber_years"] = 2
    matrix["regulator_rating"]["mapping"]["requires_improvement"] = RED
    facts = replace(
        GOOD,
        regulator_rating="requires_improvement",
        last_inspection_date=TODAY - timedelta(days=800),
    )
    result = evaluate(facts, matrix, TODAY)
    assert result.factor("inspection_age").rag == AMBER
    assert result.factor("regulator_rating").rag == RED


def test_changed_factors_names_those_whose_rag_differs():
    before = [r.as_dict() for r in evaluate(GOOD, DEFAULT_MATRIX, TODAY).factors]
    worse = replace(GOOD, open_safeguarding_enquiry=True, registered_manager=False)
    after = [r.as_dict() for r in evaluate(worse, DEFAULT_MATRIX, TODAY).factors]
    assert changed_factors(before, after) == ["safeguarding_enquiry", "registered_manager"]
    assert changed_factors([], after) == list(FACTORS)
