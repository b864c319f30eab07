"""The escalation case's test story (shared by tests/escalation/test_cases*.py).

Olivia (officer) opens a case about Sunrise House and calls the registered manager; Maya
(manager) refers it to the board; the board (Bea, Ben and Maya: a quorum) decides a notice at
its meeting, and Olivia or Maya issues it. Pat works at Sunrise Care Ltd and reads the letters;
Quinn (Oak Lodge) sees nothing of it.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdf

from escalation import board
from escalation import case_services as cases
from escalation.models import EscalationCase, Stage
from qaf.models import Document
from qaf.pdf import render_document
from tests.escalation.board_support import NOT_QUORATE, QUORATE, held_meeting, seat_members

OPENED = date(2026, 3, 2)
CONCERNS = "Medicines not given as prescribed on three occasions; falls not reviewed."
HEADLINE = "Repeated medicines errors and a Requires improvement rating since 2024."
RECOMMENDATIONS = "Issue a Rectification Notice; keep the suspension of new placements."


def opened(service, officer, *, today: date = OPENED) -> EscalationCase:
    return cases.open_case(service, actor=officer, concerns=CONCERNS, today=today)


def contacted(case, officer, *, today: date = OPENED) -> EscalationCase:
    return cases.record_contact(
        case,
        actor=officer,
        contact_kind="call",
        contact_on=today,
        contact_with="Jo Smith, registered manager",
        contact_outcome="Jo agreed to send a medicines action plan by Friday.",
        today=today,
    )


def formal(service, officer, *, today: date = OPENED) -> EscalationCase:
    case = contacted(opened(service, officer, today=today), officer, today=today)
    return cases.advance(case, actor=officer, today=today)


def referred(service, officer, manager, *, today: date = OPENED) -> EscalationCase:
    case = formal(service, officer, today=today)
    return cases.advance(
        case,
        actor=manager,
        headline_concerns=HEADLINE,
        recommendations=RECOMMENDATIONS,
        today=today,
    )


def seated(bea, maya):
    return seat_members(bea=bea, maya=maya)


def decided(case, members, maya, outcome: str, *, day: date, quorate: bool = True):
    """A meeting on ``day`` with the case on its agenda, held (quorate or not), and (when
    quorate) the board's decision ``outcome`` about it."""
    meeting = held_meeting(
        members, QUORATE if quorate else NOT_QUORATE, by=maya, day=day, subjects=[case]
    )
    if quorate:
        board.record_decision(
            meeting, subject=case, outcome=outcome, reason="Not improved", actor=maya
        )
    return meeting


def at_stage(stage, service, officer, manager, members, *, start: date = OPENED):
    """A case brought to ``stage`` the regular way, each board step a week apart."""
    case = referred(service, officer, manager, today=start)
    day = start
    path = {
        Stage.BOARD: [],
        Stage.RECTIFICATION_NOTICE: [Stage.RECTIFICATION_NOTICE],
        Stage.FINAL_WARNING: [Stage.FINAL_WARNING],
        Stage.TERMINATION: [Stage.FINAL_WARNING, Stage.TERMINATION],
    }[stage]
    for target in path:
        day += timedelta(days=7)
        decided(case, members, manager, target, day=day)
        cases.advance(case, actor=officer, to=target, today=day)
    return case


def pdf_text(document: Document) -> str:
    document.refresh_from_db()
    render_document(document)
    document.refresh_from_db()
    reader = pypdf.PdfReader(io.BytesIO(document.file.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
