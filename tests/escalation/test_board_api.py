"""``/api/v1/board-meetings/`` (SPEC §9): arrange a meeting, issue its papers, record who
attended (held, quorate or not, the quorum in words), decide about an agenda item (201 naming
the subject, the outcome and who decided; 409 with the reason at a meeting that was not
quorate; 403 for roles that may not), the notes, the pack; provider users 403."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from escalation import board
from escalation.models import BoardDecision, BoardMeeting
from qaf.models import Document
from tests.escalation.board_support import (
    NOT_QUORATE,
    QUORATE,
    at,
    held_meeting,
    seat_members,
    services_as_subjects,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/board-meetings/"


@pytest.fixture(autouse=True)
def _services_stand_for_cases(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with services_as_subjects():
        yield


@pytest.fixture
def members(board_bea, manager_maya):
    return seat_members(bea=board_bea, maya=manager_maya)


def _today():
    return timezone.localdate()


def test_a_manager_arranges_issues_papers_and_records_a_quorate_meeting(
    api_for, manager_maya, members, sunrise_house
):
    api = api_for(manager_maya)
    starts = at(_today(), 9)
    response = api.post(URL, {"starts_at": starts.isoformat(), "place": "Room 2"}, format="json")
    assert response.status_code == 201, response.content
    meeting = response.json()
    assert (meeting["status"], meeting["kind"], meeting["quorate"]) == (
        "planned",
        "scheduled",
        None,
    )
    assert meeting["papers_late"] is True  # the meeting is today: too late for a week's notice
    board.add_to_agenda(
        BoardMeeting.objects.get(pk=meeting["id"]), sunrise_house, actor=manager_maya
    )

    issued = api.post(f"{URL}{meeting['id']}/issue-papers/", format="json").json()
    assert issued["papers_issued_at"] and issued["papers_late"] is True
    assert "on the day of the meeting" in issued["papers_notice"]
    assert issued["pack"]["pdf_status"] == "pending" and issued["pack"]["pdf"] is None
    [item] = issued["agenda"]
    assert item["title"] == "Sunrise House: escalation to the board"
    assert item["subject_type"] == "providers.service" and item["subject_id"] == sunrise_house.pk
    assert [o["outcome"] for o in item["outcomes"]] == ["rectification_notice", "close"]
    assert item["papers"][0]["heading"] == "Headline concerns"

    held = api.post(
        f"{URL}{meeting['id']}/record-attendance/",
        {"present": [members[n].pk for n in QUORATE]},
        format="json",
    ).json()
    assert (held["status"], held["quorate"]) == ("held", True)
    assert held["quorum"] == "Quorate: 3 members present, every required role filled."
    assert held["notes_label"] == "Minutes"
    present = {a["name"]: a["present"] for a in held["attendance"]}
    assert present == {str(m.user.get_full_name()): name in QUORATE for name, m in members.items()}

    decided = api.post(
        f"{URL}{meeting['id']}/decide/",
        {"agenda_item": item["id"], "outcome": "rectification_notice", "reason": "No change"},
        format="json",
    )
    assert decided.status_code == 201, decided.content
    body = decided.json()
    assert (body["subject_type"], body["subject_id"], body["outcome"]) == (
        "providers.service",
        sunrise_house.pk,
        "rectification_notice",
    )
    assert body["subject"] == "Sunrise House: escalation to the board"
    assert body["outcome_label"] == "Issue a rectification notice"
    assert body["recorded_by"] == manager_maya.get_full_name()
    assert sorted(body["decision_makers_present"]) == sorted(
        members[n].user.get_full_name() for n in QUORATE
    )
    again = api.post(
        f"{URL}{meeting['id']}/decide/",
        {
            "subject_type": "providers.service",
            "subject_id": sunrise_house.pk,
            "outcome": "close",
            "reason": "x",
        },
        format="json",
    )
    assert again.status_code == 409
    assert "is recorded already" in again.json()["detail"]
    detail = api.get(f"{URL}{meeting['id']}/").json()
    assert [d["outcome"] for d in detail["decisions"]] == ["rectification_notice"]


def test_no_decision_at_a_meeting_that_was_not_quorate_409_with_the_reason(
    api_for, board_bea, manager_maya, members, sunrise_house
):
    meeting = held_meeting(
        members, NOT_QUORATE, by=manager_maya, day=_today(), subjects=[sunrise_house]
    )
    detail = api_for(board_bea).get(f"{URL}{meeting.pk}/").json()
    assert detail["quorate"] is False
    assert detail["quorum"] == "Not quorate: no one present for: Strategic commissioner."
    assert detail["notes_label"] == "Notes (not quorate: no decisions)"
    response = api_for(board_bea).post(
        f"{URL}{meeting.pk}/decide/",
        {"agenda_item": meeting.agenda.get().pk, "outcome": "close", "reason": "Improved"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The meeting was not quorate: it keeps notes, and takes no decisions (no one present "
        "for: Strategic commissioner.)"
    )
    assert not BoardDecision.objects.exists()


@pytest.mark.parametrize("who", ["officer_olivia", "partner_pia", "admin_alex"])
def test_roles_without_the_board_are_refused_403(
    request, who, api_for, manager_maya, members, sunrise_house
):
    meeting = held_meeting(
        members, QUORATE, by=manager_maya, day=_today(), subjects=[sunrise_house]
    )
    api = api_for(request.getfixturevalue(who))
    assert api.get(f"{URL}{meeting.pk}/").status_code == 200  # staff read the board
    body = {"agenda_item": meeting.agenda.get().pk, "outcome": "close", "reason": "x"}
    response = api.post(f"{URL}{meeting.pk}/decide/", body, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow this."
    assert api.post(URL, {"starts_at": at(_today()).isoformat()}, format="json").status_code == 403
    assert not BoardDecision.objects.exists()


def test_bad_bodies_are_400(api_for, manager_maya, members, sunrise_house, oak_lodge_home):
    meeting = held_meeting(
        members, QUORATE, by=manager_maya, day=_today(), subjects=[sunrise_house]
    )
    api = api_for(manager_maya)
    for body, field in (
        ({"outcome": "close", "reason": "x"}, "agenda_item"),
        ({"agenda_item": 10**9, "outcome": "close", "reason": "x"}, "agenda_item"),
        (
            {
                "subject_type": "providers.service",
                "subject_id": oak_lodge_home.pk,
                "outcome": "close",
                "reason": "x",
            },
            "subject_id",
        ),
        ({"agenda_item": meeting.agenda.get().pk, "outcome": "close"}, "reason"),
    ):
        response = api.post(f"{URL}{meeting.pk}/decide/", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), response.json()
    planned = api.post(URL, {"starts_at": at(_today()).isoformat()}, format="json").json()
    response = api.post(f"{URL}{planned['id']}/record-attendance/", {"present": []}, format="json")
    assert response.status_code == 400 and "present" in response.json()
    response = api.post(
        f"{URL}{planned['id']}/record-attendance/", {"present": [10**9]}, format="json"
    )
    assert response.status_code == 400
    far = at(_today().replace(year=_today().year + 50)).isoformat()
    response = api.post(URL, {"starts_at": far}, format="json")
    assert response.status_code == 400 and "starts_at" in response.json()


def test_notes_cancel_and_the_list(api_for, manager_maya, members):
    api = api_for(manager_maya)
    held = held_meeting(members, NOT_QUORATE, by=manager_maya, day=_today() - timedelta(days=1))
    body = api.post(f"{URL}{held.pk}/notes/", {"notes": "Discussed", "version": 1}, format="json")
    assert body.status_code == 409  # the version moved when the attendance was recorded
    version = api.get(f"{URL}{held.pk}/").json()["version"]
    saved = api.post(f"{URL}{held.pk}/notes/", {"notes": "Discussed", "version": version})
    assert saved.status_code == 200 and saved.json()["notes"] == "Discussed"

    planned = api.post(URL, {"starts_at": at(_today() + timedelta(days=9)).isoformat()}).json()
    assert api.post(f"{URL}{planned['id']}/cancel/", {"reason": ""}).status_code == 400
    cancelled = api.post(f"{URL}{planned['id']}/cancel/", {"reason": "Clash"}).json()
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Clash")
    assert cancelled["papers_late"] is None
    again = api.post(f"{URL}{planned['id']}/issue-papers/")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]

    rows = api.get(URL).json()["results"]
    assert [r["id"] for r in rows] == [planned["id"], held.pk]
    assert rows[1]["quorate"] is False and rows[1]["agenda_count"] == 0
    assert [r["id"] for r in api.get(URL, {"status": "held"}).json()["results"]] == [held.pk]


def test_the_pack_downloads_once_produced(api_for, manager_maya, members):
    from qaf.pdf import render_document

    api = api_for(manager_maya)
    meeting = held_meeting(members, QUORATE, by=manager_maya, day=_today())
    assert api.get(f"{URL}{meeting.pk}/pack/").status_code == 404
    render_document(Document.objects.get(kind="board_pack", source_id=meeting.pk))
    response = api.get(f"{URL}{meeting.pk}/pack/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert (
        api.get(f"{URL}{meeting.pk}/")
        .json()["pack"]["pdf"]
        .endswith(f"/api/v1/board-meetings/{meeting.pk}/pack/")
    )
