"""A board meeting as a workflow table (qaf.workflow; SPEC §6 "Board", source 003 Appendix 4).

    planned --issue-papers--> planned (papers issued: the pack PDF, the members told)
    planned --record-attendance--> held (who was there; quorate or not, fixed then)
    planned --cancel--> cancelled (with the reason)

Issuing the papers fewer than ``board_papers_days`` days before the meeting is allowed, with a
warning (``escalation.board.papers_notice``): the terms of reference ask for a week, and an
urgent meeting cannot give one. The papers may be issued again while the meeting is planned
(an item added late): each issue is a new pack, and the meeting keeps the date of the last.

Recording the attendance holds the meeting: an Attendance row for every active member, present
or not, with their kind and role on the day, and whether the members present made a quorum.
A non-quorate meeting keeps notes and takes no decisions (``escalation.board.record_decision``).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format

from escalation import board, board_pack
from escalation.models import Attendance, BoardMeeting, BoardMember, MeetingStatus
from qaf import notifications
from qaf.workflow import Step, Transition, Workflow

ARRANGERS_ONLY = "Only board members and managers arrange the board's business."
S = MeetingStatus
PAPERS_NOTICE = notifications.register_kind("board_papers", "Board papers issued").name


def _present_ids(step: Step) -> set[int]:
    """The members ticked as present: ids, or the members themselves."""
    return {getattr(m, "pk", m) for m in step.params.get("present") or ()}


def _on(meeting: BoardMeeting) -> str:
    return date_format(timezone.localtime(meeting.starts_at), "j F Y")


# --- Facts ---------------------------------------------------------------------------------------


def _active_members(meeting: BoardMeeting) -> list[BoardMember]:
    return list(BoardMember.objects.filter(active=True).select_related("user"))


# --- Guards and checks ---------------------------------------------------------------------------


def _the_day_has_come(step: Step):
    day = timezone.localdate(step.obj.starts_at)
    if day > step.today:
        return f"The meeting is on {_on(step.obj)}: record who attended on the day or after it."
    return None


def _has_members(step: Step):
    if not step.facts["active_members"]:
        return "The board has no active members: add them on the members page first."
    return None


def _someone_present(step: Step):
    if not _present_ids(step):
        return (
            "No one is ticked as present: tick the members who attended, or cancel the meeting "
            "if it did not take place."
        )
    return None


def _present_are_members(step: Step):
    active = {m.pk for m in step.facts["active_members"]}
    strangers = _present_ids(step) - active
    if strangers:
        return "Only active members of the board are recorded as present: look at the list again."
    return None


def _reason_given(step: Step):
    return None if step.text("reason") else "Say why the meeting is cancelled."


# --- Changes and effects -------------------------------------------------------------------------


def _papers_issued(step: Step) -> dict:
    return {
        "papers_issued_at": step.params.get("now") or timezone.now(),
        "papers_issued_by": step.actor,
    }


def _issue_pack(step: Step) -> None:
    step.result = board_pack.issue_pack(step.obj, actor=step.actor)


def _tell_members(step: Step) -> None:
    """Each active member's notice (home page, then email): the papers are out. Once per
    member and meeting date; issuing again does not tell them twice."""
    meeting = step.obj
    for member in step.facts["active_members"]:
        if member.user.is_active:
            notifications.notify(
                member.user,
                PAPERS_NOTICE,
                about=meeting,
                due=timezone.localdate(meeting.starts_at),
                message=f"Board papers issued: {meeting}",
            )


def _quorum(step: Step) -> dict:
    present = _present_ids(step)
    roles = [m.role for m in step.facts["active_members"] if m.pk in present]
    step.result = board.quorum(roles, board.required_roles())
    return {"quorate": step.result.quorate}


def _store_attendance(step: Step) -> None:
    present = _present_ids(step)
    for member in step.facts["active_members"]:
        row = Attendance(
            meeting=step.obj,
            member=member,
            present=member.pk in present,
            kind=member.kind,
            role=member.role,
        )
        row._history_user = step.actor
        row.save()


def _state_reason(what: str):
    def reason(meeting: BoardMeeting) -> str:
        if meeting.status == S.HELD:
            return f"The meeting has been held: {what}."
        return f"The meeting was cancelled: {what}."

    return reason


MEETING = Workflow(
    BoardMeeting,
    name="board meeting",
    url_name="board:meeting_step",
    forbidden=ARRANGERS_ONLY,
    facts={"active_members": _active_members},
    tags={S.PLANNED: "blue", S.HELD: "green", S.CANCELLED: "grey"},
    transitions=[
        Transition(
            "issue-papers",
            source={S.PLANNED},
            permission="act",
            changes=_papers_issued,
            effects=(_issue_pack, _tell_members),
            state_reason=_state_reason("its papers were issued before it"),
            title="Issue the papers",
            label=lambda m: "Issue the papers again" if m.papers_issued_at else "Issue the papers",
            button="Issue the papers",
            style="primary",
        ),
        Transition(
            "record-attendance",
            source={S.PLANNED},
            target=S.HELD,
            permission="act",
            guards=(_the_day_has_come, _has_members),
            checks=(_someone_present, _present_are_members),
            changes=_quorum,
            effects=(_store_attendance,),
            state_reason=_state_reason("its attendance is recorded already"),
            title="Record attendance",
            button="Save the attendance",
            style="primary",
            explain=True,
        ),
        Transition(
            "cancel",
            source={S.PLANNED},
            target=S.CANCELLED,
            permission="act",
            checks=(_reason_given,),
            changes=lambda step: {"cancel_reason": step.text("reason")},
            state_reason=_state_reason("it can no longer be cancelled"),
            title="Cancel the meeting",
            button="Cancel the meeting",
            style="warning",
        ),
    ],
)
