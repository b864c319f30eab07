"""The board's agenda as the meeting page and the board pack show it, and the pack itself (SPEC
§7 "board pack"; source 003 Appendix 4: "a record kept of all reports/documents considered").

``agenda_rows(meeting)`` reads the agenda once: each item's subject, its title, papers and the
outcomes it offers now (``escalation.board`` subject helpers), the board's earlier decisions
about it (decisions of earlier meetings) and this meeting's own.

``issue_pack(meeting, actor=...)`` issues the pack as a council document through
``qaf.pdf.issue_document`` (no provider: staff only, never shown to provider users), addressed
to the active members. What it says is copied into the document when it is issued (the cover,
the agenda, each item's papers and earlier decisions, the papers' date and the warning when
they are late), so the PDF rendered later by the worker is the pack as it was issued, whatever
changes afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from escalation import board
from escalation.models import (
    AgendaItem,
    BoardDecision,
    BoardMeeting,
    BoardMember,
    BoardRole,
    MeetingStatus,
    MemberKind,
)
from qaf.models import Document
from qaf.pdf import issue_document

PACK_KIND = "board_pack"
PACK_TEMPLATE = "escalation/board/pack_pdf.html"


@dataclass
class DecisionRow:
    decision: BoardDecision
    outcome: str  # in words
    meeting_title: str
    on: str  # the meeting's date, in words

    def as_json(self) -> dict:
        d = self.decision
        return {
            "meeting": self.meeting_title,
            "on": self.on,
            "outcome": self.outcome,
            "reason": d.reason,
            "recorded_by": _name(d.recorded_by),
            "used": bool(d.used_at),
        }


@dataclass
class AgendaRow:
    item: AgendaItem
    subject: object
    title: str
    url: str
    papers: list[tuple[str, str]]
    outcomes: list[tuple[str, str]]
    previous: list[DecisionRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)  # this meeting's


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _day(value) -> str:
    return date_format(timezone.localtime(value), "j F Y")


def when(meeting: BoardMeeting) -> str:
    """ "12 March 2027 at 10:00"."""
    local = timezone.localtime(meeting.starts_at)
    return f"{date_format(local, 'j F Y')} at {local:%H:%M}"


def _decision_row(decision: BoardDecision, outcomes) -> DecisionRow:
    return DecisionRow(
        decision,
        board.outcome_label(decision.outcome, outcomes),
        str(decision.meeting),
        _day(decision.meeting.starts_at),
    )


def agenda_rows(meeting: BoardMeeting) -> list[AgendaRow]:
    """The meeting's agenda, in order, with what the page and the pack show of each item."""
    items = list(meeting.agenda.select_related("subject_type").prefetch_related("subject"))
    keys = {(i.subject_type_id, i.subject_id) for i in items}
    decided = defaultdict(list)
    if keys:
        about = Q()
        for type_id, subject_id in keys:
            about |= Q(subject_type_id=type_id, subject_id=subject_id)
        decisions = (
            BoardDecision.objects.filter(about)
            .filter(Q(meeting=meeting) | Q(meeting__starts_at__lt=meeting.starts_at))
            .select_related("meeting", "recorded_by")
            .order_by("meeting__starts_at", "recorded_at", "pk")
        )
        for decision in decisions:
            decided[(decision.subject_type_id, decision.subject_id)].append(decision)
    rows = []
    for item in items:
        subject = item.subject
        outcomes = board.subject_outcomes(subject)
        row = AgendaRow(
            item,
            subject,
            board.subject_title(subject),
            board.subject_url(subject) if subject is not None else "",
            board.subject_papers(subject),
            outcomes,
        )
        for decision in decided[(item.subject_type_id, item.subject_id)]:
            target = row.decisions if decision.meeting_id == meeting.pk else row.previous
            target.append(_decision_row(decision, outcomes))
        rows.append(row)
    return rows


def members_of(meeting: BoardMeeting) -> list[dict]:
    """Who sits at the meeting: the attendance once it is recorded, else the active members."""
    if meeting.status == MeetingStatus.HELD:
        rows = meeting.attendance.select_related("member__user").order_by(
            "-present", "member__user__last_name", "member__user__first_name"
        )
        return [_member(a.member, a.kind, a.role, a.present) for a in rows]
    members = BoardMember.objects.filter(active=True).select_related("user")
    return [_member(m, m.kind, m.role, None) for m in members]


def _member(member: BoardMember, kind: str, role: str, present: bool | None) -> dict:
    return {
        "id": member.pk,
        "name": _name(member.user),
        "kind": str(MemberKind(kind).label),
        "role": str(BoardRole(role).label),
        "present": present,
    }


def compose(meeting: BoardMeeting) -> dict:
    """The pack's text, as plain values (stored with the document)."""
    notice = board.meeting_papers_notice(meeting)
    return {
        "title": f"Board pack: {meeting}",
        "meeting": str(meeting),
        "kind": meeting.get_kind_display(),
        "when": when(meeting),
        "place": meeting.place,
        "members": members_of(meeting),
        "required_roles": sorted(
            str(dict(BoardRole.choices).get(r, r)) for r in board.required_roles()
        ),
        "papers": {
            "issued": _day(meeting.papers_issued_at) if meeting.papers_issued_at else "",
            "issued_by": _name(meeting.papers_issued_by),
            "late": notice.late,
            "notice": notice.text,
            "days": board.papers_days(),
        },
        "items": [
            {
                "order": row.item.order,
                "title": row.title,
                "papers": [[heading, text] for heading, text in row.papers],
                "previous": [d.as_json() for d in row.previous],
            }
            for row in agenda_rows(meeting)
        ],
    }


def recipients(meeting: BoardMeeting) -> list[str]:
    return list(
        BoardMember.objects.filter(active=True, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def issue_pack(meeting: BoardMeeting, *, actor) -> Document:
    """Issue the pack PDF (rendered by the worker once the transaction commits)."""
    pack = compose(meeting)
    return issue_document(
        meeting,
        kind=PACK_KIND,
        title=pack["title"],
        template=PACK_TEMPLATE,
        actor=actor,
        service=None,
        provider=None,
        recipients=recipients(meeting),
        context={"pack": pack},
        visible_to_provider=False,
    )


def packs_of(meeting: BoardMeeting):
    """The meeting's packs, newest first."""
    return Document.objects.filter(
        source_type=ContentType.objects.get_for_model(BoardMeeting),
        source_id=meeting.pk,
        kind=PACK_KIND,
    ).select_related("issued_by")
