"""The board's quorum (source 003 Appendix 4 §5) and its decisions: at least three members
present including one of each required role; a non-quorate meeting keeps notes and takes no
decision; a decision authorises one step, once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from escalation import board
from escalation.models import BoardMeeting, BoardRole, MeetingStatus
from qaf.workflow import Forbidden, NotNow

HEALTH, QUALITY, STRATEGIC, OTHER = (
    BoardRole.HEALTH_SAFEGUARDING,
    BoardRole.QUALITY_MANAGER,
    BoardRole.STRATEGIC_COMMISSIONER,
    BoardRole.OTHER,
)
REQUIRED = {HEALTH, QUALITY, STRATEGIC}


@pytest.mark.parametrize(
    ("present", "quorate"),
    [
        ([HEALTH, QUALITY, STRATEGIC], True),
        ([HEALTH, QUALITY, STRATEGIC, OTHER], True),
        ([HEALTH, QUALITY], False),  # two present
        ([HEALTH, QUALITY, OTHER], False),  # three, but no strategic commissioner
        ([QUALITY, QUALITY, STRATEGIC], False),  # three, no health representative
        ([], False),
    ],
)
def test_a_quorum_is_three_present_with_every_required_role(present, quorate):
    assert board.quorum(present, REQUIRED).quorate is quorate


def test_the_reason_says_what_is_missing():
    reason = board.quorum([QUALITY, OTHER], REQUIRED).reason
    assert reason.startswith("Not quorate: 2 members present, at least 3 are needed")
    assert "Health safeguarding and commissioning representative" in reason
    assert "Strategic commissioner" in reason


@pytest.mark.django_db
def test_no_decision_at_a_meeting_that_was_not_quorate_and_each_used_once(
    manager_maya, sunrise_house, provider_pat
):
    meeting = BoardMeeting.objects.create(
        starts_at=timezone.now(), status=MeetingStatus.HELD, quorate=False
    )
    with pytest.raises(NotNow, match="was not quorate"):
        board.record_decision(
            meeting, subject=sunrise_house, outcome="close", reason="x", actor=manager_maya
        )
    with pytest.raises(Forbidden):
        board.record_decision(
            meeting, subject=sunrise_house, outcome="close", reason="x", actor=provider_pat
        )
    meeting.quorate = True
    meeting.save()
    decision = board.record_decision(
        meeting, subject=sunrise_house, outcome="close", reason="Improved", actor=manager_maya
    )
    assert board.decision_for(sunrise_house, "close") == decision
    board.use_decision(decision, actor=manager_maya)
    assert board.decision_for(sunrise_house, "close") is None
    with pytest.raises(NotNow, match="acted on already"):
        board.use_decision(decision, actor=manager_maya)
