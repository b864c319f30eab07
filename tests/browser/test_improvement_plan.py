"""An improvement plan from request to close, as Pat of Sunrise Care and Olivia live it.

Set up: Olivia, a quality officer, has sent Sunrise House an information request of two items
and asked for an improvement plan answering two issues; Sunrise's evidence library holds last
month's medicines audit. Then, through the pages only: Pat answers the request by uploading the
policy and reusing the audit from the library; writes the plan (the person responsible, an action
per issue) and submits it. Olivia returns it with a comment on one action; Pat changes that
action and submits again; Olivia accepts. Pat posts an update on each action, done, one with the
audit from the library; Olivia verifies both, and the plan closes. Olivia works on her tablet,
Pat at a desk; every distinct page either of them sees is checked with axe.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from escalation import plan_services
from escalation.models import ImprovementPlan, PlanAction, PlanUpdate
from providers.evidence import Evidence
from reviews import information as info
from reviews.models import InformationRequestItem
from tests.factories import EvidenceFactory
from tests.providers.test_evidence import pdf

pytestmark = pytest.mark.browser

AUDIT = "Medicines audit, October"
POLICY = "Medicines policy 2026"
VAGUE = "Staff to be more aware of medicines"
SPECIFIC = "Medicines training for every senior carer, with a competency check"


def _banner(page):
    return page.locator(".govuk-notification-banner--success")


def _heading(page):
    return page.get_by_role("heading", level=1)


def _for_action(label: str, issue: int):
    """A step's link on the plan's page: "<label>: action 1 of issue <n>" (GOV.UK's visually
    hidden text adds a space before the colon)."""
    return re.compile(rf"^{label}\W+action 1 of issue {issue}\W*$")


def _status(page):
    return page.locator(".govuk-summary-list__row", has_text="Status").first


@pytest.fixture
def story(settings, tmp_path, officer_olivia, provider_pat, sunrise_house):
    """The request sent and the plan asked for, through the services (the officer's side
    before the journey starts); the audit in Sunrise's library, scanned clean."""
    settings.MEDIA_ROOT = tmp_path
    audit = EvidenceFactory(
        provider=sunrise_house.provider, title=AUDIT, scan_status="clean", uploaded_by=provider_pat
    )
    audit.file.save("audit.pdf", ContentFile(pdf()), save=True)
    request = info.send_request(
        info.create_request(
            sunrise_house,
            actor=officer_olivia,
            title="Medicines",
            items=["Your medicines policy", "Your latest medicines audit"],
        ),
        actor=officer_olivia,
    )
    plan = plan_services.open_plan(
        sunrise_house,
        actor=officer_olivia,
        text="Three medicines errors reported in two months.",
    )
    plan_services.add_issue(
        plan, actor=officer_olivia, text="Staff do not know the medicines policy."
    )
    return {"audit": audit, "request": request, "plan": plan}


def test_an_improvement_plan_from_request_to_close(
    page, tablet_page, login, axe_check, shoot, story, officer_olivia, provider_pat
):
    pat, olivia = page, tablet_page
    plan, audit = story["plan"], story["audit"]
    menu = pat.get_by_role("navigation", name="Menu")
    due = timezone.localdate() + timedelta(days=60)

    # --- Pat answers the request: the policy uploaded, the audit reused from the library
    login(pat, provider_pat)
    menu.get_by_role("link", name="Information requests").click()
    expect(_heading(pat)).to_have_text("Information requests")
    axe_check(pat)
    pat.get_by_role("link", name="Medicines").click()
    expect(_heading(pat)).to_have_text("Medicines")
    axe_check(pat)
    pat.get_by_role("link", name="Answer item 1").click()
    expect(_heading(pat)).to_have_text("Your medicines policy")
    axe_check(pat)
    pat.get_by_label("Title of the new file").fill(POLICY)
    pat.get_by_label("Date of the new file").fill(f"{timezone.localdate():%d/%m/%Y}")
    with pat.expect_file_chooser() as choosing:
        pat.get_by_label("Or upload a new file").click()
    choosing.value.set_files(
        {"name": "medicines-policy.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    )
    pat.get_by_role("button", name="Save the answer").click()
    expect(_banner(pat)).to_contain_text("Answer saved")
    pat.get_by_role("link", name="Answer item 2").click()
    expect(_heading(pat)).to_have_text("Your latest medicines audit")
    pat.get_by_label(AUDIT).check()
    pat.get_by_role("button", name="Save the answer").click()
    expect(_banner(pat)).to_contain_text("Answer saved")
    first, second = InformationRequestItem.objects.filter(request=story["request"]).order_by(
        "order"
    )
    assert [e.title for e in first.evidence.all()] == [POLICY]
    assert list(second.evidence.all()) == [audit]
    # One upload joined the library; the audit was reused, not copied.
    assert Evidence.objects.filter(provider=audit.provider).count() == 2

    # --- Pat writes the plan: the person responsible, an action per issue; submits it
    menu.get_by_role("link", name="Improvement plans").click()
    expect(_heading(pat)).to_have_text("Improvement plans")
    axe_check(pat)
    pat.get_by_role("link", name="Sunrise House").click()
    expect(_heading(pat)).to_have_text("Improvement plan")
    expect(_status(pat)).to_contain_text("Draft")
    axe_check(pat)
    shoot(pat, "plan-draft-provider")
    pat.get_by_role("link", name="Change the person responsible").click()
    expect(_heading(pat)).to_have_text("Plan details")
    axe_check(pat)
    pat.get_by_label("Person responsible for delivering the plan").fill("Pat Jones, Manager")
    pat.get_by_role("button", name="Save").click()
    expect(_banner(pat)).to_contain_text("Plan details saved")
    actions = (
        ("Weekly audit of every MAR chart", "Audits at 100% for a month"),
        (VAGUE, "Fewer errors"),
    )
    for n, (what, measure) in enumerate(actions, start=1):
        pat.get_by_role("link", name=f"Add an action for issue {n}").click()
        expect(_heading(pat)).to_have_text("Add an action")
        if n == 1:
            axe_check(pat)
        pat.get_by_label("What will be done").fill(what)
        pat.get_by_label("How success will be evidenced").fill(measure)
        pat.get_by_label("Person responsible", exact=True).fill("The deputy manager")
        pat.get_by_label("Due date").fill(f"{due:%d/%m/%Y}")
        pat.get_by_role("button", name="Add the action").click()
        expect(_banner(pat)).to_contain_text("Action added")
    pat.get_by_role("link", name="Submit the plan").click()
    expect(_heading(pat)).to_have_text("Submit the plan")
    axe_check(pat)
    pat.get_by_role("button", name="Submit the plan to the council").click()
    expect(_banner(pat)).to_contain_text("Done: submit the plan")
    expect(_status(pat)).to_contain_text("Submitted")
    axe_check(pat)

    # --- Olivia returns it with a comment on the vague action
    # Her home page lists the plans needing her: this one, submitted.
    login(olivia, officer_olivia)
    waiting = olivia.locator("#plans-waiting")
    expect(waiting).to_contain_text("Sunrise House – submitted")
    axe_check(olivia)
    waiting.get_by_role("link", name="Sunrise House").click()
    expect(_status(olivia)).to_contain_text("Submitted")
    axe_check(olivia)
    shoot(olivia, "plan-submitted-officer")
    olivia.get_by_role("link", name="Return the plan with comments").click()
    expect(_heading(olivia)).to_have_text("Return the plan with comments")
    axe_check(olivia)
    shoot(olivia, "plan-return")
    olivia.get_by_label(f"Comment on “{VAGUE}”").fill("Say what staff will do, and by when.")
    olivia.get_by_role("button", name="Return the plan").click()
    expect(_banner(olivia)).to_contain_text("Plan returned to the provider")
    expect(_status(olivia)).to_contain_text("Returned")

    # --- Pat changes the action and submits again
    pat.reload()
    expect(_status(pat)).to_contain_text("Returned")
    expect(pat.get_by_role("main")).to_contain_text("Say what staff will do, and by when.")
    axe_check(pat)
    pat.get_by_role("link", name="Change action 1 of issue 2").click()
    expect(_heading(pat)).to_have_text("Change the action")
    expect(pat.get_by_role("main")).to_contain_text("Say what staff will do, and by when.")
    axe_check(pat)
    pat.get_by_label("What will be done").fill(SPECIFIC)
    pat.get_by_role("button", name="Save the action").click()
    expect(_banner(pat)).to_contain_text("Action saved")
    pat.get_by_role("link", name="Submit the plan").click()
    pat.get_by_role("button", name="Submit the plan to the council").click()
    expect(_status(pat)).to_contain_text("Submitted")

    # --- Olivia accepts it
    olivia.reload()
    expect(olivia.get_by_role("main")).to_contain_text(SPECIFIC)
    olivia.get_by_role("link", name="Accept the plan").click()
    expect(_heading(olivia)).to_have_text("Accept the plan")
    axe_check(olivia)
    olivia.get_by_role("button", name="Accept the plan").click()
    expect(_banner(olivia)).to_contain_text("Done: accept the plan")
    expect(_status(olivia)).to_contain_text("Accepted")
    plan.refresh_from_db()
    assert (plan.status, plan.times_returned, plan.accepted_by) == ("accepted", 1, officer_olivia)

    # --- Pat posts an update on each action: done, the first with the audit from the library
    pat.reload()
    expect(_status(pat)).to_contain_text("Accepted")
    axe_check(pat)
    for issue in (1, 2):
        pat.get_by_role("link", name=_for_action("Post an update", issue)).click()
        expect(_heading(pat)).to_have_text("Post an update on the action")
        if issue == 1:
            axe_check(pat)
            shoot(pat, "plan-update")
            pat.get_by_label(AUDIT).check()
        pat.get_by_label("Done: ready for the council to verify").check()
        pat.get_by_label("What has been done").fill("Done: see the audit.")
        pat.get_by_role("button", name="Post the update").click()
        expect(_banner(pat)).to_contain_text("Update posted")
    with_audit = PlanUpdate.objects.get(action__plan=plan, evidence__isnull=False)
    assert list(with_audit.evidence.all()) == [audit]
    shoot(pat, "plan-accepted-provider")

    # --- Olivia verifies every action: the plan closes
    olivia.reload()
    axe_check(olivia)
    shoot(olivia, "plan-accepted-officer")
    for issue in (1, 2):
        olivia.get_by_role("link", name=_for_action("Verify the action", issue)).click()
        expect(_heading(olivia)).to_have_text("Verify the action")
        if issue == 1:
            # The update and its evidence are on the page the officer verifies from.
            expect(olivia.get_by_role("link", name=AUDIT)).to_be_visible()
            axe_check(olivia)
        olivia.get_by_role("button", name="Verify: the evidence shows it is done").click()
        expect(_banner(olivia)).to_contain_text("Done: verify the action")
    expect(_banner(olivia)).to_contain_text("Every action is verified: the plan is closed.")
    expect(_status(olivia)).to_contain_text("Closed")
    axe_check(olivia)
    shoot(olivia, "plan-closed")
    plan.refresh_from_db()
    assert plan.status == "closed" and plan.closed_by == officer_olivia
    assert set(PlanAction.objects.filter(plan=plan).values_list("status", flat=True)) == {
        "verified"
    }
    assert ImprovementPlan.objects.count() == 1

    # Pat sees it closed too.
    pat.reload()
    expect(_status(pat)).to_contain_text("Closed")
    axe_check(pat)
