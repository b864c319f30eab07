"""The board's pages: the meetings (upcoming and past, quorum status, downloads), arranging a
meeting, the meeting's page (agenda, attendance, the quorum in words, the papers' warning,
minutes or notes, decisions), recording attendance and a decision (refused, 409 with the
reason, at a meeting that was not quorate, whose page offers no decision form), the members
page, the home page; and provider users see none of it."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from escalation import board, board_pack
from escalation import board_services as services
from escalation.models import BoardDecision, BoardMeeting, BoardMember, MeetingStatus
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


@pytest.fixture(autouse=True)
def _services_stand_for_cases():
    with services_as_subjects():
        yield


@pytest.fixture
def members(board_bea, manager_maya):
    return seat_members(bea=board_bea, maya=manager_maya)


def _today():
    return timezone.localdate()


@pytest.fixture
def quorate(members, manager_maya, sunrise_house):
    return held_meeting(members, QUORATE, by=manager_maya, day=_today(), subjects=[sunrise_house])


@pytest.fixture
def not_quorate(members, manager_maya, sunrise_house):
    return held_meeting(
        members,
        NOT_QUORATE,
        by=manager_maya,
        day=_today() - timedelta(days=3),
        subjects=[sunrise_house],
    )


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def _words(response) -> str:
    """The page's words, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- The meetings --------------------------------------------------------------------------------


def test_the_meetings_upcoming_and_past_with_their_quorum(
    client_for, partner_pia, manager_maya, quorate, not_quorate
):
    upcoming = services.arrange(
        actor=manager_maya, starts_at=at(_today() + timedelta(days=20)), place="Room 1"
    )
    response = client_for(partner_pia).get(reverse("board:meetings"))
    page = _text(response)
    assert "Arrange a meeting" not in page  # partners read, they do not arrange
    up, past = page.index('id="upcoming"'), page.index('id="past"')
    assert up < page.index(upcoming.get_absolute_url()) < past
    past_part = page[past:]
    assert past_part.index(quorate.get_absolute_url()) < past_part.index(
        not_quorate.get_absolute_url()
    )
    words = _words(response)
    assert "Quorate 3 present" in words and "Not quorate 3 present" in words


def test_the_meetings_download_as_csv_and_excel(client_for, manager_maya, quorate, not_quorate):
    client = client_for(manager_maya)
    response = client.get(reverse("board:meetings"), {"_export": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="board-meetings-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["Quorum"] for r in rows] == ["Quorate", "Not quorate"]
    assert rows[0]["Agenda items"] == "1" and rows[0]["Members present"] == "3"
    assert rows[0]["Papers late"] == "No"
    response = client.get(reverse("board:meetings"), {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:3] == ["Date", "Time", "Kind"]
    assert client.get(reverse("board:meetings"), {"_export": "pdf"}).status_code == 404


def test_the_meetings_page_reads_the_same_rows_however_many_meetings(
    client_for, manager_maya, members, django_assert_max_num_queries
):
    client = client_for(manager_maya)

    def arrange(n):
        for day in range(n):
            services.arrange(actor=manager_maya, starts_at=at(_today() + timedelta(days=day)))

    arrange(2)
    client.get(reverse("board:meetings"))  # warm the caches (the policy, content types)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("board:meetings"))
    arrange(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("board:meetings")).status_code == 200


# --- Arranging -----------------------------------------------------------------------------------


def test_a_board_member_arranges_an_urgent_virtual_meeting(client_for, board_bea):
    client = client_for(board_bea)
    response = client.post(reverse("board:arrange"), {"kind": "urgent", "day": "", "time": "9"})
    text = _text(response)
    assert "Enter the date of the meeting" in text
    assert "Enter the time as hours and minutes, for example 14:30" in text
    day = _today() + timedelta(days=2)
    response = client.post(
        reverse("board:arrange"),
        {"kind": "urgent", "day": day.strftime("%d/%m/%Y"), "time": "16:30", "place": "Teams"},
    )
    meeting = BoardMeeting.objects.get()
    assert response.url == meeting.get_absolute_url()
    assert (meeting.kind, meeting.place, meeting.created_by) == ("urgent", "Teams", board_bea)
    local = timezone.localtime(meeting.starts_at)
    assert (local.date(), local.strftime("%H:%M")) == (day, "16:30")


# --- The meeting's page --------------------------------------------------------------------------


def test_a_quorate_meeting_shows_its_quorum_minutes_and_decision(
    client_for, board_bea, manager_maya, quorate, sunrise_house
):
    services.save_notes(quorate, actor=manager_maya, notes="Agreed the rectification notice.")
    client = client_for(board_bea)
    page = _text(client.get(quorate.get_absolute_url()))
    assert "Quorate: 3 members present, every required role filled." in page
    assert "Papers issued" in page and "7 days before the meeting." in page
    assert 'id="papers-warning"' not in page
    assert "Minutes</h2>" in page and "Agreed the rectification notice." in page
    assert "Sunrise House: escalation to the board" in page
    decide_url = reverse("board:decide", args=[quorate.pk, quorate.agenda.get().pk])
    assert decide_url in page

    response = client.post(
        decide_url, {"outcome": "rectification_notice", "reason": "No improvement evidenced"}
    )
    assert response.status_code == 302
    page = _text(client.get(quorate.get_absolute_url()))
    assert "Decided</strong> Issue a rectification notice" in page
    assert "No improvement evidenced" in page
    assert f"by {board_bea}" in page
    assert "Decision makers: " in page and "Ben Clarke" in page and "Advisers:" not in page
    assert decide_url not in page  # decided: no second decision
    decision = BoardDecision.objects.get()
    assert (decision.subject, decision.outcome, decision.recorded_by) == (
        sunrise_house,
        "rectification_notice",
        board_bea,
    )


def test_a_meeting_that_was_not_quorate_takes_no_decision_on_its_pages(
    client_for, board_bea, not_quorate
):
    client = client_for(board_bea)
    page = _text(client.get(not_quorate.get_absolute_url()))
    assert "Not quorate: no one present for: Strategic commissioner." in page
    assert "Notes (not quorate: no decisions)</h2>" in page
    assert "The meeting was not quorate: it keeps notes, and takes no decisions" in page
    decide_url = reverse("board:decide", args=[not_quorate.pk, not_quorate.agenda.get().pk])
    assert decide_url not in page

    form_page = client.get(decide_url)
    assert form_page.status_code == 200
    assert form_page.context["form"] is None
    assert "No decision can be recorded" in _text(form_page)
    response = client.post(decide_url, {"outcome": "close", "reason": "Improved"})
    assert response.status_code == 409
    assert "The meeting was not quorate: it keeps notes, and takes no decisions" in _text(response)
    assert not BoardDecision.objects.exists()


def test_late_papers_show_a_warning(client_for, manager_maya, members):
    meeting = services.arrange(actor=manager_maya, starts_at=at(_today() + timedelta(days=6)))
    client = client_for(manager_maya)
    step = reverse("board:meeting_step", args=[meeting.pk, "issue-papers"])
    confirm = _text(client.get(step))
    assert "only 6 days before the meeting" in confirm  # said before issuing
    response = client.post(step)
    assert response.status_code == 302
    page = _text(client.get(meeting.get_absolute_url()))
    assert 'id="papers-warning"' in page
    assert "Warning</span> Papers issued late: on " in page
    assert "Issue the papers again" in page


def test_attendance_is_recorded_with_a_tick_per_member_and_says_the_quorum(
    client_for, manager_maya, members
):
    meeting = services.arrange(actor=manager_maya, starts_at=at(_today(), 9))
    client = client_for(manager_maya)
    step = reverse("board:meeting_step", args=[meeting.pk, "record-attendance"])
    form = _text(client.get(step))
    for member in members.values():
        assert f'value="{member.pk}"' in form
    assert "Strategic commissioner (decision maker)" in form
    response = client.post(step, {})
    assert response.status_code == 200
    assert "Tick the members who attended" in _text(response)
    response = client.post(step, {"present": [members[n].pk for n in NOT_QUORATE]}, follow=True)
    assert "Attendance recorded. Not quorate: no one present for: Strategic commissioner." in _text(
        response
    )
    meeting.refresh_from_db()
    assert (meeting.status, meeting.quorate) == (MeetingStatus.HELD, False)
    # Twice: refused with the reason (409).
    again = client.post(step, {"present": [members["ben"].pk]})
    assert again.status_code == 409
    assert "its attendance is recorded already" in _text(again)


def test_attendance_before_the_day_is_explained_not_offered(client_for, manager_maya, members):
    meeting = services.arrange(actor=manager_maya, starts_at=at(_today() + timedelta(days=3)))
    page = _text(client_for(manager_maya).get(meeting.get_absolute_url()))
    assert "Record attendance: The meeting is on " in page
    assert reverse("board:meeting_step", args=[meeting.pk, "record-attendance"]) not in page


def test_notes_are_edited_on_their_own_page_and_a_stale_edit_is_refused(
    client_for, manager_maya, not_quorate
):
    client = client_for(manager_maya)
    url = reverse("board:notes", args=[not_quorate.pk])
    page = client.get(url)
    assert "Notes (not quorate: no decisions)" in _text(page)
    version = page.context["form"]["version"].value()
    assert client.post(url, {"notes": "Discussed", "version": version}).status_code == 302
    stale = client.post(url, {"notes": "Mine", "version": version})
    assert stale.status_code == 409
    assert "Someone else saved a change" in _text(stale)
    not_quorate.refresh_from_db()
    assert not_quorate.notes == "Discussed"


def test_an_item_comes_off_the_agenda_before_the_meeting(
    client_for, manager_maya, members, sunrise_house
):
    meeting = services.arrange(actor=manager_maya, starts_at=at(_today() + timedelta(days=9)))
    item = board.add_to_agenda(meeting, sunrise_house, actor=manager_maya)
    client = client_for(manager_maya)
    url = reverse("board:remove_item", args=[meeting.pk, item.pk])
    assert url in _text(client.get(meeting.get_absolute_url()))
    assert client.post(url).status_code == 302
    assert not meeting.agenda.exists()


def test_cancelling_asks_for_the_reason(client_for, board_bea, manager_maya, members):
    meeting = services.arrange(actor=manager_maya, starts_at=at(_today() + timedelta(days=9)))
    client = client_for(board_bea)
    url = reverse("board:meeting_step", args=[meeting.pk, "cancel"])
    assert "Say why the meeting is cancelled" in _text(client.post(url, {"reason": ""}))
    client.post(url, {"reason": "The chair is unwell"})
    page = _text(client.get(meeting.get_absolute_url()))
    assert "Cancelled" in page and "The chair is unwell" in page


# --- Members -------------------------------------------------------------------------------------


def test_a_manager_adds_a_member_and_removes_one(client_for, manager_maya, officer_olivia, members):
    client = client_for(manager_maya)
    page = _text(client.get(reverse("board:members")))
    assert "Bryony Shah" in page and "Adviser" in page
    response = client.post(
        reverse("board:members"),
        {"user": officer_olivia.pk, "kind": "adviser", "role": "quality_manager"},
    )
    assert response.status_code == 302
    assert BoardMember.objects.get(user=officer_olivia).role == "quality_manager"
    url = reverse("board:member_deactivate", args=[members["bryony"].pk])
    assert client.post(url).status_code == 302
    assert "No longer a member" in _text(client.get(reverse("board:members")))


def test_board_members_read_the_members_but_do_not_change_them(client_for, board_bea, members):
    client = client_for(board_bea)
    page = client.get(reverse("board:members"))
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(reverse("board:members"), {}).status_code == 403


# --- Home ----------------------------------------------------------------------------------------


def test_managers_and_board_members_see_the_next_meeting_on_their_home_page(
    client_for, board_bea, officer_olivia, manager_maya, members, sunrise_house
):
    meeting = services.arrange(
        actor=manager_maya, starts_at=at(_today() + timedelta(days=12)), place="Room 4"
    )
    board.add_to_agenda(meeting, sunrise_house, actor=manager_maya)
    page = _text(client_for(board_bea).get("/"))
    assert "Next board meeting" in page
    assert f"{board_pack.when(meeting)}</a> (Room 4): 1 item on the agenda." in page
    assert "Next board meeting" not in _text(client_for(officer_olivia).get("/"))


# --- Provider users ------------------------------------------------------------------------------


def test_provider_users_see_nothing_of_the_board(
    client_for, api_for, provider_pat, manager_maya, quorate, members
):
    services.issue_papers(
        services.arrange(actor=manager_maya, starts_at=at(_today() + timedelta(days=10))),
        actor=manager_maya,
    )
    pack = Document.objects.filter(kind=board_pack.PACK_KIND).first()
    Document.objects.filter(pk=pack.pk).update(status=Document.Status.READY)
    client = client_for(provider_pat)
    item = quorate.agenda.get()
    for url in (
        reverse("board:meetings"),
        reverse("board:arrange"),
        reverse("board:members"),
        quorate.get_absolute_url(),
        reverse("board:notes", args=[quorate.pk]),
        reverse("board:pack", args=[quorate.pk]),
        reverse("board:decide", args=[quorate.pk, item.pk]),
        reverse("board:meeting_step", args=[quorate.pk, "issue-papers"]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.get(pack.get_absolute_url()).status_code == 404
    assert "board" not in _text(client.get("/")).lower()
    api = api_for(provider_pat)
    assert api.get("/api/v1/board-meetings/").status_code == 403
    assert api.get(f"/api/v1/board-meetings/{quorate.pk}/").status_code == 403
    assert api.get(f"/api/v1/board-meetings/{quorate.pk}/pack/").status_code == 403
