"""Escalation cases on the pages and in the API (SPEC §6, §9): opening one from the service's
page, the case's page (stage, clocks, contact, the board's papers, letters, history, the steps),
the step pages with their errors and confirmations, the papers' optimistic concurrency; and
what provider users see: their own case's stage, dates and letters, never the board's papers,
the reasons or another provider's case (404)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation import board_services
from escalation import case_services as cases
from escalation.models import EscalationCase, Stage
from qaf.models import Document
from tests.escalation.board_support import at
from tests.escalation.case_support import (
    CONCERNS,
    HEADLINE,
    RECOMMENDATIONS,
    contacted,
    decided,
    formal,
    opened,
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


def _step(case, step):
    return reverse("escalation:case_step", args=[case.pk, step])


# --- Opening from the service's page -----------------------------------------------------------


def test_an_officer_opens_a_case_from_the_service_page(client_for, sunrise_house, officer_olivia):
    client = client_for(officer_olivia)
    page = client.get(sunrise_house.get_absolute_url())
    url = reverse("escalation:case_open", args=[sunrise_house.pk])
    assert url.encode() in page.content
    bad = client.post(url, {"concerns": ""})
    assert bad.status_code == 200 and b"Say what the quality concerns are" in bad.content
    assert b"govuk-error-summary" in bad.content
    response = client.post(url, {"concerns": CONCERNS})
    case = EscalationCase.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    page = client.get(sunrise_house.get_absolute_url())
    assert case.get_absolute_url().encode() in page.content and b"Informal" in page.content
    again = client.post(url, {"concerns": "Again"})
    assert again.status_code == 409 and b"carry on with that one" in again.content
    assert EscalationCase.objects.count() == 1


def test_the_case_page_shows_the_steps_and_why_one_cannot_be_taken(
    client_for, sunrise_house, officer_olivia
):
    case = opened(sunrise_house, officer_olivia)
    page = client_for(officer_olivia).get(case.get_absolute_url())
    assert page.status_code == 200
    assert _step(case, "record-contact").encode() in page.content
    assert b"Record the contact with the provider (the call" in page.content  # advance: why not
    assert _step(case, "close").encode() in page.content
    assert CONCERNS.encode() in page.content


def test_the_contact_and_the_steps_from_their_pages(
    client_for, sunrise_house, officer_olivia, manager_maya
):
    case = opened(sunrise_house, officer_olivia, today=timezone.localdate())
    client = client_for(officer_olivia)
    today = timezone.localdate()
    bad = client.post(_step(case, "record-contact"), {"contact_kind": "call"})
    assert bad.status_code == 200 and b"Say who was spoken to" in bad.content
    future = client.post(
        _step(case, "record-contact"),
        {
            "contact_kind": "call",
            "contact_on": f"{today + timedelta(days=1):%d/%m/%Y}",
            "contact_with": "Jo",
            "contact_outcome": "Plan by Friday",
        },
    )
    assert future.status_code == 409 and b"cannot be in the future" in future.content
    done = client.post(
        _step(case, "record-contact"),
        {
            "contact_kind": "call",
            "contact_on": f"{today:%d/%m/%Y}",
            "contact_with": "Jo",
            "contact_outcome": "Plan by Friday",
        },
    )
    assert done.status_code == 302
    assert client.post(_step(case, "advance"), {}).status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.FORMAL
    # The referral is a manager's: an officer is refused its page.
    assert client.get(_step(case, "advance")).status_code == 403
    maya = client_for(manager_maya)
    missing = maya.post(_step(case, "advance"), {"headline_concerns": HEADLINE})
    assert missing.status_code == 200 and b"Give the recommendations" in missing.content
    meeting = board_services.arrange(
        actor=manager_maya, starts_at=at(today + timedelta(days=14)), place="Room 2"
    )
    referred_ = maya.post(
        _step(case, "advance"),
        {
            "headline_concerns": HEADLINE,
            "recommendations": RECOMMENDATIONS,
            "meeting": meeting.pk,
        },
    )
    assert referred_.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.BOARD and meeting.agenda.get().subject == case
    page = maya.get(case.get_absolute_url())
    assert b"Referred to the board" in page.content and str(meeting).encode() in page.content
    # Closing asks for a confirmation as well as the reason.
    unconfirmed = maya.post(_step(case, "close"), {"reason": "Resolved"})
    assert unconfirmed.status_code == 200 and b"Confirm that you mean" in unconfirmed.content
    assert maya.post(_step(case, "close"), {"reason": "Resolved", "confirm": "on"}).status_code
    case.refresh_from_db()
    assert case.stage == Stage.CLOSED


def test_a_notice_without_the_boards_decision_is_refused_on_the_page(
    client_for, sunrise_house, officer_olivia, manager_maya, members
):
    case = referred(sunrise_house, officer_olivia, manager_maya)
    client = client_for(officer_olivia)
    page = client.get(case.get_absolute_url())
    assert b"needs a decision of a quorate board meeting" in page.content
    refused = client.post(_step(case, "advance"), {"to": "rectification_notice"})
    assert refused.status_code == 409
    assert b"needs a decision of a quorate board meeting" in refused.content
    decided(case, members, manager_maya, Stage.RECTIFICATION_NOTICE, day=date(2026, 3, 9))
    done = client.post(_step(case, "advance"), {"to": "rectification_notice"})
    assert done.status_code == 302
    page = client.get(case.get_absolute_url())
    assert b"Board decision at the" in page.content and b"Rectification Notice" in page.content


def test_the_papers_page_refuses_a_stale_edit(client_for, sunrise_house, officer_olivia):
    case = opened(sunrise_house, officer_olivia)
    client = client_for(officer_olivia)
    url = reverse("escalation:case_papers", args=[case.pk])
    form = client.get(url).context["form"]
    version = form.initial["version"]
    first = client.post(url, {"recommendations": "First", "version": version})
    assert first.status_code == 302
    stale = client.post(url, {"recommendations": "Second", "version": version})
    assert stale.status_code == 409 and b"Someone else saved a change" in stale.content
    bad = client.post(url, {"annual_spend": "lots", "version": version + 1})
    assert bad.status_code == 200 and b"Enter the annual spend as an amount" in bad.content
    case.refresh_from_db()
    assert case.recommendations == "First"


def test_a_manager_puts_a_case_on_a_meetings_agenda(
    client_for, sunrise_house, officer_olivia, manager_maya
):
    case = referred(sunrise_house, officer_olivia, manager_maya)
    meeting = board_services.arrange(
        actor=manager_maya, starts_at=at(timezone.localdate() + timedelta(days=7)), place="R1"
    )
    client = client_for(manager_maya)
    url = reverse("escalation:case_agenda", args=[case.pk])
    assert client.post(url, {"meeting": meeting.pk}).status_code == 302
    twice = client.post(url, {"meeting": meeting.pk})
    assert twice.status_code == 409 and b"on this meeting" in twice.content
    assert client_for(officer_olivia).get(url).status_code == 403


# --- What provider users see ----------------------------------------------------------------------


@pytest.fixture
def rectified(sunrise_house, officer_olivia, manager_maya, members):
    case = referred(sunrise_house, officer_olivia, manager_maya)
    decided(case, members, manager_maya, Stage.RECTIFICATION_NOTICE, day=date(2026, 3, 9))
    cases.advance(case, actor=officer_olivia, today=date(2026, 3, 10))
    Document.objects.filter(source_id=case.pk).update(status=Document.Status.READY)
    return case


def test_a_provider_sees_its_stage_and_letters_and_nothing_of_the_boards_papers(
    client_for, rectified, provider_pat
):
    page = client_for(provider_pat).get(rectified.get_absolute_url())
    assert page.status_code == 200
    assert b"Rectification notice" in page.content
    assert b"Quality Improvement Notice" in page.content  # the letters it was sent
    for hidden in (HEADLINE, RECOMMENDATIONS, CONCERNS, "Not improved", "Jo Smith"):
        assert hidden.encode() not in page.content, hidden
    assert b"Board summary" not in page.content and b"Next steps" not in page.content
    for step in ("advance", "close", "record-contact", "de-escalate"):
        assert client_for(provider_pat).get(_step(rectified, step)).status_code == 403
    papers = reverse("escalation:case_papers", args=[rectified.pk])
    assert client_for(provider_pat).get(papers).status_code == 403


def test_another_providers_case_is_not_found(client_for, api_for, rectified, provider_quinn):
    assert client_for(provider_quinn).get(rectified.get_absolute_url()).status_code == 404
    api = api_for(provider_quinn)
    assert api.get(f"/api/v1/escalations/{rectified.pk}/").status_code == 404
    assert api.get("/api/v1/escalations/").json()["results"] == []
    for letter in Document.objects.about(rectified):
        assert client_for(provider_quinn).get(letter.get_absolute_url()).status_code == 404


def test_the_api_gives_a_provider_its_stage_and_dates_only(api_for, rectified, provider_pat):
    data = api_for(provider_pat).get(f"/api/v1/escalations/{rectified.pk}/").json()
    assert data["stage"] == "rectification_notice"
    assert data["rectification_notice_on"] == "2026-03-10"
    for hidden in ("concerns", "headline_concerns", "recommendations", "moves", "close_reason"):
        assert data[hidden] is None, hidden
    assert api_for(provider_pat).post(f"/api/v1/escalations/{rectified.pk}/close/").status_code


# --- The API ---------------------------------------------------------------------------------


def test_the_api_opens_and_moves_a_case_with_403_and_409_reasons(
    api_for, sunrise_house, officer_olivia, manager_maya, board_bea
):
    officer = api_for(officer_olivia)
    refused = api_for(board_bea).post(
        "/api/v1/escalations/", {"service": sunrise_house.pk, "concerns": CONCERNS}
    )
    assert refused.status_code == 403
    made = officer.post("/api/v1/escalations/", {"service": sunrise_house.pk, "concerns": CONCERNS})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    again = officer.post("/api/v1/escalations/", {"service": sunrise_house.pk, "concerns": "x"})
    assert again.status_code == 409 and "already has an open" in again.json()["detail"]
    early = officer.post(f"/api/v1/escalations/{pk}/advance/")
    assert early.status_code == 409 and "Record the contact" in early.json()["detail"]
    contact = officer.post(
        f"/api/v1/escalations/{pk}/record-contact/",
        {
            "contact_kind": "meeting",
            "contact_on": f"{timezone.localdate():%Y-%m-%d}",
            "contact_with": "Jo",
            "contact_outcome": "Plan agreed",
        },
    )
    assert contact.status_code == 200, contact.content
    assert officer.post(f"/api/v1/escalations/{pk}/advance/").json()["stage"] == "formal"
    refer = officer.post(
        f"/api/v1/escalations/{pk}/advance/",
        {"headline_concerns": HEADLINE, "recommendations": RECOMMENDATIONS},
    )
    assert refer.status_code == 403 and "quality manager" in refer.json()["detail"]
    referral = api_for(manager_maya).post(
        f"/api/v1/escalations/{pk}/advance/",
        {"headline_concerns": HEADLINE, "recommendations": RECOMMENDATIONS},
    )
    assert referral.json()["stage"] == "board"
    no_decision = officer.post(f"/api/v1/escalations/{pk}/advance/", {"to": "final_warning"})
    assert no_decision.status_code == 409
    assert "quorate board meeting" in no_decision.json()["detail"]
    down = officer.post(f"/api/v1/escalations/{pk}/de-escalate/", {})
    assert down.status_code == 409 and down.json()["detail"] == "Give the reason."
    down = officer.post(f"/api/v1/escalations/{pk}/de-escalate/", {"reason": "Improving"})
    assert down.json()["stage"] == "formal"
    assert [m["action"] for m in down.json()["moves"]] == [
        "open",
        "record-contact",
        "advance",
        "advance",
        "de-escalate",
    ]
    closed = officer.post(f"/api/v1/escalations/{pk}/close/", {"reason": "Resolved"})
    assert closed.json()["stage"] == "closed" and closed.json()["closed_at_stage"] == "formal"


def test_the_api_edits_the_papers_with_the_version(api_for, sunrise_house, officer_olivia):
    case = formal(sunrise_house, officer_olivia)
    api = api_for(officer_olivia)
    url = f"/api/v1/escalations/{case.pk}/"
    first = api.patch(url, {"recommendations": "First", "version": case.version}, format="json")
    assert first.status_code == 200 and first.json()["recommendations"] == "First"
    stale = api.patch(url, {"recommendations": "Second", "version": case.version}, format="json")
    assert stale.status_code == 409
    bad = api.patch(url, {"annual_spend": "-5"}, format="json")
    assert bad.status_code == 400
    assert api.put(url, {"recommendations": "x"}, format="json").status_code == 405
    case.refresh_from_db()
    assert case.recommendations == "First"


def test_a_contact_recorded_in_the_api_is_checked(api_for, sunrise_house, officer_olivia):
    case = contacted(opened(sunrise_house, officer_olivia), officer_olivia)
    bad = api_for(officer_olivia).post(
        f"/api/v1/escalations/{case.pk}/record-contact/", {"contact_kind": "letter"}
    )
    assert bad.status_code == 400
