"""Suspensions and their appeals (SPEC §6, source 000 §8, 003 §2.5-2.6); the memo, concern
levels, escalation cases and the board arrive in modules of their own beside them."""

from escalation.models.board import (
    AgendaItem,
    Attendance,
    BoardDecision,
    BoardMeeting,
    BoardMember,
    BoardRole,
    MeetingKind,
    MeetingStatus,
    MemberKind,
)
from escalation.models.case import (
    BOARD_DECIDES,
    CLOCK_STAGES,
    LADDER,
    OPEN_STAGES,
    CaseMove,
    ContactKind,
    EscalationCase,
    Stage,
)
from escalation.models.concern import (
    ConcernDecision,
    ConcernLevel,
    ConcernSuggestion,
    DecisionKind,
    Level,
    SuggestionStatus,
)
from escalation.models.memo import MemoIssue
from escalation.models.suspension import (
    IN_FORCE,
    OPEN_STATES,
    Appeal,
    AppealStatus,
    Restriction,
    Suspension,
    SuspensionReason,
    SuspensionStatus,
)

__all__ = [
    "BOARD_DECIDES",
    "CLOCK_STAGES",
    "LADDER",
    "OPEN_STAGES",
    "CaseMove",
    "ContactKind",
    "EscalationCase",
    "Stage",
    "AgendaItem",
    "Attendance",
    "BoardDecision",
    "BoardMeeting",
    "BoardMember",
    "BoardRole",
    "MeetingKind",
    "MeetingStatus",
    "MemberKind",
    "IN_FORCE",
    "ConcernDecision",
    "ConcernLevel",
    "ConcernSuggestion",
    "DecisionKind",
    "Level",
    "SuggestionStatus",
    "OPEN_STATES",
    "Appeal",
    "AppealStatus",
    "MemoIssue",
    "Restriction",
    "Suspension",
    "SuspensionReason",
    "SuspensionStatus",
]
