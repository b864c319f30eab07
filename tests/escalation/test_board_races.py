"""Two people recording the same thing about a board meeting at once, with real parallel
requests against a live server (each on its own thread and database connection): one wins,
the others are told why (409), and the record holds one attendance and one decision."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from escalation import board
from escalation import board_services as services
from escalation.models import Attendance, BoardDecision, MeetingStatus
from tests.escalation.board_support import (
    QUORATE,
    at,
    held_meeting,
    seat_members,
    services_as_subjects,
)
from tests.support import send_in_parallel

PARALLEL = 8

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _services_stand_for_cases():
    with services_as_subjects():
        yield


def _tokens(*users) -> list[str]:
    return [Token.objects.create(user=user).key for user in users]


def test_two_recording_the_attendance_at_once_hold_the_meeting_once(
    live_server, board_bea, manager_maya
):
    members = seat_members(bea=board_bea, maya=manager_maya)
    meeting = services.arrange(actor=manager_maya, starts_at=at(timezone.localdate(), 9))
    url = f"{live_server.url}/api/v1/board-meetings/{meeting.pk}/record-attendance/"
    bodies = [{"present": [members[n].pk for n in QUORATE]}] * PARALLEL
    statuses = send_in_parallel("POST", url, _tokens(board_bea, manager_maya), bodies)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.quorate) == (MeetingStatus.HELD, True)
    assert Attendance.objects.filter(meeting=meeting).count() == len(members)


def test_two_recording_the_same_decision_at_once_record_one(
    live_server, board_bea, manager_maya, sunrise_house
):
    members = seat_members(bea=board_bea, maya=manager_maya)
    meeting = held_meeting(
        members, QUORATE, by=manager_maya, day=timezone.localdate(), subjects=[sunrise_house]
    )
    url = f"{live_server.url}/api/v1/board-meetings/{meeting.pk}/decide/"
    body = {
        "agenda_item": meeting.agenda.get().pk,
        "outcome": "rectification_notice",
        "reason": "No improvement evidenced",
    }
    statuses = send_in_parallel("POST", url, _tokens(board_bea, manager_maya), [body] * PARALLEL)
    assert sorted(statuses) == [201] + [409] * (PARALLEL - 1)
    decision = BoardDecision.objects.get()
    assert board.decision_for(sunrise_house, "rectification_notice") == decision
