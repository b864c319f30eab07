"""Concern levels (SPEC §6, source 001 Appendix 2) as a pure rule: each trigger, its level, its
reason in words, and every boundary day, with plain data and a fixed today (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from escalation.concern import (
    DEFAULT_NOTICE_MONTHS,
    LEVEL_TEXTS,
    NO_TRIGGER,
    ConcernFacts,
    level_text,
    needs_second_decision,
    overdue_improvement_actions,
    suggest,
)
from escalation.deadlines import SUSPENSION_CONCERN_MONTHS

TODAY = date(2026, 11, 25)
SETTINGS = {SUSPENSION_CONCERN_MONTHS: 3, DEFAULT_NOTICE_MONTHS: 12}
CALM = ConcernFacts(regulator_rating="good", key_question_ratings=("good",) * 5)
RI = "requires_improvement"


def _suggest(facts: ConcernFacts, today: date = TODAY, **settings):
    return suggest(facts, today, {**SETTINGS, **settings})


def test_nothing_wrong_suggests_level_1_and_says_so():
    result = _suggest(CALM)
    assert result.level == 1
    assert result.triggers == ()
    assert result.reasons == [NO_TRIGGER]


@pytest.mark.parametrize(
    ("overall", "key_questions", "level", "code"),
    [
        ("outstanding", ("outstanding",) * 5, 1, None),
        ("not_rated", ("not_rated",) * 5, 1, None),
        ("inadequate", ("good",) * 5, 3, "regulator_inadequate"),
        (RI, ("good", RI, "good", "good", "good"), 2, "regulator_requires_improvement"),
        # "Requires Improvement in all areas" (Appendix 2, level 3).
        (RI, (RI,) * 5, 3, "regulator_requires_improvement_everywhere"),
        (RI, (RI, RI, "inadequate", RI, RI), 3, "regulator_requires_improvement_everywhere"),
        # A key question not rated is not "all areas": the regulator has not said so.
        (RI, (RI, RI, RI, RI, "not_rated"), 2, "regulator_requires_improvement"),
        (RI, (), 2, "regulator_requires_improvement"),
        # A Good service with one key question Requires improvement is not a trigger.
        ("good", ("good", RI, "good", "good", "good"), 1, None),
    ],
)
def test_the_regulator_rating(overall, key_questions, level, code):
    result = _suggest(ConcernFacts(regulator_rating=overall, key_question_ratings=key_questions))
    assert result.level == level
    assert result.codes == ([code] if code else [])


def test_reasons_are_plain_words():
    result = _suggest(replace(CALM, regulator_rating="inadequate"))
    assert result.reasons == ["The regulator's overall rating is Inadequate."]


# --- Suspensions: calendar months from the day it was approved --------------------------------


@pytest.mark.parametrize(
    ("approved", "level"),
    [
        (date(2026, 8, 26), 2),  # in force 3 months less a day
        (date(2026, 8, 25), 2),  # exactly 3 months: not longer than 3 months
        (date(2026, 8, 24), 3),  # 3 months and a day
        (date(2026, 1, 1), 3),
        (TODAY, 2),  # approved today
    ],
)
def test_a_suspension_in_force_is_level_2_and_longer_than_the_period_level_3(approved, level):
    result = _suggest(replace(CALM, suspension_since=approved))
    assert result.level == level
    assert result.codes == ["suspension_long" if level == 3 else "suspension"]


@pytest.mark.parametrize(
    ("approved", "today", "level"),
    [
        # 30 November + 3 months is 28 February (no 30th): exactly 3 months then, longer after.
        (date(2026, 11, 30), date(2027, 2, 28), 2),
        (date(2026, 11, 30), date(2027, 3, 1), 3),
        # In a leap year, 29 February.
        (date(2027, 11, 30), date(2028, 2, 29), 2),
        (date(2027, 11, 30), date(2028, 3, 1), 3),
        # From 31 May: 31 August is exactly 3 months.
        (date(2026, 5, 31), date(2026, 8, 31), 2),
        (date(2026, 5, 31), date(2026, 9, 1), 3),
    ],
)
def test_suspension_months_are_calendar_months_at_month_ends(approved, today, level):
    assert _suggest(replace(CALM, suspension_since=approved), today).level == level


def test_the_suspension_period_is_the_policy_setting_never_a_literal():
    facts = replace(CALM, suspension_since=date(2026, 7, 25))  # 4 months ago
    assert _suggest(facts).level == 3
    assert _suggest(facts, **{SUSPENSION_CONCERN_MONTHS: 4}).level == 2
    assert _suggest(facts, **{SUSPENSION_CONCERN_MONTHS: 1}).reasons == [
        "A suspension of new placements has been in force since 25 July 2026: longer than 1 month."
    ]


def test_the_suspension_reason_names_the_restriction_and_the_day():
    facts = replace(CALM, suspension_since=date(2026, 3, 2), restricted_placements=True)
    assert _suggest(facts).reasons == [
        "Placing with restrictions has been in force since 2 March 2026: longer than 3 months."
    ]
    assert _suggest(replace(facts, suspension_since=date(2026, 11, 1))).reasons == [
        "Placing with restrictions has been in force since 1 November 2026."
    ]


# --- Contract default notices: one is level 2, further notices level 3 -----------------------


@pytest.mark.parametrize(
    ("served", "level"),
    [
        ((), 1),
        ((date(2026, 11, 26),), 1),  # dated after today: not served yet
        ((TODAY,), 2),
        ((date(2025, 11, 26),), 2),  # a day less than 12 months ago
        ((date(2025, 11, 25),), 1),  # exactly 12 months ago: no longer counts
        ((date(2026, 1, 5), date(2026, 6, 5)), 3),
        ((date(2025, 11, 25), date(2026, 6, 5)), 2),  # the first is 12 months old
        ((date(2025, 11, 26), date(2026, 6, 5)), 3),
    ],
)
def test_contract_default_notices(served, level):
    assert _suggest(replace(CALM, default_notices=served)).level == level


def test_default_notice_reasons():
    one = _suggest(replace(CALM, default_notices=(date(2026, 6, 5),)))
    assert one.reasons == [
        "A contract default notice was served on 5 June 2026, within the last 12 months."
    ]
    two = _suggest(replace(CALM, default_notices=(date(2026, 6, 5), date(2026, 9, 1))))
    assert two.reasons == [
        "2 contract default notices were served within the last 12 months, the latest on "
        "1 September 2026."
    ]
    assert (
        _suggest(
            replace(CALM, default_notices=(date(2025, 12, 1),)), **{DEFAULT_NOTICE_MONTHS: 6}
        ).level
        == 1
    )


# --- Safeguarding enquiries: level 2, or 3 alongside any other trigger ----------------------


def test_an_open_enquiry_alone_is_level_2():
    result = _suggest(replace(CALM, enquiry_open_since=date(2026, 10, 3)))
    assert result.level == 2
    assert result.reasons == [
        "An organisational safeguarding enquiry has been open since 3 October 2026."
    ]
    wide = _suggest(replace(CALM, enquiry_open_since=date(2026, 10, 3), enquiry_provider_wide=True))
    assert wide.reasons == [
        "An organisational safeguarding enquiry on its provider (for all its services) has "
        "been open since 3 October 2026."
    ]


@pytest.mark.parametrize(
    "other",
    [
        {"regulator_rating": RI},
        {"suspension_since": date(2026, 11, 1)},
        {"default_notices": (date(2026, 6, 5),)},
        {"regulator_rating": "inadequate"},
    ],
)
def test_an_open_enquiry_with_any_other_trigger_is_level_3(other):
    result = _suggest(replace(CALM, enquiry_open_since=date(2026, 10, 3), **other))
    assert result.level == 3
    assert result.codes[0] in {"safeguarding_enquiry_with_other_concerns", "regulator_inadequate"}
    assert "safeguarding_enquiry_with_other_concerns" in result.codes
    assert len(result.reasons) == 2


def test_the_highest_level_wins_and_its_reasons_come_first():
    result = _suggest(
        ConcernFacts(
            regulator_rating=RI,
            key_question_ratings=("good",) * 5,
            suspension_since=date(2026, 1, 10),
        )
    )
    assert result.level == 3
    assert result.codes == ["suspension_long", "regulator_requires_improvement"]


def test_overdue_improvement_actions_is_a_hook_that_finds_nothing_yet():
    """Improvement plans do not exist yet (docs/concern-levels.md)."""
    assert overdue_improvement_actions(CALM, TODAY, SETTINGS) is None


# --- Who decides --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_level", "to_level", "two"),
    [(1, 2, False), (2, 1, False), (2, 3, True), (3, 2, True), (1, 3, True), (3, 1, True)],
)
def test_a_move_to_or_from_level_3_needs_a_second_decision(from_level, to_level, two):
    assert needs_second_decision(from_level, to_level) is two


# --- What each level says (source 001 Appendix 2) --------------------------------------------


def test_each_level_has_its_description_intervention_and_monitoring_from_the_source():
    assert [LEVEL_TEXTS[n].intervention for n in (1, 2, 3)] == [
        "Business as usual or light touch monitoring",
        "Active monitoring",
        "Large scale intervention",
    ]
    assert LEVEL_TEXTS[2].title == "Level 2: moderate concerns"
    assert "Unannounced visit undertaken" in LEVEL_TEXTS[2].monitoring
    assert "Large scale intervention process implemented" in LEVEL_TEXTS[3].monitoring
    for text in LEVEL_TEXTS.values():
        assert text.thresholds and text.monitoring and text.reviewed_by
        assert not any("Herefordshire" in line or "HCCG" in line for line in text.monitoring)


def test_the_level_3_threshold_says_the_policy_period():
    text = level_text(3, {SUSPENSION_CONCERN_MONTHS: 4})
    assert "placement suspension has been in place for more than 4 months" in " ".join(
        text.thresholds
    )


# --- The decisions' rules (escalation.concern_workflows) as pure functions ------------------------


def _people():
    from qaf.models import Role, User

    maya = User(pk=1, username="maya", first_name="Maya", roles=[Role.MANAGER])
    mo = User(pk=2, username="mo", first_name="Mo", roles=[Role.MANAGER])
    olivia = User(pk=3, username="olivia", roles=[Role.OFFICER])
    return maya, mo, olivia


def _refusal(action, concern, user, *, waiting=None, decisions=None, **params):
    from escalation.concern_workflows import CONCERN

    facts = {"waiting_suggestion": waiting, "board_decisions": decisions or {}}
    found = CONCERN.refusal(concern, action, user, params=params, facts=facts, today=TODAY)
    return type(found).__name__ if found else None, found.reason if found else ""


def test_the_decision_rules_with_plain_data():
    from escalation.models import ConcernLevel, ConcernSuggestion

    maya, mo, olivia = _people()
    at_1 = ConcernLevel(service_id=1, level=1)
    assert _refusal("decide", at_1, maya, level=2, reason="Complaints") == (None, "")
    assert _refusal("decide", at_1, olivia, level=2, reason="x")[0] == "Forbidden"
    assert _refusal("decide", at_1, maya, level=2, reason="")[1] == (
        "Give the reason for the decision."
    )
    assert "propose it instead" in _refusal("decide", at_1, maya, level=3, reason="x")[1]
    assert "decide it instead" in _refusal("propose", at_1, maya, level=2, reason="x")[1]
    waiting = ConcernSuggestion(pk=7, service_id=1, level=3, from_level=1)
    assert _refusal("decide", at_1, maya, waiting=waiting, level=2, reason="x", suggestion=7)[
        1
    ].startswith("The suggestion is level 3")
    assert _refusal("propose", at_1, maya, waiting=waiting, level=3, reason="x", suggestion=7) == (
        None,
        "",
    )

    proposed = ConcernLevel(
        service_id=1,
        level=2,
        proposed_level=3,
        proposed_by=maya,
        proposed_on=date(2026, 11, 20),
        proposal_reason="Inadequate",
    )
    # The board decides a move to or from level 3: without its decision, no manager records it.
    assert _refusal("approve", proposed, mo)[0] == "NotNow"
    assert "board has not decided to approve" in _refusal("approve", proposed, mo)[1]
    decided = {"approve": object()}  # an unused decision of a quorate meeting
    assert _refusal("approve", proposed, mo, decisions=decided) == (None, "")
    assert _refusal("approve", proposed, maya, decisions=decided) == (None, "")  # the proposer
    assert _refusal("reject", proposed, mo, decisions=decided)[0] == "NotNow"
    assert _refusal("withdraw", proposed, mo)[0] == "Forbidden"
    assert _refusal("withdraw", proposed, maya) == (None, "")
    assert _refusal("decide", proposed, mo, level=1, reason="x")[1].startswith(
        "Maya proposed level 3 on 20 November 2026"
    )
    assert _refusal("approve", at_1, mo) == ("NotNow", "No move is proposed.")
