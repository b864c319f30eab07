"""Escalation cases (SPEC §6 "Escalation", source 003 §2.4-2.5, Appendix 1, Tables 4-5 and
Appendix 4): the stages, who may move a case, the board's decisions, the letters and the
6-month clocks. The story is in tests/escalation/case_support.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from escalation import board
from escalation import case_services as cases
from escalation.case_workflows import CASE
from escalation.models import CaseMove, EscalationCase, Stage
from providers.models import CommissioningStatus
from qaf.models import Document
from qaf.workflow import Forbidden, NotNow
from tests.escalation.case_support import (
    CONCERNS,
    HEADLINE,
    OPENED,
    RECOMMENDATIONS,
    at_stage,
    contacted,
    decided,
    formal,
    opened,
    pdf_text,
    referred,
    seated,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def members(board_bea, manager_maya):
    return seated(board_bea, manager_maya)


# --- Opening: one open case per service ----------------------------------------------------------


def test_a_case_opens_at_the_informal_stage_with_its_move(sunrise_house, officer_olivia):
    case = opened(sunrise_house, officer_olivia)
    assert (case.stage, case.opened_on, case.stage_entered_on) == (
        Stage.INFORMAL,
        OPENED,
        OPENED,
    )
    assert case.lead == officer_olivia and case.concerns == CONCERNS
    move = case.moves.get()
    assert (move.action, move.from_stage, move.to_stage, move.actor) == (
        "open",
        "",
        Stage.INFORMAL,
        officer_olivia,
    )
    assert case.history.get().history_user == officer_olivia


def test_one_open_case_per_service(sunrise_house, sunrise_lodge, officer_olivia, officer_owen):
    first = opened(sunrise_house, officer_olivia)
    with pytest.raises(NotNow, match="already has an open escalation case"):
        opened(sunrise_house, officer_owen)
    opened(sunrise_lodge, officer_owen)  # another service: fine
    cases.close(first, actor=officer_olivia, reason="Resolved")
    again = opened(sunrise_house, officer_owen)  # closed: a new one may open
    assert again.pk != first.pk


def test_the_database_refuses_a_second_open_case(sunrise_house, officer_olivia):
    """The backstop behind the friendly refusal: the partial unique constraint."""
    case = opened(sunrise_house, officer_olivia)
    with pytest.raises(IntegrityError), transaction.atomic():
        EscalationCase.objects.create(
            service=sunrise_house,
            stage=Stage.FORMAL,
            stage_entered_on=OPENED,
            opened_on=OPENED,
            opened_by=officer_olivia,
            concerns="Again",
        )
    assert EscalationCase.objects.filter(service=sunrise_house).count() == 1
    assert case.is_open


def test_only_caseworkers_open_and_the_concerns_are_needed(
    sunrise_house, officer_olivia, board_bea, partner_pia, provider_pat
):
    for outsider in (board_bea, partner_pia, provider_pat):
        with pytest.raises(Forbidden):
            opened(sunrise_house, outsider)
    with pytest.raises(NotNow, match="Say what the quality concerns are"):
        cases.open_case(sunrise_house, actor=officer_olivia, concerns="  ")
    assert not EscalationCase.objects.exists()


# --- Informal: the contact and its written confirmation ------------------------------------------


def test_the_contact_is_recorded_and_its_outcome_emailed_to_the_provider(
    sunrise_house, officer_olivia, provider_pat, provider_quinn, django_capture_on_commit_callbacks
):
    case = opened(sunrise_house, officer_olivia)
    with django_capture_on_commit_callbacks(execute=True):
        contacted(case, officer_olivia, today=OPENED + timedelta(days=2))
    case.refresh_from_db()
    assert case.contact_kind == "call" and case.contact_on == OPENED + timedelta(days=2)
    assert case.outcome_confirmed_on == OPENED + timedelta(days=2)
    assert [m.to for m in mail.outbox] == [[provider_pat.email]]
    assert "medicines action plan" in mail.outbox[0].body
    assert case.moves.filter(action="record-contact").get().actor == officer_olivia


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contact_kind": "letter"}, "phone call or an informal meeting"),
        ({"contact_on": None}, "Give the date"),
        ({"contact_on": date(2026, 3, 3)}, "cannot be in the future"),
        ({"contact_on": date(2026, 3, 1)}, "before the case was opened"),
        ({"contact_with": " "}, "who was spoken to"),
        ({"contact_outcome": ""}, "Give the outcome"),
    ],
)
def test_a_contact_needs_its_details(sunrise_house, officer_olivia, change, message):
    case = opened(sunrise_house, officer_olivia)
    params = {
        "contact_kind": "meeting",
        "contact_on": OPENED,
        "contact_with": "Jo",
        "contact_outcome": "Agreed a plan",
        **change,
    }
    with pytest.raises(NotNow, match=message):
        cases.record_contact(case, actor=officer_olivia, today=OPENED, **params)
    case.refresh_from_db()
    assert case.contact_on is None and case.version == 1


def test_the_formal_stage_needs_the_contact_and_issues_the_notice(
    sunrise_house, officer_olivia, provider_pat
):
    case = opened(sunrise_house, officer_olivia)
    with pytest.raises(NotNow, match="Record the contact"):
        cases.advance(case, actor=officer_olivia)
    contacted(case, officer_olivia)
    cases.advance(case, actor=officer_olivia, today=OPENED + timedelta(days=3))
    assert case.stage == Stage.FORMAL and case.notice_issued_on == OPENED + timedelta(days=3)
    notice = Document.objects.about(case).get()
    assert notice.kind == "quality_improvement_notice" and notice.visible_to_provider
    assert notice.recipients == [provider_pat.email]
    text = pdf_text(notice)
    for expected in ("Quality Improvement Notice", "Sunrise Care Ltd", "Sunrise House", CONCERNS):
        assert expected in text, expected
    move = case.moves.get(action="advance")
    assert (move.from_stage, move.to_stage, move.decision) == (Stage.INFORMAL, Stage.FORMAL, None)


# --- The referral to the board ----------------------------------------------------------------


def test_a_manager_refers_with_the_papers_and_the_board_clock_starts(
    sunrise_house, officer_olivia, manager_maya
):
    case = formal(sunrise_house, officer_olivia)
    with pytest.raises(Forbidden, match="Only a quality manager refers"):
        cases.advance(case, actor=officer_olivia, headline_concerns="x", recommendations="y")
    with pytest.raises(NotNow, match="the headline concerns and the recommendations"):
        cases.advance(case, actor=manager_maya)
    with pytest.raises(NotNow, match="needs the recommendations"):
        cases.advance(case, actor=manager_maya, headline_concerns=HEADLINE)
    cases.advance(
        case,
        actor=manager_maya,
        headline_concerns=HEADLINE,
        recommendations=RECOMMENDATIONS,
        today=date(2026, 8, 31),
    )
    assert case.stage == Stage.BOARD
    assert (case.referred_on, case.referred_by) == (date(2026, 8, 31), manager_maya)
    assert case.board_review_due == date(2027, 2, 28)  # 31 August + 6 months
    assert (case.headline_concerns, case.recommendations) == (HEADLINE, RECOMMENDATIONS)


def test_papers_saved_beforehand_are_enough_for_the_referral(
    sunrise_house, officer_olivia, manager_maya
):
    case = formal(sunrise_house, officer_olivia)
    cases.save_papers(
        case,
        actor=officer_olivia,
        version=case.version,
        headline_concerns=HEADLINE,
        recommendations=RECOMMENDATIONS,
    )
    cases.advance(case, actor=manager_maya)
    assert case.stage == Stage.BOARD


def test_the_referral_can_put_the_case_on_a_meetings_agenda(
    sunrise_house, officer_olivia, manager_maya
):
    from escalation import board_services
    from tests.escalation.board_support import at

    meeting = board_services.arrange(
        actor=manager_maya, starts_at=at(date(2026, 4, 1)), place="Room 2"
    )
    case = formal(sunrise_house, officer_olivia)
    cases.advance(
        case,
        actor=manager_maya,
        headline_concerns=HEADLINE,
        recommendations=RECOMMENDATIONS,
        meeting=meeting,
    )
    item = meeting.agenda.get()
    assert item.subject == case
    assert board.subject_outcomes(case) == [
        ("rectification_notice", "Issue a Rectification Notice"),
        ("final_warning", "Issue a Final Warning Notice"),
    ]
    headings = [heading for heading, _text in board.subject_papers(case)]
    assert "Headline concerns" in headings and "Suspensions" in headings


# --- Only a quorate board's decision, used once --------------------------------------------------


def test_no_notice_without_a_decision_of_a_quorate_meeting(
    sunrise_house, officer_olivia, manager_maya, members
):
    case = referred(sunrise_house, officer_olivia, manager_maya)
    with pytest.raises(NotNow, match="needs a decision of a quorate board meeting"):
        cases.advance(case, actor=officer_olivia, to=Stage.RECTIFICATION_NOTICE)
    # A meeting that was not quorate takes no decision at all.
    meeting = decided(case, members, manager_maya, "", day=date(2026, 3, 9), quorate=False)
    with pytest.raises(NotNow, match="not quorate"):
        board.record_decision(
            meeting,
            subject=case,
            outcome=Stage.RECTIFICATION_NOTICE,
            reason="x",
            actor=manager_maya,
        )
    with pytest.raises(NotNow, match="none is recorded"):
        cases.advance(case, actor=officer_olivia, to=Stage.RECTIFICATION_NOTICE)
    # A decision of another outcome does not count either.
    decided(case, members, manager_maya, Stage.FINAL_WARNING, day=date(2026, 3, 16))
    with pytest.raises(NotNow, match="none is recorded"):
        cases.advance(case, actor=officer_olivia, to=Stage.RECTIFICATION_NOTICE)
    case.refresh_from_db()
    assert case.stage == Stage.BOARD
    assert not Document.objects.about(case).filter(kind="rectification_notice").exists()


def test_a_decision_about_another_case_does_not_count(
    sunrise_house, sunrise_lodge, officer_olivia, manager_maya, members
):
    ours = referred(sunrise_house, officer_olivia, manager_maya)
    theirs = referred(sunrise_lodge, officer_olivia, manager_maya)
    decided(theirs, members, manager_maya, Stage.RECTIFICATION_NOTICE, day=date(2026, 3, 9))
    with pytest.raises(NotNow, match="none is recorded"):
        cases.advance(ours, actor=officer_olivia, to=Stage.RECTIFICATION_NOTICE)
    cases.advance(theirs, actor=officer_olivia, to=Stage.RECTIFICATION_NOTICE)
    assert theirs.stage == Stage.RECTIFICATION_NOTICE


def test_a_rectification_notice_uses_the_decision_once_and_writes_to_the_provider(
    sunrise_house, officer_olivia, manager_maya, members, provider_pat
):
    case = referred(sunrise_house, officer_olivia, manager_maya)
    decided(case, members, manager_maya, Stage.RECTIFICATION_NOTICE, day=date(2026, 3, 9))
    cases.advance(case, actor=officer_olivia, today=date(2026, 3, 10))  # the decided one
    assert case.stage == Stage.RECTIFICATION_NOTICE
    assert case.rectification_notice_on == date(2026, 3, 10)
    move = case.moves.get(to_stage=Stage.RECTIFICATION_NOTICE)
    assert move.decision is not None and move.decision.used_at is not None
    assert board.decision_for(case, Stage.RECTIFICATION_NOTICE) is None
    letter = Document.objects.about(case).get(kind="rectification_notice")
    assert letter.recipients == [provider_pat.email]
    text = pdf_text(letter)
    for expected in (
        "Rectification Notice",
        "Sunrise Care Ltd",
        "9 March 2026",  # the board meeting
        "cc. Registered Manager",
        "Members of the Commissioning and Quality Board",
        "Encs. Contract, Risk Management and Quality Policy",
    ):
        assert expected in text, expected
    # Down and up again: the used decision does not authorise a second notice.
    cases.de_escalate(case, actor=officer_olivia, reason="Board asked to review")
    with pytest.raises(NotNow, match="acted on already"):
        cases.advance(case, actor=officer_olivia, to=Stage.RECTIFICATION_NOTICE)


def test_the_board_may_go_straight_to_a_final_warning(
    sunrise_house, officer_olivia, manager_maya, members, provider_pat
):
    from providers.models import Service

    Service.objects.filter(pk=sunrise_house.pk).update(
        regulated=True,
        regulator="CQC",
        regulator_rating="inadequate",
        rating_safe="inadequate",
        rating_well_led="requires_improvement",
        last_inspection_date=date(2026, 1, 14),
    )
    case = referred(sunrise_house, officer_olivia, manager_maya)
    decided(case, members, manager_maya, Stage.FINAL_WARNING, day=date(2026, 8, 24))
    assert [a.label for a in CASE.actions_for(case, officer_olivia) if a.allowed][0] == (
        "Issue the notice the board decided"
    )
    cases.advance(case, actor=manager_maya, today=date(2026, 8, 31))
    assert case.stage == Stage.FINAL_WARNING
    assert case.improvement_due == date(2027, 2, 28)  # 31 August + 6 months
    text = pdf_text(Document.objects.about(case).get(kind="final_warning_notice"))
    for expected in (
        "Final Warning Notice",
        "Sunrise Care Ltd",
        "14 January 2026",  # inspected
        "Inadequate overall",
        "Safe, Well-led",
        "24 August 2026",  # the meeting
        "28 February 2027",  # improvement due
        "cc. Procurement Team",
        "Members of the Commissioning and Quality Board",
        "Registered Manager",
    ):
        assert expected in text, expected


def test_termination_decommissions_the_service_and_issues_the_letter(
    sunrise_house, officer_olivia, manager_maya, members, provider_pat
):
    case = at_stage(Stage.TERMINATION, sunrise_house, officer_olivia, manager_maya, members)
    assert case.stage == Stage.TERMINATION
    sunrise_house.refresh_from_db()
    assert sunrise_house.commissioning_status == CommissioningStatus.DECOMMISSIONED
    assert sunrise_house.history.latest().history_user == officer_olivia
    text = pdf_text(Document.objects.about(case).get(kind="letter_of_termination"))
    for expected in (
        "Letter of Termination",
        "Sunrise Care Ltd",
        "written to",
        "chooses to continue receiving care",
        "remain registered",
        "cc. Procurement Team",
    ):
        assert expected in text, expected
    # Termination is not de-escalated: the case is closed.
    with pytest.raises(NotNow, match="close it instead"):
        cases.de_escalate(case, actor=officer_olivia, reason="x")
    cases.close(case, actor=manager_maya, reason="Placements moved")
    assert case.closed_at_stage == Stage.TERMINATION


def test_only_caseworkers_take_steps(sunrise_house, officer_olivia, board_bea, partner_pia):
    case = opened(sunrise_house, officer_olivia)
    for outsider in (board_bea, partner_pia):
        with pytest.raises(Forbidden):
            cases.close(case, actor=outsider, reason="x")
    case.refresh_from_db()
    assert case.stage == Stage.INFORMAL


# --- Down, closed, and the clocks ----------------------------------------------------------------


def test_de_escalating_goes_one_step_down_with_a_reason(
    sunrise_house, officer_olivia, manager_maya
):
    case = opened(sunrise_house, officer_olivia)
    with pytest.raises(NotNow, match="close it instead"):
        cases.de_escalate(case, actor=officer_olivia, reason="x")
    case = referred(sunrise_lodge_like(sunrise_house), officer_olivia, manager_maya)
    with pytest.raises(NotNow, match="Give the reason"):
        cases.de_escalate(case, actor=officer_olivia, reason=" ")
    cases.de_escalate(case, actor=officer_olivia, reason="Improved", today=date(2026, 4, 1))
    assert (case.stage, case.stage_entered_on) == (Stage.FORMAL, date(2026, 4, 1))
    move = case.moves.order_by("-pk").first()
    assert (move.action, move.from_stage, move.to_stage, move.reason, move.actor) == (
        "de-escalate",
        Stage.BOARD,
        Stage.FORMAL,
        "Improved",
        officer_olivia,
    )


def sunrise_lodge_like(service):
    from tests.factories import ServiceFactory

    return ServiceFactory(provider=service.provider, name="Sunrise Annexe")


@pytest.mark.parametrize(
    ("left_on", "due"),
    [
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),  # a leap year
        (date(2026, 3, 31), date(2026, 9, 30)),
        (date(2026, 1, 1), date(2026, 7, 1)),
    ],
)
def test_leaving_final_warning_sets_the_sustainability_review(
    sunrise_house, officer_olivia, manager_maya, members, left_on, due
):
    case = at_stage(
        Stage.FINAL_WARNING,
        sunrise_house,
        officer_olivia,
        manager_maya,
        members,
        start=left_on - timedelta(days=60),
    )
    cases.de_escalate(case, actor=officer_olivia, reason="Improvement evidenced", today=left_on)
    assert case.stage == Stage.RECTIFICATION_NOTICE
    assert case.sustainability_review_due == due


def test_closing_from_final_warning_sets_the_sustainability_review_too(
    sunrise_house, officer_olivia, manager_maya, members
):
    case = at_stage(Stage.FINAL_WARNING, sunrise_house, officer_olivia, manager_maya, members)
    cases.close(case, actor=manager_maya, reason="Improvement sustained", today=date(2026, 8, 31))
    assert (case.stage, case.closed_on, case.closed_by, case.closed_at_stage) == (
        Stage.CLOSED,
        date(2026, 8, 31),
        manager_maya,
        Stage.FINAL_WARNING,
    )
    assert case.close_reason == "Improvement sustained"
    assert case.sustainability_review_due == date(2027, 2, 28)


def test_closing_needs_a_reason_and_happens_once(sunrise_house, officer_olivia):
    case = opened(sunrise_house, officer_olivia)
    with pytest.raises(NotNow, match="Give the reason"):
        cases.close(case, actor=officer_olivia, reason="")
    cases.close(case, actor=officer_olivia, reason="No further action")
    with pytest.raises(NotNow, match="closed already"):
        cases.close(case, actor=officer_olivia, reason="Again")
    assert case.sustainability_review_due is None
    assert list(case.moves.values_list("action", flat=True)) == ["open", "close"]


def test_the_clocks_are_overdue_the_day_after_they_fall_due(
    sunrise_house, officer_olivia, manager_maya
):
    case = referred(sunrise_house, officer_olivia, manager_maya, today=date(2026, 8, 31))
    [clock] = case.clocks(today=date(2027, 2, 28))
    assert (clock.name, clock.due, clock.running, clock.overdue) == (
        "board_review_due",
        date(2027, 2, 28),
        True,
        False,
    )
    assert case.clocks(today=date(2027, 3, 1))[0].overdue
    assert case.next_deadline(today=date(2027, 3, 1)).due == date(2027, 2, 28)
    cases.de_escalate(case, actor=officer_olivia, reason="Back to the QIM")
    assert not case.clocks()[0].running and case.next_deadline() is None


def test_a_stale_papers_edit_is_refused(sunrise_house, officer_olivia, officer_owen):
    from qaf.concurrency import StaleEdit

    case = opened(sunrise_house, officer_olivia)
    version = case.version
    cases.save_papers(case, actor=officer_olivia, version=version, recommendations="First")
    with pytest.raises(StaleEdit):
        cases.save_papers(case, actor=officer_owen, version=version, recommendations="Second")
    case.refresh_from_db()
    assert case.recommendations == "First"
    assert case.history.latest().history_user == officer_olivia
    assert CaseMove.objects.count() == 1
