"""Revocation pages and API: the whole path from the service page to the provider's appeal;
403/409 with reasons; provider users see only what the board decided, of their own
organisation (404 otherwise, by page and by API id)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation import revocation_services as services
from escalation.models import Revocation, RevocationStatus
from providers.models import CommissioningStatus
from qaf.models import Document
from qaf.pdf import render_document
from tests.escalation.board_support import QUORATE, held_meeting, seat_members
from tests.escalation.revocation_support import PLANS, REASONS, board_decides, with_board

pytestmark = pytest.mark.django_db

R = RevocationStatus


def _today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def test_the_whole_path_on_the_pages(
    client_for, sunrise_house, officer_olivia, manager_maya, board_bea, manager_mo, provider_pat
):
    page = client_for(officer_olivia).get(sunrise_house.get_absolute_url())
    propose_url = reverse("revocation:propose", args=[sunrise_house.pk])
    assert propose_url in page.content.decode() and b"Propose revocation" in page.content

    # Bad input: the error summary, nothing saved.
    client = client_for(officer_olivia)
    response = client.post(propose_url, {"details": "x"})
    assert response.status_code == 200 and b"Choose at least one reason" in response.content
    assert not Revocation.objects.exists()

    response = client.post(
        propose_url,
        {"reasons": REASONS, "details": "Harm", "options_exhausted": "Suspension, plan"},
    )
    revocation = Revocation.objects.get()
    assert response.status_code == 302 and response["Location"] == revocation.get_absolute_url()
    page = client.get(sunrise_house.get_absolute_url())
    assert revocation.get_absolute_url().encode() in page.content
    assert b"Propose revocation" not in page.content  # one open per service

    meeting_url = reverse("revocation:step", args=[revocation.pk, "record-meeting"])
    response = client.post(
        meeting_url, {"meeting_on": "01/01/2099", "attendees": "O", "outcome": "proceed"}
    )
    assert response.status_code == 200 and b"in the future" in response.content
    response = client.post(
        meeting_url, {"meeting_on": _today(), "attendees": "Olivia; owner", "outcome": "proceed"}
    )
    assert response.status_code == 302
    revocation.refresh_from_db()
    assert revocation.status == R.WITH_BOARD

    # Maya sees why she cannot revoke yet, and puts it on a planned meeting's agenda.
    members = seat_members(bea=board_bea, maya=manager_maya)
    maya = client_for(manager_maya)
    page = maya.get(revocation.get_absolute_url())
    assert b"board has not decided to revoke" in page.content
    revoke_url = reverse("revocation:step", args=[revocation.pk, "revoke"])
    response = maya.post(revoke_url, PLANS)
    assert response.status_code == 200 and b"board has not decided" in response.content

    from escalation import board_services

    planned = board_services.arrange(
        actor=manager_maya,
        starts_at=timezone.now() + timezone.timedelta(days=10),
        place="Room 1",
    )
    agenda_url = reverse("revocation:agenda", args=[revocation.pk])
    assert maya.get(agenda_url).status_code == 200
    assert maya.post(agenda_url, {"meeting": planned.pk}).status_code == 302
    assert planned.agenda.get().subject == revocation
    response = maya.post(agenda_url, {"meeting": planned.pk})
    assert b"agenda already" in response.content

    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya, members=members)
    response = maya.post(revoke_url, {"people_plan": "", "transfer_plan": ""})
    assert response.status_code == 200 and b"Write the plan" in response.content
    response = maya.post(revoke_url, PLANS)
    assert response.status_code == 302
    sunrise_house.refresh_from_db()
    assert sunrise_house.commissioning_status == CommissioningStatus.DECOMMISSIONED

    # Pat sees the outcome, the letter and appeals; never the proposal's working.
    pat = client_for(provider_pat)
    page = pat.get(revocation.get_absolute_url())
    assert page.status_code == 200
    assert b"Harm" not in page.content and b"Suspension, plan" not in page.content
    assert b"Olivia; owner" not in page.content
    letter = Document.objects.get(kind="revocation")
    render_document(letter)  # the worker's job: the provider sees it once its PDF is ready
    page = pat.get(revocation.get_absolute_url())
    assert letter.title.encode() in page.content
    appeal_url = reverse("revocation:step", args=[revocation.pk, "appeal"])
    response = pat.post(appeal_url, {"text": ""})
    assert response.status_code == 200
    response = pat.post(appeal_url, {"text": "The enquiries closed last week."})
    assert response.status_code == 302

    # Maya revoked: Mo decides.
    decide_url = reverse("revocation:appeal_decide", args=[revocation.pk])
    assert client_for(manager_maya).get(decide_url).status_code == 403
    mo = client_for(manager_mo)
    response = mo.post(decide_url, {"outcome": "upheld", "reason": "Closed."})
    assert response.status_code == 302
    sunrise_house.refresh_from_db()
    assert sunrise_house.commissioning_status == CommissioningStatus.OPEN


def test_provider_users_reach_nothing_before_the_decision_nor_of_others(
    client_for,
    api_for,
    sunrise_house,
    officer_olivia,
    provider_pat,
    provider_quinn,
    board_bea,
    manager_maya,
):
    revocation = with_board(sunrise_house, officer_olivia)
    url = revocation.get_absolute_url()
    api_url = reverse("api:revocation-detail", args=[revocation.pk])
    assert client_for(provider_pat).get(url).status_code == 404
    assert api_for(provider_pat).get(api_url).status_code == 404
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    services.revoke(revocation, actor=manager_maya, **PLANS)
    assert client_for(provider_pat).get(url).status_code == 200
    data = api_for(provider_pat).get(api_url).json()
    assert data["status"] == "revoked" and data["details"] is None and data["meeting_on"] is None
    assert client_for(provider_quinn).get(url).status_code == 404
    assert api_for(provider_quinn).get(api_url).status_code == 404
    assert api_for(provider_quinn).get(reverse("api:revocation-list")).json()["count"] == 0


def test_the_api_answers_403_and_409_with_reasons(
    api_for, sunrise_house, officer_olivia, manager_maya, board_bea, manager_mo, provider_pat
):
    api = api_for(officer_olivia)
    response = api.post(
        reverse("api:revocation-list"),
        {
            "service": sunrise_house.pk,
            "reasons": ["regulator_proceedings"],
            "details": "CQC intends to cancel.",
            "options_exhausted": "Suspension",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    again = api.post(
        reverse("api:revocation-list"),
        {
            "service": sunrise_house.pk,
            "reasons": ["regulator_proceedings"],
            "details": "x",
            "options_exhausted": "y",
        },
        format="json",
    )
    assert again.status_code == 409 and "already has a revocation" in again.json()["detail"]
    bad = api.post(
        reverse("api:revocation-list"),
        {
            "service": sunrise_house.pk,
            "reasons": ["other"],
            "details": "x",
            "options_exhausted": "y",
        },
        format="json",
    )
    assert bad.status_code == 400

    def step(user, action, body=None):
        return api_for(user).post(
            reverse(f"api:revocation-{action}", args=[pk]), body or {}, format="json"
        )

    assert step(officer_olivia, "revoke", PLANS).status_code == 403
    refused = step(manager_maya, "revoke", PLANS)
    assert refused.status_code == 409  # still proposed
    assert step(board_bea, "record-meeting").status_code == 403
    response = step(
        officer_olivia,
        "record-meeting",
        {"meeting_on": str(timezone.localdate()), "attendees": "Olivia", "outcome": "proceed"},
    )
    assert response.status_code == 200 and response.json()["status"] == "with_board"
    refused = step(manager_maya, "revoke", PLANS)
    assert refused.status_code == 409 and "quorate" in refused.json()["detail"]
    revocation = Revocation.objects.get(pk=pk)
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    response = step(manager_maya, "revoke", PLANS)
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert (
        step(manager_mo, "decide-appeal", {"outcome": "upheld", "reason": "x"}).status_code == 409
    )
    assert step(manager_maya, "appeal", {"text": "x"}).status_code == 403
    response = step(provider_pat, "appeal", {"text": "Closed now."})
    assert response.status_code == 201 and response.json()["appeal"]["status"] == "pending"
    assert (
        step(manager_maya, "decide-appeal", {"outcome": "upheld", "reason": "x"}).status_code == 403
    )
    response = step(manager_mo, "decide-appeal", {"outcome": "refused", "reason": "Not shown."})
    assert response.status_code == 200 and response.json()["appeal"]["status"] == "refused"


def test_withdrawing_and_not_revoking_from_the_pages(
    client_for, sunrise_house, sunrise_lodge, officer_olivia, manager_maya, board_bea
):
    first = with_board(sunrise_house, officer_olivia)
    client = client_for(officer_olivia)
    url = reverse("revocation:step", args=[first.pk, "withdraw"])
    assert b"Give the reason" in client.post(url, {"reason": ""}).content
    assert client.post(url, {"reason": "Sold"}).status_code == 302
    second = with_board(sunrise_lodge, officer_olivia)
    board_decides(second, "do_not_revoke", bea=board_bea, maya=manager_maya)
    url = reverse("revocation:step", args=[second.pk, "not-revoked"])
    assert client_for(manager_maya).post(url, {}).status_code == 302
    second.refresh_from_db()
    assert second.status == R.NOT_REVOKED


def test_the_list_page(client_for, sunrise_house, officer_olivia, partner_pia):
    with_board(sunrise_house, officer_olivia)
    page = client_for(partner_pia).get(reverse("revocation:list"))
    assert page.status_code == 200 and b"Sunrise House" in page.content
    assert (
        client_for(partner_pia).get(reverse("revocation:list") + "?_export=csv").status_code == 200
    )


__all__ = ["QUORATE", "date", "held_meeting"]


def test_the_home_page_lists_what_is_under_way_and_the_appeals_waiting(
    client_for, sunrise_house, officer_olivia, manager_maya, manager_mo, board_bea, provider_pat
):
    revocation = with_board(sunrise_house, officer_olivia)
    page = client_for(officer_olivia).get("/").content.decode()
    assert "with the board for a decision" in page and revocation.get_absolute_url() in page
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    services.revoke(revocation, actor=manager_maya, **PLANS)
    services.appeal(revocation, actor=provider_pat, text="Closed")
    assert "appeal against the revocation" in client_for(manager_mo).get("/").content.decode()
    # Maya revoked: someone else decides the appeal.
    assert "appeal against the revocation" not in client_for(manager_maya).get("/").content.decode()


def test_the_api_puts_it_on_an_agenda(
    api_for, sunrise_house, officer_olivia, manager_maya, board_bea
):
    from escalation import board_services

    revocation = with_board(sunrise_house, officer_olivia)
    planned = board_services.arrange(
        actor=manager_maya, starts_at=timezone.now() + timezone.timedelta(days=5), place="R1"
    )
    url = reverse("api:revocation-add-to-agenda", args=[revocation.pk])
    assert api_for(officer_olivia).post(url, {"meeting": planned.pk}).status_code == 403
    assert api_for(board_bea).post(url, {"meeting": planned.pk}).status_code == 200
    again = api_for(manager_maya).post(url, {"meeting": planned.pk})
    assert again.status_code == 409 and "agenda already" in again.json()["detail"]
    assert planned.agenda.get().subject == revocation
