"""The demo board for ``seed_demo`` (SPEC §9): its members, so that ``board``, ``board2`` and
``board3`` make a quorum, and three meetings:

- a scheduled meeting four weeks ago, papers issued eight days before, attended by the three:
  quorate, with minutes (the escalation case and revocation demos, which run after this one,
  record their decisions there: ``demo_meetings(context)["quorate"]``);
- a scheduled meeting a week ago, papers issued late, without the strategic commissioner: not
  quorate, with notes and no decisions;
- a meeting next month, planned, papers not yet issued (``demo_meetings(context)["next"]``: put
  cases on its agenda with ``escalation.board.add_to_agenda``).

Every step goes through ``escalation.board_services``. The meetings are made once: a second
run finds them and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from escalation import board_services as services
from escalation.models import (
    BoardMeeting,
    BoardMember,
    BoardRole,
    MeetingKind,
    MeetingStatus,
    MemberKind,
)

# (demo user, kind, role): board, board2 and board3 fill the three required roles between them
# (source 003 Appendix 4 §5); the manager sits as a second quality manager, a decision maker.
MEMBERS = [
    ("board", MemberKind.DECISION_MAKER, BoardRole.HEALTH_SAFEGUARDING),
    ("board2", MemberKind.DECISION_MAKER, BoardRole.STRATEGIC_COMMISSIONER),
    ("board3", MemberKind.ADVISER, BoardRole.QUALITY_MANAGER),
    ("manager", MemberKind.DECISION_MAKER, BoardRole.QUALITY_MANAGER),
]

MINUTES = (
    "Present: Bea Barker (chair), Ben Clarke, Bryony Shah.\n\n"
    "1. Minutes of the last meeting agreed.\n"
    "2. Cases referred from the quality improvement meetings considered; the decisions are "
    "recorded with each case.\n"
    "3. Market risk: two nursing homes in the north of the county are near capacity; "
    "commissioning to report next time."
)
NOTES = (
    "The strategic commissioner sent apologies, so the meeting was not quorate. Those present "
    "agreed to go ahead and discuss the cases without taking decisions.\n\n"
    "The cases on the agenda go to the next quorate meeting."
)


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def seed_board(context) -> None:
    staff = context["staff"]
    made = 0
    for username, kind, role in MEMBERS:
        if not BoardMember.objects.filter(user=staff[username]).exists():
            services.add_member(actor=staff["manager"], user=staff[username], kind=kind, role=role)
            made += 1
    context["created"]["board members"] = made
    if not BoardMeeting.objects.exists():
        _seed_meetings(context)
        context["created"]["board meetings"] = BoardMeeting.objects.count()
    context["board_meetings"] = demo_meetings(context)


def _member(context, username: str) -> BoardMember:
    return BoardMember.objects.get(user=context["staff"][username])


# (days ago, hour, papers issued how many days before, who attended, notes or minutes)
HELD = [
    (28, 10, 8, ("board", "board2", "board3"), MINUTES),  # quorate
    (7, 14, 5, ("board", "board3", "manager"), NOTES),  # no strategic commissioner
]
PLACE = "Committee Room 2, County Hall"


def _seed_meetings(context) -> None:
    today, manager = context["today"], context["staff"]["manager"]
    for days_ago, hour, papers_before, present, notes in HELD:
        held_on = today - timedelta(days=days_ago)
        meeting = services.arrange(
            actor=manager, starts_at=_at(held_on, hour), kind=MeetingKind.SCHEDULED, place=PLACE
        )
        services.issue_papers(
            meeting, actor=manager, now=_at(held_on - timedelta(days=papers_before), 9)
        )
        services.record_attendance(
            meeting,
            actor=manager,
            present=[_member(context, username) for username in present],
            today=held_on,
        )
        services.save_notes(meeting, actor=manager, notes=notes)
    services.arrange(
        actor=manager,
        starts_at=_at(today + timedelta(days=30), 10),
        kind=MeetingKind.SCHEDULED,
        place=PLACE,
    )


def demo_meetings(context=None) -> dict[str, BoardMeeting | None]:
    """The demo's meetings: ``quorate`` (held, where decisions are recorded), ``not_quorate``
    (held, notes only) and ``next`` (planned; None once its day has passed)."""
    held = BoardMeeting.objects.filter(status=MeetingStatus.HELD).order_by("-starts_at", "-pk")
    upcoming = BoardMeeting.objects.filter(
        status=MeetingStatus.PLANNED, starts_at__gte=timezone.now()
    ).order_by("starts_at", "pk")
    return {
        "quorate": held.filter(quorate=True).first(),
        "not_quorate": held.filter(quorate=False).first(),
        "next": upcoming.first(),
    }
