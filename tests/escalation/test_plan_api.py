"""``/api/v1/improvement-plans/`` and its nested actions: the same rules as the pages, with
403/409 and a reason, and nothing of another organisation's reachable by any id."""

from __future__ import annotations

from datetime import date

import pytest

from escalation.models import ImprovementPlan, PlanSuggestion
from tests.escalation.plan_support import red_review, suggested
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/improvement-plans/"


@pytest.fixture
def plan_id(sunrise_house, officer_olivia, api_for):
    red_review(sunrise_house, officer=officer_olivia)
    suggestion = suggested(sunrise_house)
    response = api_for(officer_olivia).post(
        BASE, {"service": sunrise_house.pk, "suggestions": [suggestion.pk]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["issues"]) == 2
    return response.json()["id"]


def _write(api, plan_id):
    plan = api.get(f"{BASE}{plan_id}/").json()
    assert (
        api.post(
            f"{BASE}{plan_id}/details/", {"responsible_person": "Pat Jones"}, format="json"
        ).status_code
        == 200
    )
    for issue in plan["issues"]:
        response = api.post(
            f"{BASE}{plan_id}/actions/",
            {
                "issue": issue["id"],
                "what": "Weekly medicines audit",
                "success_measure": "Audit scores 100% for 8 weeks",
                "responsible": "Deputy manager",
                "due_on": "2027-02-01",
            },
            format="json",
        )
        assert response.status_code == 201, response.content


def test_the_whole_plan_through_the_api(plan_id, api_for, provider_pat, officer_olivia):
    pat, olivia = api_for(provider_pat), api_for(officer_olivia)
    refused = pat.post(f"{BASE}{plan_id}/submit/")
    assert refused.status_code == 409
    assert "person responsible" in refused.json()["detail"]
    _write(pat, plan_id)
    assert pat.post(f"{BASE}{plan_id}/submit/").status_code == 200
    assert pat.post(f"{BASE}{plan_id}/accept/").status_code == 403
    actions = olivia.get(f"{BASE}{plan_id}/actions/").json()["results"]
    returned = olivia.post(
        f"{BASE}{plan_id}/return/",
        {"comments": {str(actions[0]["id"]): "Say how often"}},
        format="json",
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert returned.json()["actions"][0]["return_comment"] == "Say how often"
    assert returned.json()["requested_by"] == officer_olivia.pk
    assert pat.get(f"{BASE}{plan_id}/").json()["requested_by"] is None  # the council's working
    assert pat.post(f"{BASE}{plan_id}/submit/").status_code == 200
    assert olivia.post(f"{BASE}{plan_id}/accept/").json()["status"] == "accepted"
    evidence = EvidenceFactory(provider=provider_pat.provider)
    for found in actions:
        url = f"{BASE}{plan_id}/actions/{found['id']}/"
        done = pat.post(
            f"{url}update/",
            {"text": "Done", "status": "done", "evidence": [evidence.pk]},
            format="json",
        )
        assert done.status_code == 200 and done.json()["status"] == "done"
        assert done.json()["updates"][0]["evidence"] == [evidence.pk]
        assert pat.post(f"{url}verify/").status_code == 403
        assert olivia.post(f"{url}verify/").json()["status"] == "verified"
    assert olivia.get(f"{BASE}{plan_id}/").json()["status"] == "closed"
    assert olivia.post(f"{BASE}{plan_id}/close/").status_code == 409


def test_evidence_is_the_providers_own_and_clean(
    plan_id, api_for, provider_pat, officer_olivia, oak_lodge
):
    pat, olivia = api_for(provider_pat), api_for(officer_olivia)
    _write(pat, plan_id)
    pat.post(f"{BASE}{plan_id}/submit/")
    olivia.post(f"{BASE}{plan_id}/accept/")
    action_id = olivia.get(f"{BASE}{plan_id}/actions/").json()["results"][0]["id"]
    url = f"{BASE}{plan_id}/actions/{action_id}/update/"
    for evidence in (
        EvidenceFactory(provider=oak_lodge),
        EvidenceFactory(provider=provider_pat.provider, scan_status="pending"),
    ):
        response = pat.post(
            url, {"text": "x", "status": "done", "evidence": [evidence.pk]}, format="json"
        )
        assert response.status_code == 400
        assert "evidence" in response.json()


def test_another_organisation_reaches_nothing_by_any_id(plan_id, api_for, provider_quinn):
    quinn = api_for(provider_quinn)
    assert quinn.get(BASE).json()["count"] == 0
    assert quinn.get(f"{BASE}{plan_id}/").status_code == 404
    assert quinn.post(f"{BASE}{plan_id}/submit/").status_code == 404
    assert quinn.get(f"{BASE}{plan_id}/actions/").status_code == 404
    action_id = ImprovementPlan.objects.get(pk=plan_id).issues.first().pk
    assert (
        quinn.post(
            f"{BASE}{plan_id}/actions/",
            {
                "issue": action_id,
                "what": "x",
                "success_measure": "y",
                "responsible": "z",
                "due_on": "2027-01-01",
            },
            format="json",
        ).status_code
        == 404
    )
    assert quinn.get("/api/v1/plan-suggestions/").json()["count"] == 0


def test_suggestions_not_needed(sunrise_house, officer_olivia, api_for, provider_pat):
    red_review(sunrise_house, officer=officer_olivia, day=date(2026, 11, 10))
    suggestion = suggested(sunrise_house)
    url = f"/api/v1/plan-suggestions/{suggestion.pk}/not-needed/"
    assert api_for(provider_pat).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api_for(officer_olivia).post(url, {}, format="json").status_code == 409
    response = api_for(officer_olivia).post(url, {"reason": "Covered"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "not_needed"
    assert PlanSuggestion.objects.get().decided_by == officer_olivia


def test_a_second_open_plan_is_refused_with_the_reason(
    plan_id, sunrise_house, officer_olivia, api_for
):
    response = api_for(officer_olivia).post(
        BASE, {"service": sunrise_house.pk, "text": "More"}, format="json"
    )
    assert response.status_code == 409
    assert "open improvement plan already" in response.json()["detail"]
