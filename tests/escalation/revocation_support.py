"""The revocation's test story (source 000 §8): Olivia (officer) proposes to revoke Sunrise House;
she meets Sunrise Care, which gives no assurance; the board (Bea, Ben and Maya: quorate)
decides; Maya revokes and writes to the provider; Pat (Sunrise Care) appeals; Mo decides."""

from __future__ import annotations

from datetime import date, timedelta

from escalation import board, board_services
from escalation import revocation_services as services
from escalation.models import Revocation
from tests.escalation.board_support import QUORATE, held_meeting, seat_members

REASONS = ["systematic_safeguarding", "improvement_plan_failed"]
PLANS = {
    "people_plan": "We write to each person and their family this week.",
    "transfer_plan": "A social worker agrees a new provider with each person by 31 January.",
}


def proposed(service, officer, *, today: date | None = None) -> Revocation:
    return services.propose(
        service,
        actor=officer,
        reasons=REASONS,
        details="Three safeguarding enquiries in six months.",
        options_exhausted="Suspension since March; improvement plan failed in June.",
        today=today,
    )


def with_board(service, officer, *, today: date | None = None) -> Revocation:
    revocation = proposed(service, officer, today=today)
    services.record_meeting(
        revocation,
        actor=officer,
        meeting_on=revocation.proposed_on,
        attendees="Olivia Brown, Maya Patel; the owner and the registered manager",
        outcome="proceed",
        today=today,
    )
    return revocation


def board_decides(revocation, outcome: str, *, bea, maya, present=QUORATE, members=None, day=None):
    """A meeting held on ``day`` (yesterday unless given) with the subject (a revocation, a
    proposed concern level) on its agenda, and the board's decision about it (only recorded
    when the meeting is quorate)."""
    members = members or seat_members(bea=bea, maya=maya)
    from django.utils import timezone

    meeting = held_meeting(
        members,
        present,
        by=maya,
        day=day or timezone.localdate() - timedelta(days=1),
        subjects=[revocation],
    )
    if meeting.quorate:
        board_services.decide(
            meeting,
            item=meeting.agenda.get(),
            outcome=outcome,
            reason="The concerns are systematic.",
            actor=maya,
        )
    return meeting


__all__ = ["PLANS", "REASONS", "board", "board_decides", "proposed", "with_board"]
