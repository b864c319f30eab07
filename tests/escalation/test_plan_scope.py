"""Improvement plans across organisations, by any id (SPEC §10; issue 12): Pat (Sunrise) never
reaches Oak Lodge's plan, its issues, actions or evidence through a URL or a form field of her
own plan's pages, and nothing is written when she tries. And what the plan's pages show the
provider and the officer at the steps where they need it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalation import plan_services
from escalation.models import PlanAction, PlanIssue, PlanUpdate
from tests.escalation.plan_support import plan_for, written
from tests.factories import EvidenceFactory, ServiceFactory

pytestmark = pytest.mark.django_db

ACTION = {
    "what": "Train every nurse",
    "success_measure": "Training records",
    "responsible": "Clinical lead",
    "due_on": "31/1/2099",
}


@pytest.fixture
def plans(sunrise_house, oak_lodge, officer_olivia, provider_pat, provider_quinn):
    """Sunrise's plan and Oak Lodge's, both accepted, each with one agreed action."""
    made = {}
    for service, user in (
        (sunrise_house, provider_pat),
        (ServiceFactory(provider=oak_lodge, name="Oak Lodge"), provider_quinn),
    ):
        plan = written(plan_for(service, officer=officer_olivia)[0], by=user)
        plan_services.submit(plan, actor=user)
        plan_services.accept(plan, actor=officer_olivia)
        made[service.provider.name] = plan
    return made["Sunrise Care Ltd"], made["Oak Lodge Ltd"]


def test_pat_reaches_nothing_of_oak_lodges_plan_through_her_own_plans_pages(
    client_for, provider_pat, officer_olivia, plans
):
    own, theirs = plans
    # Her own plan back with her, so that its writing pages are open to her.
    plan_services.add_issue(own, actor=officer_olivia, text="Falls not analysed")
    their_issue = theirs.issues.first()
    their_action = theirs.actions.first()
    what = their_action.what
    client = client_for(provider_pat)
    urls = [
        reverse("escalation:plan_action_add", args=[own.pk, their_issue.pk]),
        reverse("escalation:plan_action_edit", args=[own.pk, their_action.pk]),
        reverse("escalation:plan_action_delete", args=[own.pk, their_action.pk]),
        reverse("escalation:plan_action_update", args=[their_action.pk]),
    ]
    before = (PlanAction.objects.count(), PlanUpdate.objects.count(), PlanIssue.objects.count())
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {**ACTION, "status": "done", "text": "x"}).status_code == 404
    after = (PlanAction.objects.count(), PlanUpdate.objects.count(), PlanIssue.objects.count())
    assert after == before
    their_action.refresh_from_db()
    assert (their_action.what, their_action.status) == (what, "not_started")


def test_an_update_cannot_carry_another_organisations_evidence_by_its_id(
    client_for, provider_pat, plans, oak_lodge, sunrise
):
    own, _theirs = plans
    action = own.actions.first()
    theirs = EvidenceFactory(provider=oak_lodge, scan_status="clean", title="Oak Lodge audit")
    mine = EvidenceFactory(provider=sunrise, scan_status="clean", title="Sunrise audit")
    client = client_for(provider_pat)
    url = reverse("escalation:plan_action_update", args=[action.pk])
    page = client.get(url)
    assert b"Sunrise audit" in page.content and b"Oak Lodge audit" not in page.content
    refused = client.post(url, {"status": "done", "text": "Done", "evidence": [theirs.pk]})
    assert refused.status_code == 200
    assert "evidence" in refused.context["form"].errors
    assert not PlanUpdate.objects.exists()
    action.refresh_from_db()
    assert action.status == "not_started"
    # Her own library's file is taken.
    assert (
        client.post(url, {"status": "done", "text": "Done", "evidence": [mine.pk]}).status_code
        == 302
    )
    assert list(PlanUpdate.objects.get().evidence.all()) == [mine]


def test_the_change_action_page_shows_the_councils_comment(
    client_for, sunrise_house, officer_olivia, provider_pat
):
    plan = written(plan_for(sunrise_house, officer=officer_olivia)[0], by=provider_pat)
    plan_services.submit(plan, actor=provider_pat)
    action = plan.actions.first()
    plan_services.return_plan(
        plan, actor=officer_olivia, comments={action.pk: "Give a number and a date."}
    )
    page = client_for(provider_pat).get(
        reverse("escalation:plan_action_edit", args=[plan.pk, action.pk])
    )
    assert "The council&#x27;s comment: Give a number and a date." in page.content.decode()


def test_the_verify_page_shows_the_updates_and_their_evidence(
    client_for, officer_olivia, provider_pat, plans, sunrise
):
    own, _theirs = plans
    action = own.actions.first()
    audit = EvidenceFactory(provider=sunrise, scan_status="clean", title="Sunrise audit")
    plan_services.post_update(
        action, actor=provider_pat, text="Audits at 100%", status="done", evidence=[audit]
    )
    page = (
        client_for(officer_olivia)
        .get(reverse("escalation:plan_action_step", args=[action.pk, "verify"]))
        .content.decode()
    )
    assert "Audits at 100%" in page
    assert f'href="{audit.get_download_url()}">Sunrise audit</a>' in page


def test_the_list_shows_the_submit_by_day_only_while_the_provider_has_the_plan(
    client_for, officer_olivia, plans, sunrise_lodge
):
    plan_services.open_plan(sunrise_lodge, actor=officer_olivia, text="Falls")
    rows = client_for(officer_olivia).get(reverse("escalation:plan_list")).context["table"].rows
    shown = {row.record.service.name: row.get_cell("submit_due") for row in rows}
    assert shown["Sunrise House"] == "—"  # accepted
    assert shown["Sunrise Lodge"] != "—"
