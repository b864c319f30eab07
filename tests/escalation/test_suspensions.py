"""Suspensions with four eyes (SPEC §6, source 000 §8, 003 §2.5-2.6).

Olivia (officer) proposes to stop new placements at Sunrise House; Maya (manager) approves it;
Pat (Sunrise Care) sees the banner and the letter and appeals; Mo (manager) decides the appeal,
since Maya approved the suspension. Quinn (Oak Lodge) sees none of it; Pia (partner) and Bea
(board) read but change nothing.
"""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest
from django.urls import reverse

from escalation import services
from escalation.models import AppealStatus, Suspension, SuspensionStatus
from providers.models import CommissioningStatus
from qaf.models import Document
from qaf.pdf import render_document
from qaf.workflow import Forbidden, NotNow
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db

S = SuspensionStatus
REASONS = ["regulator_rating", "safeguarding_enquiry"]
ACTIONS = "Send the fire risk assessment and an action plan for medicines."


@pytest.fixture
def proposed(sunrise_house, officer_olivia) -> Suspension:
    return services.propose(
        sunrise_house,
        actor=officer_olivia,
        restriction="no_new_placements",
        reasons=REASONS,
        actions_required=ACTIONS,
        minimum_months=6,
    )


@pytest.fixture
def in_force(proposed, manager_maya) -> Suspension:
    return services.approve(proposed, actor=manager_maya, today=date(2026, 3, 2))


def _pdf_text(document: Document) -> str:
    document.refresh_from_db()
    render_document(document)
    document.refresh_from_db()
    reader = pypdf.PdfReader(io.BytesIO(document.file.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


# --- Proposing and approving ------------------------------------------------------------------


def test_an_approved_suspension_holds_the_service_and_writes_to_the_provider(
    provider_pat, in_force, sunrise_house, manager_maya, officer_olivia
):
    sunrise_house.refresh_from_db()
    assert in_force.status == S.ACTIVE
    assert sunrise_house.commissioning_status == CommissioningStatus.SUSPENDED
    assert (in_force.decided_by, in_force.decided_on) == (manager_maya, date(2026, 3, 2))
    assert in_force.minimum_until == date(2026, 9, 2)
    # Each step's history names who took it; the service's history says who changed its status.
    users = list(in_force.history.order_by("history_id").values_list("history_user", flat=True))
    assert users == [officer_olivia.pk, manager_maya.pk]
    assert sunrise_house.history.latest().history_user == manager_maya
    letter = Document.objects.get(kind="suspension", source_id=in_force.pk)
    assert letter.visible_to_provider and letter.recipients == [provider_pat.email]
    text = _pdf_text(letter)
    for expected in (
        "Sunrise House",
        "Organisational safeguarding enquiry",
        "Regulator rating of requires improvement or inadequate",
        ACTIONS,
        "2 September 2026",  # the minimum period
        "It does not end any current placement or package of care",
        "appeal",
    ):
        assert expected in text, expected


def test_placing_with_restrictions_needs_the_restrictions_and_sets_restricted(
    sunrise_house, officer_olivia, manager_maya
):
    with pytest.raises(Exception, match="Say which placements may still be made"):
        services.propose(
            sunrise_house,
            actor=officer_olivia,
            restriction="restricted_placements",
            reasons=["serious_complaint"],
            actions_required=ACTIONS,
        )
    suspension = services.propose(
        sunrise_house,
        actor=officer_olivia,
        restriction="restricted_placements",
        restriction_details="No new placements of people with dementia.",
        reasons=["serious_complaint"],
        actions_required=ACTIONS,
    )
    services.approve(suspension, actor=manager_maya)
    sunrise_house.refresh_from_db()
    assert sunrise_house.commissioning_status == CommissioningStatus.RESTRICTED


def test_nobody_approves_or_rejects_their_own_proposal(sunrise_house, manager_maya, manager_mo):
    own = services.propose(
        sunrise_house,
        actor=manager_maya,
        restriction="no_new_placements",
        reasons=["other"],
        other_reason="The home is closing a floor.",
        actions_required=ACTIONS,
    )
    for step in (services.approve, services.reject):
        with pytest.raises(Forbidden, match="Nobody approves or rejects their own proposal"):
            step(own, actor=manager_maya, comment="Mine")
    services.approve(own, actor=manager_mo)
    assert own.status == S.ACTIVE


def test_only_managers_decide_and_only_caseworkers_propose(
    proposed, sunrise_house, officer_owen, partner_pia, board_bea, provider_pat
):
    for outsider in (officer_owen, partner_pia, board_bea, provider_pat):
        with pytest.raises(Forbidden):
            services.approve(proposed, actor=outsider)
    for outsider in (partner_pia, board_bea, provider_pat):
        with pytest.raises(Forbidden):
            services.propose(
                sunrise_house,
                actor=outsider,
                restriction="no_new_placements",
                reasons=REASONS,
                actions_required=ACTIONS,
            )
    proposed.refresh_from_db()
    assert proposed.status == S.PROPOSED


def test_a_rejection_needs_its_reason_and_leaves_placements_open(
    proposed, sunrise_house, manager_maya
):
    with pytest.raises(NotNow, match="Say why the suspension is not approved"):
        services.reject(proposed, actor=manager_maya, comment=" ")
    services.reject(proposed, actor=manager_maya, comment="The provider sent assurance today.")
    sunrise_house.refresh_from_db()
    assert proposed.status == S.REJECTED
    assert sunrise_house.commissioning_status == CommissioningStatus.OPEN
    assert not Document.objects.filter(source_id=proposed.pk).exists()  # no letter


def test_one_suspension_at_a_time_per_service(proposed, sunrise_house, officer_owen):
    with pytest.raises(NotNow, match="already has a suspension proposed or in force"):
        services.propose(
            sunrise_house,
            actor=officer_owen,
            restriction="no_new_placements",
            reasons=REASONS,
            actions_required=ACTIONS,
        )


# --- Appeals ----------------------------------------------------------------------------------


def test_the_provider_appeals_and_a_manager_other_than_the_approver_decides(
    in_force, sunrise_house, provider_pat, provider_quinn, manager_maya, manager_mo, sunrise
):
    files = [EvidenceFactory(provider=sunrise, title="Fire risk assessment")]
    with pytest.raises(Forbidden):
        services.appeal(in_force, actor=provider_quinn, text="Not ours")
    appeal = services.appeal(in_force, actor=provider_pat, text="All done.", evidence=files)
    assert list(appeal.evidence.all()) == files
    with pytest.raises(NotNow, match="already waiting for a decision"):
        services.appeal(in_force, actor=provider_pat, text="Again")
    with pytest.raises(Forbidden, match="approved the suspension does not decide"):
        services.decide_appeal(appeal, actor=manager_maya, outcome="upheld", reason="x")
    services.decide_appeal(
        appeal, actor=manager_mo, outcome="refused", reason="The medicines plan is missing."
    )
    in_force.refresh_from_db()
    assert (appeal.status, in_force.status) == (AppealStatus.REFUSED, S.ACTIVE)
    letter = Document.objects.get(kind="appeal_outcome", source_id=in_force.pk)
    assert "The medicines plan is missing." in _pdf_text(letter)

    second = services.appeal(in_force, actor=provider_pat, text="The plan is attached now.")
    services.decide_appeal(second, actor=manager_mo, outcome="upheld", reason="Plan received.")
    in_force.refresh_from_db()
    sunrise_house.refresh_from_db()
    assert (in_force.status, in_force.ended_on is not None) == (S.OVERTURNED, True)
    assert sunrise_house.commissioning_status == CommissioningStatus.OPEN


# --- Lifting ------------------------------------------------------------------------------------


def test_lifting_is_proposed_with_a_reason_and_approved_by_someone_else(
    in_force, sunrise_house, manager_maya, manager_mo, provider_pat
):
    with pytest.raises(NotNow, match="minimum period runs until 2 September 2026"):
        services.propose_lift(in_force, actor=manager_mo, reason="", today=date(2026, 4, 1))
    services.propose_lift(in_force, actor=manager_mo, reason="Every action is met.")
    assert in_force.status == S.LIFT_PROPOSED
    with pytest.raises(Forbidden, match="Nobody decides their own proposal to lift"):
        services.approve_lift(in_force, actor=manager_mo)
    services.approve_lift(in_force, actor=manager_maya, comment="Agreed.")
    sunrise_house.refresh_from_db()
    assert in_force.status == S.LIFTED
    assert sunrise_house.commissioning_status == CommissioningStatus.OPEN
    letter = Document.objects.get(kind="suspension_lifted", source_id=in_force.pk)
    assert letter.recipients == [provider_pat.email]
    assert "Every action is met." in _pdf_text(letter)


def test_a_lifting_kept_in_force_needs_a_reason(in_force, officer_olivia, manager_mo):
    services.propose_lift(in_force, actor=officer_olivia, reason="Actions met.")
    with pytest.raises(NotNow, match="Say why the suspension is not lifted"):
        services.reject_lift(in_force, actor=manager_mo, comment="")
    services.reject_lift(in_force, actor=manager_mo, comment="The audit is still outstanding.")
    assert in_force.status == S.ACTIVE


# --- Scope: what each person sees ----------------------------------------------------------------


def test_a_provider_sees_what_was_decided_about_its_own_services_only(
    proposed, manager_maya, provider_pat, provider_quinn, client_for, api_for
):
    assert not Suspension.objects.visible_to(provider_pat).exists()  # a proposal is internal
    services.approve(proposed, actor=manager_maya)
    assert list(Suspension.objects.visible_to(provider_pat)) == [proposed]
    assert client_for(provider_pat).get(proposed.get_absolute_url()).status_code == 200
    assert client_for(provider_quinn).get(proposed.get_absolute_url()).status_code == 404
    assert api_for(provider_quinn).get("/api/v1/suspensions/").json()["count"] == 0
    assert api_for(provider_quinn).get(f"/api/v1/suspensions/{proposed.pk}/").status_code == 404
    letter = Document.objects.get(kind="suspension", source_id=proposed.pk)
    assert not Document.objects.visible_to(provider_quinn).filter(pk=letter.pk).exists()
    shown = api_for(provider_pat).get(f"/api/v1/suspensions/{proposed.pk}/").json()
    assert shown["status"] == "active" and shown["decided_by"] is None


def test_the_service_page_and_the_portal_show_the_banner(
    in_force, sunrise_house, provider_pat, officer_olivia, client_for
):
    for user in (provider_pat, officer_olivia):
        page = client_for(user).get(sunrise_house.get_absolute_url()).content.decode()
        assert (
            "The council has made no new placements with Sunrise House since 2 March 2026" in page
        )
        assert "never ends placements or packages of care already in place" in page
    home = client_for(provider_pat).get(reverse("home")).content.decode()
    assert "Sunrise House: no new placements since 2 March 2026" in home


def test_a_managers_home_lists_the_decisions_waiting_but_not_their_own(
    proposed, manager_maya, officer_olivia, client_for
):
    page = client_for(manager_maya).get(reverse("home")).content.decode()
    assert "Suspensions waiting for your decision" in page and "proposed by" in page
    assert (
        "Suspensions waiting for your decision"
        not in client_for(officer_olivia).get(reverse("home")).content.decode()
    )


# --- Pages and the API ----------------------------------------------------------------------------


def test_proposing_and_approving_from_the_pages(
    sunrise_house, officer_olivia, manager_maya, client_for
):
    client = client_for(officer_olivia)
    url = reverse("escalation:suspension_propose", args=[sunrise_house.pk])
    refused = client.post(url, {"restriction": "no_new_placements"})
    assert "Choose at least one reason" in refused.content.decode()
    client.post(
        url,
        {"restriction": "no_new_placements", "reasons": REASONS, "actions_required": ACTIONS},
    )
    suspension = Suspension.objects.get()
    approve = reverse("escalation:suspension_step", args=[suspension.pk, "approve"])
    assert client.get(approve).status_code == 403  # an officer does not decide
    client = client_for(manager_maya)
    detail = client.get(suspension.get_absolute_url()).content.decode()
    assert "Approve" in detail and "Reject" in detail
    response = client.post(approve, {"comment": "Agreed at the QIM."})
    assert response.status_code == 302
    suspension.refresh_from_db()
    assert suspension.status == S.ACTIVE


def test_the_api_answers_403_and_409_with_reasons(
    sunrise_house, officer_olivia, manager_maya, manager_mo, partner_pia, api_for
):
    body = {
        "service": sunrise_house.pk,
        "restriction": "no_new_placements",
        "reasons": REASONS,
        "actions_required": ACTIONS,
    }
    assert api_for(partner_pia).post("/api/v1/suspensions/", body, format="json").status_code == 403
    created = api_for(manager_maya).post("/api/v1/suspensions/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    own = api_for(manager_maya).post(f"/api/v1/suspensions/{pk}/approve/")
    assert own.status_code == 403 and "own proposal" in own.json()["detail"]
    assert api_for(manager_mo).post(f"/api/v1/suspensions/{pk}/approve/").status_code == 200
    again = api_for(manager_mo).post(f"/api/v1/suspensions/{pk}/approve/")
    assert again.status_code == 409 and "in force" in again.json()["detail"].lower()
    appeal = api_for(manager_mo).post(
        f"/api/v1/suspensions/{pk}/decide-appeal/", {"outcome": "upheld"}, format="json"
    )
    assert appeal.status_code == 409


def test_four_eyes_on_the_pages_and_in_the_api(
    sunrise_house, manager_maya, manager_mo, provider_pat, client_for, api_for
):
    """Maya's own proposal: no Approve button for her, 403 on its page and in the API; once Mo
    approved it, Mo may not decide the appeal against it (page or API) but Maya may."""
    own = services.propose(
        sunrise_house,
        actor=manager_maya,
        restriction="no_new_placements",
        reasons=REASONS,
        actions_required=ACTIONS,
    )
    maya = client_for(manager_maya)
    assert "Approve" not in maya.get(own.get_absolute_url()).content.decode()
    step = reverse("escalation:suspension_step", args=[own.pk, "approve"])
    assert maya.get(step).status_code == 403
    assert maya.post(step, {"comment": "Mine"}).status_code == 403
    assert api_for(manager_maya).post(f"/api/v1/suspensions/{own.pk}/approve/").status_code == 403
    services.approve(own, actor=manager_mo)
    appeal = services.appeal(own, actor=provider_pat, text="Resolved.")
    decide = reverse("escalation:appeal_decide", args=[own.pk, appeal.pk])
    mo = client_for(manager_mo)
    assert mo.get(decide).status_code == 403
    body = {"outcome": "upheld", "reason": "x"}
    refused = api_for(manager_mo).post(
        f"/api/v1/suspensions/{own.pk}/decide-appeal/", body, format="json"
    )
    assert refused.status_code == 403 and "approved the suspension" in refused.json()["detail"]
    assert client_for(manager_maya).get(decide).status_code == 200
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
