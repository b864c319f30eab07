"""A case before the board (source 003 Appendix 4): on a meeting's agenda its papers are the
case's (regulator history, safeguarding, QIM and suspension history, headline concerns,
recommendations, spend and market risk, the service and people supported), the board pack
prints them, and the board decides only the outcomes the case's stage offers."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from escalation import board, board_pack
from escalation import board_services as services
from escalation import case_services as cases
from escalation import services as suspensions
from escalation.models import Stage
from providers.models import IntelligenceKind, IntelligenceStatus, Service
from qaf.workflow import NotNow
from tests.escalation.board_support import QUORATE, held_meeting
from tests.escalation.case_support import HEADLINE, RECOMMENDATIONS, pdf_text, referred, seated
from tests.factories import IntelligenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def case(sunrise_house, officer_olivia, manager_maya, manager_mo):
    Service.objects.filter(pk=sunrise_house.pk).update(
        regulated=True,
        regulator="CQC",
        regulator_rating="requires_improvement",
        last_inspection_date=date(2025, 5, 6),
        capacity=40,
        council_funded_people=18,
        market_risk_reasons=["sole_provider"],
    )
    sunrise_house.refresh_from_db()
    IntelligenceFactory(
        service=sunrise_house,
        kind=IntelligenceKind.SAFEGUARDING_ENQUIRY,
        status=IntelligenceStatus.OPEN,
        confidential=True,
        date=date(2026, 1, 12),
        summary="Organisational enquiry into pressure care",
    )
    IntelligenceFactory(
        service=sunrise_house,
        kind=IntelligenceKind.REGULATOR_INFORMATION,
        date=date(2025, 6, 1),
        summary="CQC rating changed from Good to Requires improvement",
    )
    suspensions.approve(
        suspensions.propose(
            sunrise_house,
            actor=officer_olivia,
            restriction="no_new_placements",
            reasons=["regulator_rating"],
            actions_required="An action plan",
        ),
        actor=manager_mo,
        today=date(2026, 2, 2),
    )
    made = referred(sunrise_house, officer_olivia, manager_maya)
    cases.save_papers(
        made, actor=officer_olivia, version=made.version, annual_spend=412000, market_risk_notes=""
    )
    return made


def test_the_papers_are_built_from_what_qaf_holds(case):
    papers = dict(board.subject_papers(case))
    assert "Care home" in papers["Type of service and people supported"]
    assert (
        "Capacity: 40. Council-funded people: 18." in papers["Type of service and people supported"]
    )
    regulator = papers["Regulator history (last 4 years)"]
    assert regulator.startswith("Requires improvement (inspected 6 May 2025)")
    assert "Not rated" not in regulator
    assert "CQC rating changed from Good to Requires improvement" in regulator
    assert "Organisational enquiry into pressure care" in papers["Safeguarding history"]
    assert papers["Quality Improvement Meetings"] == "None recorded."
    assert "No new placements: in force from 2 February 2026" in papers["Suspensions"]
    assert papers["Headline concerns"] == HEADLINE
    assert papers["Recommendations"] == RECOMMENDATIONS
    assert "£412,000.00" in papers["Annual spend and market risk"]
    assert "Sole provider" in papers["Annual spend and market risk"]
    assert board.subject_title(case) == "Sunrise House (Sunrise Care Ltd): Referred to the board"


def test_the_board_pack_prints_the_cases_papers(case, manager_maya, board_bea):
    members = seated(board_bea, manager_maya)
    meeting = held_meeting(members, QUORATE, by=manager_maya, day=date(2026, 3, 9), subjects=[case])
    text = pdf_text(board_pack.packs_of(meeting).get())
    for expected in ("Sunrise House", HEADLINE, "Regulator history", "Safeguarding history"):
        assert expected in text, expected


def test_the_board_decides_only_what_the_stage_offers(
    case, manager_maya, board_bea, officer_olivia, client_for
):
    members = seated(board_bea, manager_maya)
    meeting = held_meeting(members, QUORATE, by=manager_maya, day=date(2026, 3, 9), subjects=[case])
    item = meeting.agenda.get()
    with pytest.raises(NotNow, match="not an outcome the board may decide"):
        services.decide(
            meeting, item=item, outcome=Stage.TERMINATION, reason="x", actor=manager_maya
        )
    response = client_for(board_bea).post(
        reverse("board:decide", args=[meeting.pk, item.pk]),
        {"outcome": "final_warning", "reason": "Inadequate care"},
    )
    assert response.status_code == 302
    # The case's page offers the notice the board decided.
    page = client_for(officer_olivia).get(case.get_absolute_url())
    assert b"Issue the notice the board decided" in page.content
    cases.advance(case, actor=officer_olivia, today=date(2026, 3, 10))
    assert case.stage == Stage.FINAL_WARNING
    assert board.subject_outcomes(case) == [
        ("termination", "Terminate the contract: issue a Letter of Termination")
    ]
