"""The papers go to the members "at least a week in advance of the meeting" (source 003
Appendix 4 §2): ``board_papers_days`` (7) calendar days before the meeting's date is in time,
one day fewer is late. Late papers are a warning, never a refusal. Pure, every boundary day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from escalation.board import meeting_papers_notice, papers_notice
from escalation.models import BoardMeeting

MEETING = date(2027, 3, 15)  # a Monday
TODAY = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("issued", "late", "words"),
    [
        (date(2027, 3, 1), False, "Papers issued on 1 March 2027, 14 days before the meeting."),
        (date(2027, 3, 7), False, "Papers issued on 7 March 2027, 8 days before the meeting."),
        # Exactly a week before: in time.
        (date(2027, 3, 8), False, "Papers issued on 8 March 2027, 7 days before the meeting."),
        # Six days: late.
        (
            date(2027, 3, 9),
            True,
            "Papers issued late: on 9 March 2027, only 6 days before the meeting. The terms "
            "of reference ask for them at least 7 days before.",
        ),
        (date(2027, 3, 14), True, "only 1 day before the meeting"),
        (date(2027, 3, 15), True, "on the day of the meeting"),
        (date(2027, 3, 16), True, "after the meeting"),
    ],
)
def test_papers_a_week_before_are_in_time_and_six_days_late(issued, late, words):
    notice = papers_notice(MEETING, issued, days=7, today=TODAY)
    assert notice.late is late
    assert words in notice.text


def test_papers_not_yet_issued_are_due_a_week_before_and_late_after_that():
    waiting = papers_notice(MEETING, None, days=7, today=date(2027, 3, 8))
    assert not waiting.late
    assert waiting.text == (
        "The papers have not been issued yet: issue them by 8 March 2027, 7 days before the "
        "meeting."
    )
    overdue = papers_notice(MEETING, None, days=7, today=date(2027, 3, 9))
    assert overdue.late
    assert "were due by 8 March 2027" in overdue.text


def test_the_number_of_days_is_the_policy_setting():
    assert not papers_notice(MEETING, date(2027, 3, 10), days=5, today=TODAY).late
    assert papers_notice(MEETING, date(2027, 3, 10), days=6, today=TODAY).late


@pytest.mark.django_db  # the days are the policy's
def test_the_days_are_counted_in_london():
    """23:30 UTC on 1 July is 00:30 on 2 July in London: six days before a meeting on 8 July,
    late, although the machine's (UTC) date says seven."""
    meeting = BoardMeeting(
        starts_at=datetime(2026, 7, 8, 9, 0, tzinfo=UTC),
        papers_issued_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC),
    )
    notice = meeting_papers_notice(meeting, today=date(2026, 7, 2))
    assert notice.late
    assert "on 2 July 2026, only 6 days before" in notice.text
