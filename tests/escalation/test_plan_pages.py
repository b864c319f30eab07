"""Improvement plan pages: what officers and providers see and do, with clear messages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from escalation import plan_services
from escalation.models import ImprovementPlan, PlanSuggestion
from tests.escalation.plan_support import red_review, suggested, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(sunrise_house, officer_olivia):
    red_review(sunrise_house, officer=officer_olivia)
    return plan_services.open_plan(
        sunrise_house, actor=officer_olivia, suggestions=[suggested(sunrise_house)]
    )


def test_the_service_page_suggests_a_plan_to_officers_only(
    sunrise_house, officer_olivia, provider_pat, client_for
):
    red_review(sunrise_house, officer=officer_olivia)
    plan_services.sync_suggestions(date(2026, 11, 10))
    page = client_for(officer_olivia).get(sunrise_house.get_absolute_url()).content.decode()
    assert "An improvement plan is suggested" in page
    assert "Final review rated Red on 10 November 2026" in page
    home = client_for(officer_olivia).get("/").content.decode()
    assert "Improvement plans suggested" in home
    page = client_for(provider_pat).get(sunrise_house.get_absolute_url()).content.decode()
    assert "An improvement plan is suggested" not in page


def test_asking_for_a_plan_from_the_suggestion(sunrise_house, officer_olivia, client_for):
    red_review(sunrise_house, officer=officer_olivia)
    suggestion = suggested(sunrise_house)
    client = client_for(officer_olivia)
    url = f"/services/{sunrise_house.pk}/improvement-plan/new/"
    empty = client.post(url, {})
    assert empty.status_code == 200
    assert "Choose what the plan answers, or describe the issue." in empty.content.decode()
    response = client.post(url, {"suggestions": [suggestion.pk]})
    plan = ImprovementPlan.objects.get()
    assert response.status_code == 302 and response.url == plan.get_absolute_url()
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "S1 Safeguarding: scored Red" in page
    due = timezone.localdate() + timedelta(days=14)
    assert f"{due.day} {due:%B %Y}" in page


def test_the_provider_writes_and_submits_the_plan(plan, provider_pat, client_for):
    client = client_for(provider_pat)
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Name the person responsible for delivering the plan." in page  # why not yet
    issue = plan.issues.first()
    bad = client.post(
        f"/improvement-plans/{plan.pk}/issues/{issue.pk}/actions/new/",
        {"what": "", "success_measure": "", "responsible": "", "due_on": "31/2/2027"},
    )
    body = bad.content.decode()
    assert "Say what will be done" in body and "real date" in body
    written(plan, by=provider_pat, today=timezone.localdate())
    response = client.post(f"/improvement-plans/{plan.pk}/step/submit/")
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "submitted"


def test_the_officer_returns_with_a_comment_per_action(
    plan, provider_pat, officer_olivia, client_for
):
    written(plan, by=provider_pat, today=timezone.localdate())
    plan_services.submit(plan, actor=provider_pat)
    client = client_for(officer_olivia)
    url = f"/improvement-plans/{plan.pk}/return/"
    assert "Say what the provider should change" in client.post(url, {}).content.decode()
    action = plan.actions.first()
    assert client.post(url, {f"comment_{action.pk}": "Measurable, please"}).status_code == 302
    page = client_for(provider_pat).get(plan.get_absolute_url()).content.decode()
    assert "Measurable, please" in page and "Returned by the council" in page


def test_another_organisation_gets_404_on_every_plan_page(
    plan, provider_quinn, provider_pat, client_for
):
    action = written(plan, by=provider_pat, today=timezone.localdate()).actions.first()
    client = client_for(provider_quinn)
    for url in (
        plan.get_absolute_url(),
        f"/improvement-plans/{plan.pk}/details/",
        f"/improvement-plans/{plan.pk}/issues/new/",
        f"/improvement-plans/{plan.pk}/actions/{action.pk}/change/",
        f"/improvement-plans/{plan.pk}/actions/{action.pk}/remove/",
        f"/improvement-plans/{plan.pk}/step/submit/",
        f"/improvement-actions/{action.pk}/update/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"responsible_person": "x"}).status_code == 404, url
    listing = client.get("/improvement-plans/").content.decode()
    assert "Sunrise House" not in listing


def test_removing_an_action_asks_first(plan, provider_pat, client_for):
    action = written(plan, by=provider_pat, today=timezone.localdate()).actions.first()
    client = client_for(provider_pat)
    url = f"/improvement-plans/{plan.pk}/actions/{action.pk}/remove/"
    assert "Are you sure you want to remove this action?" in client.get(url).content.decode()
    assert plan.actions.filter(pk=action.pk).exists()
    assert client.post(url).status_code == 302
    assert not plan.actions.filter(pk=action.pk).exists()


def test_not_needed_needs_a_reason(sunrise_house, officer_olivia, client_for):
    red_review(sunrise_house, officer=officer_olivia)
    suggestion = suggested(sunrise_house)
    client = client_for(officer_olivia)
    url = f"/plan-suggestions/{suggestion.pk}/not-needed/"
    assert "Say why no improvement plan is needed" in client.post(url, {}).content.decode()
    assert client.post(url, {"reason": "CQC plan covers it"}).status_code == 302
    assert PlanSuggestion.objects.get().status == "not_needed"


def test_the_list_downloads_as_csv(plan, officer_olivia, provider_pat, client_for):
    response = client_for(officer_olivia).get("/improvement-plans/?_export=csv")
    assert response.status_code == 200
    text = (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )
    assert "Sunrise House" in text
    assert client_for(provider_pat).get("/improvement-plans/?_export=csv").status_code == 403
