"""Everything people do with the board, with its actor, for pages and the API alike (STYLE habit
1; SPEC §6 "Board", source 003 Appendix 4).

Arranging a meeting, its notes and the membership are plain edits here; the meeting's steps
(issue the papers, record the attendance, cancel) are rows of ``escalation.board_workflows``
applied by ``qaf.workflow``; a decision goes through ``escalation.board.record_decision``.
A refusal is ``Forbidden`` (403) or ``NotNow`` (409) with its reason, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from escalation import board
from escalation.board_workflows import ARRANGERS_ONLY, MEETING
from escalation.models import (
    AgendaItem,
    BoardDecision,
    BoardMeeting,
    BoardMember,
    MeetingKind,
    MeetingStatus,
)
from qaf.concurrency import check_version
from qaf.models import User
from qaf.scoping import can
from qaf.workflow import Forbidden, NotNow, WorkflowError

__all__ = [
    "Forbidden",
    "NotNow",
    "WorkflowError",
    "add_member",
    "arrange",
    "cancel",
    "deactivate_member",
    "decide",
    "issue_papers",
    "item_for_subject",
    "record_attendance",
    "save_notes",
    "take_step",
]

MEMBERS_POLICY = "escalation.boardmember"


def arrange(
    *, actor: User, starts_at: datetime, kind: str = MeetingKind.SCHEDULED, place: str = ""
) -> BoardMeeting:
    """A new meeting, planned: scheduled, or urgent and virtual (source 003 Appendix 4 §5)."""
    if not can(actor, "add", BoardMeeting):
        raise Forbidden(ARRANGERS_ONLY)
    meeting = BoardMeeting(starts_at=starts_at, kind=kind, place=place.strip(), created_by=actor)
    meeting._history_user = actor
    meeting.full_clean()
    meeting.save()
    return meeting


def take_step(meeting: BoardMeeting, action: str, *, actor: User, **params) -> BoardMeeting:
    """Any step of the meeting's table by its name (issue-papers, record-attendance, cancel)."""
    MEETING.apply(meeting, action, actor=actor, **params)
    return meeting


def issue_papers(
    meeting: BoardMeeting, *, actor: User, now: datetime | None = None
) -> BoardMeeting:
    """Issue the papers: the pack PDF to every active member, dated now. Late papers (fewer
    than ``board_papers_days`` days before) are allowed, and say so."""
    return take_step(meeting, "issue-papers", actor=actor, now=now)


def record_attendance(
    meeting: BoardMeeting,
    *,
    actor: User,
    present: Iterable[int | BoardMember],
    today: date | None = None,
) -> BoardMeeting:
    """The members present (ids or members): the meeting is held, quorate or not."""
    return take_step(meeting, "record-attendance", actor=actor, present=list(present), today=today)


def cancel(meeting: BoardMeeting, *, actor: User, reason: str) -> BoardMeeting:
    return take_step(meeting, "cancel", actor=actor, reason=reason)


def save_notes(
    meeting: BoardMeeting, *, actor: User, notes: str, version: object = None
) -> BoardMeeting:
    """The minutes of a quorate meeting, the notes of one that was not (once it is held).
    ``version`` is the one the editor started from: a save since then refuses this one."""
    if not can(actor, "act", BoardMeeting):
        raise Forbidden(ARRANGERS_ONLY)
    with transaction.atomic():
        check_version(meeting, version)
        locked = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != MeetingStatus.HELD:
            raise NotNow("Notes and minutes are written once the meeting has been held.")
        BoardMeeting.objects.filter(pk=locked.pk).update(
            notes=notes.strip(), version=F("version") + 1, updated_at=timezone.now()
        )
        locked.refresh_from_db()
        locked._history_user = actor
        locked.save(update_fields=["notes"])
    meeting.refresh_from_db()
    return meeting


def item_for_subject(
    meeting: BoardMeeting, subject_type: ContentType, subject_id: int
) -> AgendaItem | None:
    return meeting.agenda.filter(subject_type=subject_type, subject_id=subject_id).first()


def decide(
    meeting: BoardMeeting, *, item: AgendaItem, outcome: str, reason: str, actor: User
) -> BoardDecision:
    """The meeting's decision about one item of its agenda: one of the outcomes its subject
    offers now, with the reason. Refused (409, with the reason) at a meeting not held or not
    quorate, for an item already decided at this meeting, or an outcome not offered."""
    if not can(actor, "decide", BoardMeeting):
        raise Forbidden("Only board members and managers record the board's decisions.")
    if item.meeting_id != meeting.pk:
        raise NotNow("That item is not on this meeting's agenda.")
    with transaction.atomic():
        # The meeting first, as record_decision locks it: one decision per item, whoever
        # clicks first.
        locked = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
        refusal = board.decision_refusal(locked)
        if refusal:
            raise NotNow(refusal)
        subject = item.subject
        title = board.subject_title(subject)
        earlier = (
            BoardDecision.objects.filter(
                meeting=locked, subject_type_id=item.subject_type_id, subject_id=item.subject_id
            )
            .select_related("recorded_by")
            .first()
        )
        if earlier is not None:
            label = board.outcome_label(earlier.outcome, board.subject_outcomes(subject))
            raise NotNow(
                f"The meeting's decision about {title} is recorded already: {label.lower()} "
                f"(recorded by {earlier.recorded_by})."
            )
        outcomes = board.subject_outcomes(subject)
        if outcome not in dict(outcomes):
            offered = "; ".join(label for _, label in outcomes) or "none"
            raise NotNow(
                f"“{outcome}” is not an outcome the board may decide about {title} now. "
                f"The outcomes: {offered}."
            )
        if not (reason or "").strip():
            raise NotNow("Give the reason for the decision.")
        return board.record_decision(
            locked, subject=subject, outcome=outcome, reason=reason, actor=actor
        )


# --- Members -------------------------------------------------------------------------------------


def add_member(*, actor: User, user: User, kind: str, role: str) -> BoardMember:
    """Make ``user`` a member with this kind and role, or change an existing member's (and
    make them active again)."""
    if not can(actor, "change", MEMBERS_POLICY):
        raise Forbidden("Only quality managers and the administrator change the board's members.")
    if user.is_provider_user or not user.is_active:
        raise NotNow("Board members are council or health staff with an active account.")
    with transaction.atomic():
        member = BoardMember.objects.select_for_update().filter(user=user).first()
        if member is None:
            member = BoardMember(user=user)
        member.kind, member.role, member.active = kind, role, True
        member._history_user = actor
        member.full_clean(validate_unique=False)
        member.save()
    return member


def deactivate_member(member: BoardMember, *, actor: User) -> BoardMember:
    """A member who no longer sits on the board: kept in past meetings' attendance, left out
    of the next."""
    if not can(actor, "change", MEMBERS_POLICY):
        raise Forbidden("Only quality managers and the administrator change the board's members.")
    with transaction.atomic():
        updated = BoardMember.objects.filter(pk=member.pk, active=True).update(active=False)
        if not updated:
            raise NotNow(f"{member.user} is not an active member.")
        member.refresh_from_db()
        member._history_user = actor
        member.save(update_fields=["active"])
    return member
