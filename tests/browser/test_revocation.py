"""A revocation in the browser: Olivia (officer) proposes to revoke Sunrise House from its page
and records the meeting with the provider; Maya (manager) sees why she cannot revoke yet, puts
it on a board meeting's agenda and, once the quorate meeting has decided, revokes; Pat (Sunrise
Care) sees the outcome (never the proposal) and appeals. axe checks every page."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation import board_services
from escalation.models import Revocation, RevocationStatus
from tests.escalation.board_support import seat_members
from tests.escalation.revocation_support import board_decides

pytestmark = pytest.mark.browser


def test_propose_meet_decide_revoke_and_appeal_in_the_browser(
    page,
    login,
    axe_check,
    shoot,
    officer_olivia,
    manager_maya,
    board_bea,
    provider_pat,
    sunrise_house,
):
    login(page, officer_olivia)
    page.goto(sunrise_house.get_absolute_url())
    page.get_by_role("link", name="Propose revocation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose a revocation")
    axe_check(page)
    page.get_by_role("button", name="Propose the revocation").click()  # nothing filled in
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose at least one reason")
    axe_check(page)
    page.get_by_label("systematic safeguarding concerns", exact=False).check()
    page.get_by_role("textbox", name="The concerns").fill(
        "Three safeguarding enquiries in six months."
    )
    page.get_by_label("Other options tried first").fill("Suspension; improvement plan.")
    page.get_by_role("button", name="Propose the revocation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revocation")
    axe_check(page)
    shoot(page, "revocation-proposed")

    page.get_by_role("link", name="Record the meeting").click()
    axe_check(page)
    page.get_by_label("Date of the meeting").fill(timezone.localdate().strftime("%d/%m/%Y"))
    page.get_by_label("Who attended").fill("Olivia Brown, Maya Patel; the owner")
    page.get_by_label("Assurance not provided", exact=False).check()
    page.get_by_role("button", name="Record the meeting").click()
    expect(page.get_by_role("main")).to_contain_text("With the board for a decision")
    page.get_by_role("button", name="Sign out").click()

    members = seat_members(bea=board_bea, maya=manager_maya)
    board_services.arrange(
        actor=manager_maya, starts_at=timezone.now() + timezone.timedelta(days=9), place="R2"
    )
    login(page, manager_maya)
    revocation = Revocation.objects.get()
    page.goto(revocation.get_absolute_url())
    expect(page.get_by_role("main")).to_contain_text("The board has not decided to revoke")
    axe_check(page)
    page.get_by_role("link", name="Put on a board meeting's agenda").click()
    axe_check(page)
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Put it on the agenda").click()
    expect(page.get_by_role("main")).to_contain_text("Board meeting of")

    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya, members=members)
    page.reload()
    page.get_by_role("link", name="Revoke and write to the provider").click()
    expect(page.get_by_role("main")).to_contain_text("The board decided to revoke")
    axe_check(page)
    page.get_by_label("How the people supported and their families are told").fill(
        "Letters this week; a meeting at the service."
    )
    page.get_by_label("How their care is transferred to other providers").fill(
        "Social workers agree new providers by January."
    )
    page.get_by_role("button", name="Revoke and issue the letter").click()
    expect(page.get_by_role("main")).to_contain_text("Revoked")
    axe_check(page)
    shoot(page, "revocation-revoked")
    page.get_by_role("button", name="Sign out").click()

    login(page, provider_pat)
    page.goto(revocation.get_absolute_url())
    expect(page.get_by_role("main")).not_to_contain_text("Three safeguarding enquiries")
    axe_check(page)
    page.get_by_role("link", name="Appeal").click()
    axe_check(page)
    page.get_by_label("Why should the revocation be overturned?").fill("A new manager started.")
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.get_by_role("main")).to_contain_text("A new manager started.")
    axe_check(page)
    revocation.refresh_from_db()
    assert revocation.status == RevocationStatus.REVOKED
