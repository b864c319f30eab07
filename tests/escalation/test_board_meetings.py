"""Board meetings through their services (issue 11 item 2; SPEC §6 "Board"; source 003
Appendix 4): arranging, the papers (the pack, the members told, late papers warned of), the
attendance (the meeting held, quorate or not, with the roles on the day), cancelling, notes or
minutes, the agenda, decisions (only at a quorate meeting, naming the subject, the outcome and
who decided) and the membership. The story is in tests/escalation/board_support.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from escalation import board, board_pack
from escalation import board_services as services
from escalation.models import (
    Attendance,
    BoardDecision,
    BoardMember,
    BoardRole,
    MeetingKind,
    MeetingStatus,
    MemberKind,
)
from qaf.concurrency import StaleEdit
from qaf.models import Document, Notification
from qaf.workflow import Forbidden, NotNow
from tests.escalation.board_support import (
    NOT_QUORATE,
    QUORATE,
    at,
    held_meeting,
    seat_members,
    services_as_subjects,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _services_stand_for_cases():
    with services_as_subjects():
        yield


@pytest.fixture
def members(board_bea, manager_maya):
    return seat_members(bea=board_bea, maya=manager_maya)


@pytest.fixture
def planned(manager_maya, members):
    """Next week's meeting, arranged by Maya."""
    return services.arrange(
        actor=manager_maya, starts_at=at(TODAY() + timedelta(days=7)), place="Room 1"
    )


# --- Arranging -----------------------------------------------------------------------------------


def test_managers_and_board_members_arrange_meetings_officers_do_not(
    manager_maya, board_bea, officer_olivia, provider_pat
):
    urgent = services.arrange(
        actor=board_bea, starts_at=at(TODAY()), kind=MeetingKind.URGENT, place="Teams call"
    )
    assert (urgent.status, urgent.kind, urgent.created_by) == ("planned", "urgent", board_bea)
    assert str(urgent).startswith("Urgent (virtual) board meeting, ")
    for who in (officer_olivia, provider_pat):
        with pytest.raises(Forbidden):
            services.arrange(actor=who, starts_at=at(TODAY()))


def test_a_meeting_date_must_be_plausible(manager_maya):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Enter a date between"):
        services.arrange(actor=manager_maya, starts_at=at(TODAY().replace(year=1900)))


# --- Papers --------------------------------------------------------------------------------------


def test_issuing_the_papers_issues_a_staff_only_pack_to_the_members(planned, manager_maya, members):
    services.issue_papers(planned, actor=manager_maya)
    planned.refresh_from_db()
    assert planned.papers_issued_by == manager_maya
    assert planned.status == MeetingStatus.PLANNED  # issuing the papers does not move it
    pack = board_pack.packs_of(planned).get()
    assert (pack.provider, pack.service, pack.visible_to_provider) == (None, None, False)
    assert pack.kind == "board_pack" and pack.template == board_pack.PACK_TEMPLATE
    assert sorted(pack.recipients) == sorted(m.user.email for m in members.values())
    # Each member is told (home page and email), once.
    told = Notification.objects.filter(kind="board_papers", object_id=planned.pk)
    assert set(told.values_list("user_id", flat=True)) == {m.user_id for m in members.values()}
    # Only 7 days before: in time.
    assert not board.meeting_papers_notice(planned).late


def test_late_papers_are_issued_with_a_warning_and_again_as_a_new_pack(
    planned, manager_maya, members
):
    six_days_before = planned.starts_at - timedelta(days=6)
    services.issue_papers(planned, actor=manager_maya, now=six_days_before)
    planned.refresh_from_db()
    notice = board.meeting_papers_notice(planned)
    assert notice.late and "only 6 days before the meeting" in notice.text
    pack = board_pack.packs_of(planned).get()
    assert pack.context["pack"]["papers"]["late"] is True
    assert "only 6 days before" in pack.context["pack"]["papers"]["notice"]

    services.issue_papers(planned, actor=manager_maya)
    assert board_pack.packs_of(planned).count() == 2
    assert Notification.objects.filter(kind="board_papers").count() == len(members)


def test_papers_are_issued_only_before_the_meeting_is_held(manager_maya, members):
    meeting = held_meeting(members, QUORATE, by=manager_maya, day=TODAY())
    with pytest.raises(NotNow, match="The meeting has been held"):
        services.issue_papers(meeting, actor=manager_maya)


# --- Attendance and the quorum -------------------------------------------------------------------


def test_attendance_holds_the_meeting_with_everyones_role_on_the_day(manager_maya, members):
    meeting = held_meeting(members, QUORATE, by=manager_maya, day=TODAY())
    assert (meeting.status, meeting.quorate) == (MeetingStatus.HELD, True)
    rows = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    assert set(rows) == {m.pk for m in members.values()}  # the absent too
    assert {name for name, m in members.items() if rows[m.pk].present} == set(QUORATE)
    assert rows[members["bryony"].pk].kind == MemberKind.ADVISER
    assert board.meeting_quorum(meeting).reason == (
        "Quorate: 3 members present, every required role filled."
    )
    assert meeting.notes_label == "Minutes"

    # Ben moves on to finance: the meeting keeps him as its strategic commissioner.
    services.add_member(
        actor=manager_maya,
        user=members["ben"].user,
        kind=MemberKind.ADVISER,
        role=BoardRole.FINANCE,
    )
    assert Attendance.objects.get(meeting=meeting, member=members["ben"]).role == (
        BoardRole.STRATEGIC_COMMISSIONER
    )
    assert board.meeting_quorum(meeting).quorate


def test_three_present_without_a_strategic_commissioner_are_not_quorate(manager_maya, members):
    meeting = held_meeting(members, NOT_QUORATE, by=manager_maya, day=TODAY())
    assert (meeting.status, meeting.quorate) == (MeetingStatus.HELD, False)
    assert board.meeting_quorum(meeting).reason == (
        "Not quorate: no one present for: Strategic commissioner."
    )
    assert meeting.notes_label == "Notes (not quorate: no decisions)"


def test_attendance_waits_for_the_day_and_needs_someone_present(planned, manager_maya, members):
    with pytest.raises(NotNow, match="record who attended on the day or after it"):
        services.record_attendance(planned, actor=manager_maya, present=[members["bea"]])
    on_the_day = planned.starts_at.date()
    with pytest.raises(NotNow, match="No one is ticked as present"):
        services.record_attendance(planned, actor=manager_maya, present=[], today=on_the_day)
    services.record_attendance(
        planned, actor=manager_maya, present=[members["bea"]], today=on_the_day
    )
    with pytest.raises(NotNow, match="its attendance is recorded already"):
        services.record_attendance(
            planned, actor=manager_maya, present=[members["ben"]], today=on_the_day
        )
    assert Attendance.objects.filter(meeting=planned).count() == len(members)


def test_a_former_member_is_not_at_the_next_meeting(planned, manager_maya, members):
    services.deactivate_member(members["bryony"], actor=manager_maya)
    with pytest.raises(NotNow, match="Only active members"):
        services.record_attendance(
            planned, actor=manager_maya, present=[members["bryony"]], today=TODAY() + timedelta(7)
        )
    services.record_attendance(
        planned, actor=manager_maya, present=[members["bea"]], today=TODAY() + timedelta(7)
    )
    assert not Attendance.objects.filter(member=members["bryony"]).exists()


def test_cancelling_needs_a_reason_and_ends_the_meeting(planned, manager_maya, officer_olivia):
    with pytest.raises(Forbidden):
        services.cancel(planned, actor=officer_olivia, reason="Clash")
    with pytest.raises(NotNow, match="Say why"):
        services.cancel(planned, actor=manager_maya, reason="  ")
    services.cancel(planned, actor=manager_maya, reason="Clashes with the budget meeting")
    planned.refresh_from_db()
    assert planned.status == MeetingStatus.CANCELLED
    assert planned.cancel_reason == "Clashes with the budget meeting"
    with pytest.raises(NotNow, match="The meeting was cancelled"):
        services.issue_papers(planned, actor=manager_maya)


# --- Notes and minutes ---------------------------------------------------------------------------


def test_notes_are_written_once_held_and_a_stale_edit_is_refused(planned, manager_maya, members):
    with pytest.raises(NotNow, match="once the meeting has been held"):
        services.save_notes(planned, actor=manager_maya, notes="Early")
    services.record_attendance(
        planned, actor=manager_maya, present=[members["bea"]], today=TODAY() + timedelta(7)
    )
    planned.refresh_from_db()
    seen = planned.version
    services.save_notes(planned, actor=manager_maya, notes="Discussed, no decisions", version=seen)
    with pytest.raises(StaleEdit):
        services.save_notes(planned, actor=manager_maya, notes="Mine", version=seen)
    planned.refresh_from_db()
    assert planned.notes == "Discussed, no decisions"
    assert planned.history.first().history_user == manager_maya


# --- The agenda ----------------------------------------------------------------------------------


def test_items_come_off_the_agenda_before_the_meeting_and_the_rest_move_up(
    planned, manager_maya, sunrise_house, sunrise_lodge, oak_lodge_home
):
    items = [
        board.add_to_agenda(planned, s, actor=manager_maya)
        for s in (sunrise_house, sunrise_lodge, oak_lodge_home)
    ]
    board.remove_from_agenda(items[0], actor=manager_maya)
    assert [(i.order, i.subject) for i in planned.agenda.all()] == [
        (1, sunrise_lodge),
        (2, oak_lodge_home),
    ]
    rows = board_pack.agenda_rows(planned)
    assert [r.title for r in rows] == [
        "Sunrise Lodge: escalation to the board",
        "Oak Lodge: escalation to the board",
    ]
    assert rows[0].papers[0][0] == "Headline concerns"
    assert [o for o, _ in rows[0].outcomes] == ["rectification_notice", "close"]


def test_a_subject_without_the_protocol_or_a_registration_is_shown_plainly(
    planned, manager_maya, sunrise
):
    board.add_to_agenda(planned, sunrise, actor=manager_maya)
    row = board_pack.agenda_rows(planned)[0]
    assert (row.title, row.papers, row.outcomes) == ("Sunrise Care Ltd", [], [])


# --- Decisions -----------------------------------------------------------------------------------


def test_no_decision_at_a_meeting_that_was_not_quorate(
    manager_maya, board_bea, members, sunrise_house
):
    meeting = held_meeting(
        members, NOT_QUORATE, by=manager_maya, day=TODAY(), subjects=[sunrise_house]
    )
    item = meeting.agenda.get()
    for who in (manager_maya, board_bea):
        with pytest.raises(NotNow) as refused:
            services.decide(meeting, item=item, outcome="close", reason="Improved", actor=who)
        assert refused.value.reason == (
            "The meeting was not quorate: it keeps notes, and takes no decisions (no one present "
            "for: Strategic commissioner.)"
        )
    with pytest.raises(NotNow, match="not quorate"):
        board.record_decision(
            meeting, subject=sunrise_house, outcome="close", reason="x", actor=manager_maya
        )
    assert not BoardDecision.objects.exists()


def test_a_decision_names_the_subject_the_outcome_and_who_recorded_it(
    manager_maya, board_bea, officer_olivia, members, sunrise_house
):
    meeting = held_meeting(members, QUORATE, by=manager_maya, day=TODAY(), subjects=[sunrise_house])
    item = meeting.agenda.get()
    with pytest.raises(Forbidden):
        services.decide(meeting, item=item, outcome="close", reason="x", actor=officer_olivia)
    with pytest.raises(NotNow, match="not an outcome the board may decide about Sunrise House"):
        services.decide(meeting, item=item, outcome="terminate", reason="x", actor=board_bea)
    decision = services.decide(
        meeting,
        item=item,
        outcome="rectification_notice",
        reason="No improvement since the QIM",
        actor=board_bea,
    )
    assert (decision.subject, decision.outcome, decision.recorded_by, decision.meeting) == (
        sunrise_house,
        "rectification_notice",
        board_bea,
        meeting,
    )
    assert board.decision_for(sunrise_house, "rectification_notice") == decision
    # One decision per item at a meeting.
    with pytest.raises(NotNow, match="is recorded already: issue a rectification notice"):
        services.decide(meeting, item=item, outcome="close", reason="x", actor=manager_maya)
    # The same decision recorded directly is refused with who recorded it.
    with pytest.raises(NotNow, match="Bea .* recorded this decision of the meeting already"):
        board.record_decision(
            meeting,
            subject=sunrise_house,
            outcome="rectification_notice",
            reason="x",
            actor=manager_maya,
        )


def test_a_planned_meeting_takes_no_decision(planned, manager_maya, sunrise_house):
    item = board.add_to_agenda(planned, sunrise_house, actor=manager_maya)
    with pytest.raises(NotNow, match="once the meeting has been held"):
        services.decide(planned, item=item, outcome="close", reason="x", actor=manager_maya)


def test_earlier_decisions_about_an_item_come_with_it(manager_maya, members, sunrise_house):
    first = held_meeting(
        members,
        QUORATE,
        by=manager_maya,
        day=TODAY() - timedelta(days=60),
        subjects=[sunrise_house],
    )
    services.decide(
        first,
        item=first.agenda.get(),
        outcome="rectification_notice",
        reason="Medicines errors continue",
        actor=manager_maya,
    )
    second = services.arrange(actor=manager_maya, starts_at=at(TODAY() + timedelta(days=10)))
    board.add_to_agenda(second, sunrise_house, actor=manager_maya)
    row = board_pack.agenda_rows(second)[0]
    assert [(d.outcome, d.decision.reason) for d in row.previous] == [
        ("Issue a rectification notice", "Medicines errors continue")
    ]
    assert row.decisions == []


# --- Members -------------------------------------------------------------------------------------


def test_managers_and_the_administrator_keep_the_membership(
    manager_maya, admin_alex, officer_olivia, board_bea, provider_pat
):
    member = services.add_member(
        actor=admin_alex,
        user=officer_olivia,
        kind=MemberKind.ADVISER,
        role=BoardRole.QUALITY_MANAGER,
    )
    again = services.add_member(
        actor=manager_maya,
        user=officer_olivia,
        kind=MemberKind.DECISION_MAKER,
        role=BoardRole.OTHER,
    )
    assert again.pk == member.pk and (again.kind, again.role) == ("decision_maker", "other")
    for who in (board_bea, officer_olivia):
        with pytest.raises(Forbidden):
            services.add_member(
                actor=who, user=manager_maya, kind=MemberKind.ADVISER, role=BoardRole.OTHER
            )
    with pytest.raises(NotNow, match="council or health staff"):
        services.add_member(
            actor=manager_maya, user=provider_pat, kind=MemberKind.ADVISER, role=BoardRole.OTHER
        )
    services.deactivate_member(member, actor=manager_maya)
    with pytest.raises(NotNow, match="is not an active member"):
        services.deactivate_member(member, actor=manager_maya)
    assert not BoardMember.objects.get(pk=member.pk).active
    # Added again: active once more.
    services.add_member(
        actor=manager_maya, user=officer_olivia, kind=MemberKind.ADVISER, role=BoardRole.OTHER
    )
    assert BoardMember.objects.get(pk=member.pk).active


def test_the_pack_document_is_never_a_providers(planned, manager_maya, provider_pat):
    services.issue_papers(planned, actor=manager_maya)
    pack = board_pack.packs_of(planned).get()
    Document.objects.filter(pk=pack.pk).update(status=Document.Status.READY)
    assert not Document.objects.visible_to(provider_pat).filter(pk=pack.pk).exists()
    assert Document.objects.visible_to(manager_maya).filter(pk=pack.pk).exists()
