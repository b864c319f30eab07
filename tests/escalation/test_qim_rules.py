"""The QIM's rules that need no database: the agenda of source 003 Table 2 in its order and
words, and when an action is overdue (due today is not; due yesterday is)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from escalation.models import AGENDA
from escalation.models.qim import ActionStatus, is_overdue

TODAY = date(2026, 12, 17)

# Source 003 Table 2, as printed (its numbering skips 3).
SEED_AGENDA = [
    (1, "Welcome and Introductions"),
    (2, "Reasons for the Meeting"),
    (4, "Recent CQC Inspection Report/Quality Feedback Information"),
    (5, "Recent Safeguarding Investigations and Impact on Quality Concerns"),
    (6, "CQC Action Plan/Improvement plan with ASC"),
    (
        7,
        "Provider Support/ Training Needs, for example, RCPA, Care Quality Associates, Skills for "
        "Care, Care Homes Support Team",
    ),
    (8, "Commissioning Position/Managed Placement Memo"),
    (9, "Communications – Service Users/Families etc"),
    (10, "Rectification Notice/ SCCG Contract Performance Notice"),
    (11, "Any other Business"),
    (12, "Next Meeting – Follow Up QIM/Contract Visit"),
]


def test_the_agenda_is_the_seeds_in_its_order_and_words():
    assert [(e.seed_number, e.title) for e in AGENDA] == SEED_AGENDA


def test_the_agenda_is_numbered_1_to_11_without_the_seeds_gap():
    assert [e.number for e in AGENDA] == list(range(1, 12))


@pytest.mark.parametrize(
    ("due", "status", "overdue"),
    [
        (TODAY - timedelta(days=1), ActionStatus.OPEN, True),  # due yesterday
        (TODAY, ActionStatus.OPEN, False),  # due today: not yet
        (TODAY + timedelta(days=1), ActionStatus.OPEN, False),
        (TODAY - timedelta(days=30), ActionStatus.DONE, False),  # done: never overdue
    ],
)
def test_an_action_is_overdue_once_its_day_has_passed_and_it_is_not_done(due, status, overdue):
    assert is_overdue(due, status, TODAY) is overdue
