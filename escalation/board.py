"""The board's rules (source 003 Appendix 4 §5): the quorum, as a pure function, and the one way
to record a decision (only at a quorate meeting) and to use it (once, by the step it
authorises).

    quorum(present, required_roles) -> Quorum(quorate, reason)
    record_decision(meeting, subject=case, outcome="rectification_notice", reason=..., actor=...)
    decision_for(case, "rectification_notice") -> the unused decision, or None
    use_decision(decision, actor=...)  # inside the step's transaction; refuses a used one
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from escalation.models.board import (
    AgendaItem,
    BoardDecision,
    BoardMeeting,
    BoardRole,
    MeetingStatus,
)
from qaf.workflow import Forbidden, NotNow

MINIMUM_PRESENT = 3  # source 003 Appendix 4 §5: "not less than three members"


class BoardSubject(Protocol):
    """What the board can consider (an escalation case, a revocation, a concern-level
    proposal): its model gives these, and the board's pages, pack and decisions use them."""

    pk: int

    def board_title(self) -> str:
        """One line: the service and what is asked of the board."""

    def board_papers(self) -> list[tuple[str, str]]:
        """The case papers, as (heading, text) sections, for the meeting page and the pack."""

    def board_outcomes(self) -> list[tuple[str, str]]:
        """The outcomes the board may decide about it now, as (outcome, label)."""


def add_to_agenda(meeting: BoardMeeting, subject: BoardSubject, *, actor) -> AgendaItem:
    """Put ``subject`` on ``meeting``'s agenda (once), last."""
    from qaf.scoping import can

    if not can(actor, "act", BoardMeeting):
        raise Forbidden("Only board members and managers arrange the board's business.")
    with transaction.atomic():
        meeting = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status != MeetingStatus.PLANNED:
            raise NotNow("Items are added to a meeting before it is held.")
        subject_type = ContentType.objects.get_for_model(type(subject))
        item, created = AgendaItem.objects.get_or_create(
            meeting=meeting,
            subject_type=subject_type,
            subject_id=subject.pk,
            defaults={"added_by": actor, "order": meeting.agenda.count() + 1},
        )
        if not created:
            raise NotNow("It is on this meeting's agenda already.")
    return item


def required_roles() -> frozenset[str]:
    """The roles a quorum needs one of each of (the ``QAF_BOARD_REQUIRED_ROLES`` setting)."""
    return frozenset(
        getattr(
            settings,
            "QAF_BOARD_REQUIRED_ROLES",
            (
                BoardRole.HEALTH_SAFEGUARDING,
                BoardRole.QUALITY_MANAGER,
                BoardRole.STRATEGIC_COMMISSIONER,
            ),
        )
    )


@dataclass(frozen=True)
class Quorum:
    quorate: bool
    reason: str


def quorum(present_roles: Iterable[str], required: Iterable[str]) -> Quorum:
    """At least three members present, one of them in each required role.

    ``present_roles`` is the role of each member present (one entry per person)."""
    present = list(present_roles)
    required = sorted(set(required))
    labels = dict(BoardRole.choices)
    missing = [labels.get(role, role) for role in required if role not in present]
    problems = []
    if len(present) < MINIMUM_PRESENT:
        problems.append(
            f"{len(present)} member{'s' if len(present) != 1 else ''} present, at least "
            f"{MINIMUM_PRESENT} are needed"
        )
    if missing:
        problems.append("no one present for: " + ", ".join(missing))
    if problems:
        return Quorum(False, "Not quorate: " + "; ".join(problems) + ".")
    return Quorum(True, f"Quorate: {len(present)} members present, every required role filled.")


def meeting_quorum(meeting: BoardMeeting) -> Quorum:
    present = meeting.attendance.filter(present=True).values_list("role", flat=True)
    return quorum(present, required_roles())


def record_decision(
    meeting: BoardMeeting, *, subject, outcome: str, reason: str, actor
) -> BoardDecision:
    """A decision of ``meeting`` about ``subject``: refused (409) unless the meeting was held
    and quorate, and (403) unless ``actor`` may record the board's decisions."""
    from qaf.scoping import can

    if not can(actor, "decide", BoardMeeting):
        raise Forbidden("Only board members and managers record the board's decisions.")
    if not reason.strip():
        raise NotNow("Give the reason for the decision.")
    with transaction.atomic():
        meeting = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status != MeetingStatus.HELD:
            raise NotNow("Decisions are recorded once the meeting has been held.")
        if not meeting.quorate:
            raise NotNow(
                "The meeting was not quorate: it keeps notes, and takes no decisions "
                f"({meeting_quorum(meeting).reason[len('Not quorate: ') :]})"
            )
        decision = BoardDecision(
            meeting=meeting,
            subject_type=ContentType.objects.get_for_model(type(subject)),
            subject_id=subject.pk,
            outcome=outcome,
            reason=reason.strip(),
            recorded_by=actor,
        )
        decision._history_user = actor
        decision.full_clean()
        decision.save()
    return decision


def decision_for(subject, outcome: str) -> BoardDecision | None:
    """The quorate meeting's decision about ``subject`` with ``outcome`` that no step has used
    yet, or None."""
    return (
        BoardDecision.objects.filter(
            subject_type=ContentType.objects.get_for_model(type(subject)),
            subject_id=subject.pk,
            outcome=outcome,
            used_at__isnull=True,
            meeting__quorate=True,
        )
        .select_related("meeting")
        .order_by("recorded_at", "pk")
        .first()
    )


def use_decision(decision: BoardDecision, *, actor) -> BoardDecision:
    """Mark ``decision`` used by the step it authorised: a conditional update, so two steps at
    once cannot both use it (call inside the step's transaction)."""
    updated = BoardDecision.objects.filter(pk=decision.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not updated:
        raise NotNow("The board's decision has been acted on already.")
    decision.refresh_from_db()
    decision._history_user = actor
    decision.save(update_fields=["used_at"])
    return decision
