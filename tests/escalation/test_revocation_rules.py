"""Revocation, rule by rule of source 000 §8 (and SPEC §6, issue 11 item 5): the reasons, the
meeting with the provider first, the board's decision (a quorate meeting's, used once), the
letter with the plans, the appeal, decommissioning and its restoring; one open per service."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from escalation import board
from escalation import revocation_services as services
from escalation.models import (
    BoardDecision,
    Revocation,
    RevocationAppealStatus,
    RevocationReason,
    RevocationStatus,
)
from escalation.revocation_workflows import REVOCATION
from providers.models import CommissioningStatus
from qaf.models import Document
from qaf.pdf import render_document
from qaf.workflow import Forbidden, NotNow
from tests.escalation.board_support import NOT_QUORATE
from tests.escalation.revocation_support import PLANS, board_decides, proposed, with_board

pytestmark = pytest.mark.django_db

R = RevocationStatus


def _pdf_text(document: Document) -> str:
    render_document(document)
    document.refresh_from_db()
    reader = pypdf.PdfReader(io.BytesIO(document.file.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def decided(sunrise_house, officer_olivia, board_bea, manager_maya):
    revocation = with_board(sunrise_house, officer_olivia)
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    return revocation


@pytest.fixture
def revoked(decided, manager_maya):
    return services.revoke(decided, actor=manager_maya, **PLANS)


# --- The proposal -------------------------------------------------------------------------------


def test_the_reasons_are_the_seeds_four_and_no_other():
    assert set(RevocationReason.values) == {
        "regulator_proceedings",
        "systematic_safeguarding",
        "sponsorship_licence_revoked",
        "improvement_plan_failed",
    }
    assert "formal proceedings" in RevocationReason.REGULATOR_PROCEEDINGS.label


def test_a_proposal_needs_a_reason_from_the_list(sunrise_house, officer_olivia):
    for reasons in ([], ["other"]):
        with pytest.raises((NotNow, ValidationError)):
            services.propose(
                sunrise_house,
                actor=officer_olivia,
                reasons=reasons,
                details="Concerns",
                options_exhausted="Suspension",
            )
    assert not Revocation.objects.exists()


def test_only_after_exhausting_all_other_options(sunrise_house, officer_olivia):
    with pytest.raises(ValidationError) as error:
        services.propose(
            sunrise_house,
            actor=officer_olivia,
            reasons=["regulator_proceedings"],
            details="CQC intends to cancel the registration.",
            options_exhausted="  ",
        )
    assert "exhausting all other options" in str(error.value)


def test_who_proposes(sunrise_house, board_bea, partner_pia, provider_pat, manager_maya):
    for user in (board_bea, partner_pia, provider_pat):
        with pytest.raises(Forbidden):
            proposed(sunrise_house, user)
    assert proposed(sunrise_house, manager_maya).status == R.PROPOSED


def test_one_open_revocation_per_service(sunrise_house, sunrise_lodge, officer_olivia):
    first = proposed(sunrise_house, officer_olivia)
    with pytest.raises(NotNow, match="already has a revocation"):
        proposed(sunrise_house, officer_olivia)
    proposed(sunrise_lodge, officer_olivia)  # another service: fine
    # The database says the same when the service's rule is bypassed.
    with pytest.raises(IntegrityError), transaction.atomic():
        Revocation.objects.create(
            service=sunrise_house,
            reasons=["systematic_safeguarding"],
            details="x",
            options_exhausted="y",
            proposed_by=officer_olivia,
            proposed_on=timezone.localdate(),
        )
    services.withdraw(first, actor=officer_olivia, reason="The enquiry closed.")
    assert proposed(sunrise_house, officer_olivia).status == R.PROPOSED


def test_no_revocation_of_a_decommissioned_service(revoked, sunrise_house, officer_olivia):
    with pytest.raises(NotNow):
        proposed(sunrise_house, officer_olivia)


# --- The meeting with the provider ---------------------------------------------------------------


def test_the_meeting_is_recorded_once_held(sunrise_house, officer_olivia):
    today = timezone.localdate()
    revocation = proposed(sunrise_house, officer_olivia)
    base = {"attendees": "Olivia; the owner", "outcome": "proceed"}
    with pytest.raises(NotNow, match="in the future"):
        services.record_meeting(
            revocation, actor=officer_olivia, meeting_on=today + timedelta(days=1), **base
        )
    with pytest.raises(NotNow, match="cannot be earlier"):
        services.record_meeting(
            revocation, actor=officer_olivia, meeting_on=today - timedelta(days=1), **base
        )
    with pytest.raises(NotNow, match="who attended"):
        services.record_meeting(
            revocation, actor=officer_olivia, meeting_on=today, attendees=" ", outcome="proceed"
        )
    revocation.refresh_from_db()
    assert revocation.status == R.PROPOSED and revocation.meeting_on is None
    services.record_meeting(revocation, actor=officer_olivia, meeting_on=today, **base)  # the day
    assert revocation.status == R.WITH_BOARD


def test_assurance_at_the_meeting_ends_it(sunrise_house, officer_olivia):
    revocation = proposed(sunrise_house, officer_olivia)
    services.record_meeting(
        revocation,
        actor=officer_olivia,
        meeting_on=timezone.localdate(),
        attendees="Olivia; the owner",
        outcome="assured",
        notes="A new registered manager starts Monday.",
    )
    assert revocation.status == R.ASSURANCE_GIVEN
    assert sunrise_house.commissioning_status == CommissioningStatus.OPEN


def test_the_board_is_asked_only_after_the_meeting(sunrise_house, officer_olivia):
    revocation = proposed(sunrise_house, officer_olivia)
    assert revocation.board_outcomes() == []
    services.record_meeting(
        revocation,
        actor=officer_olivia,
        meeting_on=timezone.localdate(),
        attendees="Olivia",
        outcome="proceed",
    )
    assert dict(revocation.board_outcomes()).keys() == {"revoke", "do_not_revoke"}
    headings = [h for h, _ in board.subject_papers(revocation)]
    assert "Meeting with the provider" in headings and "Reasons" in headings


# --- The board's decision ------------------------------------------------------------------------


def test_no_revocation_without_a_board_decision(sunrise_house, officer_olivia, manager_maya):
    revocation = with_board(sunrise_house, officer_olivia)
    with pytest.raises(NotNow, match="board has not decided to revoke"):
        services.revoke(revocation, actor=manager_maya, **PLANS)
    (action,) = [
        a for a in REVOCATION.actions_for(revocation, manager_maya) if a.action == "revoke"
    ]
    assert not action.allowed and "quorate" in action.reason
    assert sunrise_house.commissioning_status == CommissioningStatus.OPEN


def test_no_revocation_without_a_quorate_meeting(
    sunrise_house, officer_olivia, board_bea, manager_maya
):
    revocation = with_board(sunrise_house, officer_olivia)
    meeting = board_decides(
        revocation, "revoke", bea=board_bea, maya=manager_maya, present=NOT_QUORATE
    )
    assert not meeting.quorate
    with pytest.raises(NotNow, match="not quorate"):
        board.record_decision(
            meeting, subject=revocation, outcome="revoke", reason="x", actor=manager_maya
        )
    with pytest.raises(NotNow):
        services.revoke(revocation, actor=manager_maya, **PLANS)


def test_a_decision_not_to_revoke_does_not_revoke(
    sunrise_house, officer_olivia, board_bea, manager_maya
):
    revocation = with_board(sunrise_house, officer_olivia)
    board_decides(revocation, "do_not_revoke", bea=board_bea, maya=manager_maya)
    with pytest.raises(NotNow):
        services.revoke(revocation, actor=manager_maya, **PLANS)
    services.not_revoked(revocation, actor=manager_maya)
    assert revocation.status == R.NOT_REVOKED
    assert BoardDecision.objects.get().used_at is not None
    assert sunrise_house.commissioning_status == CommissioningStatus.OPEN


def test_only_a_manager_revokes(decided, officer_olivia, board_bea):
    for user in (officer_olivia, board_bea):
        with pytest.raises(Forbidden):
            services.revoke(decided, actor=user, **PLANS)


def test_the_letter_needs_both_plans(decided, manager_maya):
    with pytest.raises(NotNow, match="telling the people supported"):
        services.revoke(decided, actor=manager_maya, people_plan="", transfer_plan="x")
    with pytest.raises(NotNow, match="transferring their care"):
        services.revoke(decided, actor=manager_maya, people_plan="x", transfer_plan=" ")
    decided.refresh_from_db()
    assert decided.status == R.WITH_BOARD
    assert BoardDecision.objects.get().used_at is None


def test_revoking_uses_the_decision_decommissions_and_writes(revoked, sunrise_house, manager_maya):
    revoked.refresh_from_db()
    sunrise_house.refresh_from_db()
    assert revoked.status == R.REVOKED
    assert revoked.board_decision.used_at is not None
    assert revoked.previous_status == CommissioningStatus.OPEN
    assert sunrise_house.commissioning_status == CommissioningStatus.DECOMMISSIONED
    last = sunrise_house.history.first()
    assert last.commissioning_status == "decommissioned" and last.history_user == manager_maya
    assert revoked.history.filter(status=R.REVOKED).first().history_user == manager_maya
    # The decision is used: it authorises nothing else.
    assert board.decision_for(revoked, "revoke") is None


def test_the_letter_read_back_from_its_pdf(revoked, sunrise_house, manager_maya, board_bea):
    document = Document.objects.get(kind="revocation", source_id=revoked.pk)
    assert document.visible_to_provider
    assert board_bea.email in document.recipients  # a copy to the board's members
    text = _pdf_text(document)
    for words in (
        "Dear Sunrise Care Ltd",
        "systematic safeguarding concerns",
        "We write to each person and their family this week.",
        "A social worker agrees a new provider",
        "An exception will be agreed for anyone who chooses to continue",
        "Assistant Director of Commissioning",
        "cc. the Registered Manager",
    ):
        assert words in text, words


def test_withdrawing_needs_a_reason_and_ends_before_the_board(decided, officer_olivia):
    with pytest.raises(NotNow, match="Give the reason"):
        services.withdraw(decided, actor=officer_olivia, reason="")
    services.withdraw(decided, actor=officer_olivia, reason="The provider sold the home.")
    assert decided.status == R.WITHDRAWN


# --- The appeal --------------------------------------------------------------------------------


def test_the_provider_appeals_once(revoked, provider_pat, provider_quinn, manager_maya):
    with pytest.raises(Forbidden):
        services.appeal(revoked, actor=provider_quinn, text="Not ours")
    with pytest.raises(Forbidden):
        services.appeal(revoked, actor=manager_maya, text="Staff cannot")
    with pytest.raises(NotNow, match="Say why"):
        services.appeal(revoked, actor=provider_pat, text=" ")
    appeal = services.appeal(revoked, actor=provider_pat, text="The enquiries are closed.")
    assert appeal.status == RevocationAppealStatus.PENDING
    with pytest.raises(NotNow, match="appealed against this revocation already"):
        services.appeal(revoked, actor=provider_pat, text="Again")


def test_only_a_revocation_in_effect_is_appealed(decided, provider_pat):
    with pytest.raises(NotNow):
        services.appeal(decided, actor=provider_pat, text="Too early")


def test_the_revoker_does_not_decide_the_appeal(revoked, provider_pat, manager_maya):
    appeal = services.appeal(revoked, actor=provider_pat, text="Closed")
    with pytest.raises(Forbidden, match="does not decide"):
        services.decide_appeal(appeal, actor=manager_maya, outcome="upheld", reason="x")


def test_a_refused_appeal_leaves_it_decommissioned(
    revoked, sunrise_house, provider_pat, manager_mo
):
    appeal = services.appeal(revoked, actor=provider_pat, text="Closed")
    with pytest.raises(NotNow, match="reason"):
        services.decide_appeal(appeal, actor=manager_mo, outcome="refused", reason="")
    services.decide_appeal(appeal, actor=manager_mo, outcome="refused", reason="Not shown.")
    revoked.refresh_from_db()
    sunrise_house.refresh_from_db()
    assert revoked.status == R.REVOKED
    assert sunrise_house.commissioning_status == CommissioningStatus.DECOMMISSIONED
    letter = Document.objects.get(kind="revocation_appeal_outcome")
    assert "refused" in _pdf_text(letter)


def test_an_upheld_appeal_restores_the_earlier_status(
    sunrise_house, officer_olivia, board_bea, manager_maya, manager_mo, provider_pat
):
    from escalation import services as suspensions

    suspension = suspensions.propose(
        sunrise_house,
        actor=officer_olivia,
        restriction="no_new_placements",
        reasons=["safeguarding_enquiry"],
        actions_required="Close the enquiry.",
    )
    suspensions.approve(suspension, actor=manager_mo)
    revocation = with_board(sunrise_house, officer_olivia)
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    services.revoke(revocation, actor=manager_maya, **PLANS)
    appeal = services.appeal(revocation, actor=provider_pat, text="Closed")
    services.decide_appeal(appeal, actor=manager_mo, outcome="upheld", reason="It was closed.")
    revocation.refresh_from_db()
    sunrise_house.refresh_from_db()
    assert revocation.status == R.OVERTURNED
    assert sunrise_house.commissioning_status == CommissioningStatus.SUSPENDED
    letter = Document.objects.get(kind="revocation_appeal_outcome")
    assert "overturned" in _pdf_text(letter)


# --- What provider users see ----------------------------------------------------------------------


def test_provider_users_see_only_what_the_board_decided(
    sunrise_house, officer_olivia, board_bea, manager_maya, provider_pat, provider_quinn
):
    revocation = with_board(sunrise_house, officer_olivia)
    assert not Revocation.objects.visible_to(provider_pat).exists()
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    assert not Revocation.objects.visible_to(provider_pat).exists()
    services.revoke(revocation, actor=manager_maya, **PLANS)
    assert list(Revocation.objects.visible_to(provider_pat)) == [revocation]
    assert not Revocation.objects.visible_to(provider_quinn).exists()


def test_the_board_pack_carries_the_revocations_papers(
    sunrise_house, officer_olivia, board_bea, manager_maya
):
    from escalation import board_pack

    revocation = with_board(sunrise_house, officer_olivia)
    meeting = board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    text = str(board_pack.compose(meeting))
    assert "Sunrise House (Sunrise Care Ltd): revocation" in text
    assert "Suspension since March; improvement plan failed in June." in text
    assert "Meeting with the provider" in text


def test_a_suspension_lifted_meanwhile_neither_reopens_nor_is_restored(
    sunrise_house, officer_olivia, board_bea, manager_maya, manager_mo, provider_pat
):
    from escalation import services as suspensions

    suspension = suspensions.propose(
        sunrise_house,
        actor=officer_olivia,
        restriction="restricted_placements",
        restriction_details="No dementia placements",
        reasons=["safeguarding_enquiry"],
        actions_required="Close the enquiry.",
    )
    suspensions.approve(suspension, actor=manager_mo)
    revocation = with_board(sunrise_house, officer_olivia)
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    services.revoke(revocation, actor=manager_maya, **PLANS)
    revocation.refresh_from_db()
    assert revocation.previous_status == CommissioningStatus.RESTRICTED
    # Lifting the suspension of a revoked service does not open it to placements.
    suspensions.propose_lift(suspension, actor=officer_olivia, reason="Enquiry closed")
    suspensions.approve_lift(suspension, actor=manager_maya)
    sunrise_house.refresh_from_db()
    assert sunrise_house.commissioning_status == CommissioningStatus.DECOMMISSIONED
    # Upheld, the appeal gives the status the service has without the revocation: open now.
    appeal = services.appeal(revocation, actor=provider_pat, text="Closed")
    services.decide_appeal(appeal, actor=manager_mo, outcome="upheld", reason="Closed.")
    sunrise_house.refresh_from_db()
    assert sunrise_house.commissioning_status == CommissioningStatus.OPEN
