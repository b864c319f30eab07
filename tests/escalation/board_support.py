"""The board's test story: who sits on it, and what it considers.

Bea (health safeguarding and commissioning representative), Ben (strategic commissioner) and
Maya (the quality manager) are decision makers; Bryony, a second quality manager, advises.
Bea, Ben and Maya make a quorum; Bea, Bryony and Maya do not (no strategic commissioner).

What the board considers follows the ``escalation.board.BoardSubject`` protocol; the escalation
cases that will carry it are built elsewhere, so these tests let a service stand for a case:
``service_subjects`` registers ``providers.Service`` with the board for one test
(``escalation.board.register_subject``), with two outcomes, "rectification_notice" and "close".
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, time

import pytest
from django.utils import timezone

from escalation import board
from escalation import board_services as services
from escalation.models import BoardMember, BoardRole, MemberKind
from providers.models import Service
from qaf.models import Role
from tests.factories import UserFactory

OUTCOMES = [
    ("rectification_notice", "Issue a rectification notice"),
    ("close", "Close the case: improvement is evidenced"),
]


def _papers(service: Service) -> list[tuple[str, str]]:
    return [
        ("Headline concerns", f"Medicines errors at {service.name} in three months running."),
        ("Regulator history", "Requires improvement (2025), Inadequate (2026)."),
    ]


@contextmanager
def services_as_subjects():
    """Services stand for escalation cases while the block runs."""
    undo = board.register_subject(
        Service,
        title=lambda s: f"{s.name}: escalation to the board",
        papers=_papers,
        outcomes=lambda s: OUTCOMES,
    )
    try:
        yield
    finally:
        undo()


@pytest.fixture
def service_subjects():
    with services_as_subjects():
        yield


def at(day, hour: int = 10) -> datetime:
    """``hour`` o'clock in London on ``day``."""
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def seat_members(*, bea, maya, ben=None, bryony=None, by=None) -> dict[str, BoardMember]:
    """The board: Bea, Ben and Maya decision makers; Bryony an adviser."""
    ben = ben or UserFactory(
        username="ben", first_name="Ben", last_name="Clarke", roles=[Role.BOARD]
    )
    bryony = bryony or UserFactory(
        username="bryony", first_name="Bryony", last_name="Shah", roles=[Role.BOARD]
    )
    by = by or maya
    seats = {
        "bea": (bea, MemberKind.DECISION_MAKER, BoardRole.HEALTH_SAFEGUARDING),
        "ben": (ben, MemberKind.DECISION_MAKER, BoardRole.STRATEGIC_COMMISSIONER),
        "maya": (maya, MemberKind.DECISION_MAKER, BoardRole.QUALITY_MANAGER),
        "bryony": (bryony, MemberKind.ADVISER, BoardRole.QUALITY_MANAGER),
    }
    return {
        name: services.add_member(actor=by, user=user, kind=kind, role=role)
        for name, (user, kind, role) in seats.items()
    }


QUORATE = ("bea", "ben", "maya")
NOT_QUORATE = ("bea", "bryony", "maya")  # three present, but no strategic commissioner


def held_meeting(members, present, *, by, day, subjects=(), hour: int = 10):
    """A meeting on ``day`` with ``subjects`` on its agenda, its papers issued a week before,
    and ``present`` (names of ``members``) at it."""
    from datetime import timedelta

    meeting = services.arrange(actor=by, starts_at=at(day, hour), place="Committee Room 2")
    for subject in subjects:
        board.add_to_agenda(meeting, subject, actor=by)
    services.issue_papers(meeting, actor=by, now=at(day - timedelta(days=7), 9))
    services.record_attendance(
        meeting, actor=by, present=[members[name] for name in present], today=day
    )
    return meeting
