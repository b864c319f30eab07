"""Maya, a manager, answers the nightly check's suggestion for Sunrise House with the keyboard
alone, proposes level 3 for Oak Lodge; the board approves it and Mo records the decision. Every
page checked with axe; Pat, at Sunrise Care, never sees a concern level."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from escalation.models import ConcernLevel
from tests.browser.test_keyboard_tablet import _focused, _tab_to
from tests.escalation.support import board_decides_concern, waiting_suggestion

pytestmark = pytest.mark.browser


def test_managers_decide_concern_levels_with_the_keyboard(
    page,
    login,
    axe_check,
    shoot,
    manager_maya,
    manager_mo,
    board_bea,
    sunrise_house,
    oak_lodge_home,
):
    waiting_suggestion(sunrise_house)
    login(page, manager_maya)
    expect(page.locator("#concern-waiting")).to_contain_text("1 suggestion from the nightly check")
    axe_check(page)
    page.locator("#concern-waiting a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Concern levels")
    expect(page.locator("#suggestions")).to_contain_text("Requires improvement")
    axe_check(page)
    shoot(page, "concern-queue")

    # From the queue to the service's page, then keyboard only.
    page.goto(sunrise_house.get_absolute_url())
    expect(page.locator("#concern-level")).to_have_text("Concern level")
    axe_check(page)
    shoot(page, "concern-service-level-1")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link: focus on the main content
    _tab_to(page, lambda f: f["text"].startswith("Move to level 2"), "Accepting the suggestion")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the concern level")
    expect(page.get_by_role("main")).to_contain_text("This accepts the nightly check's suggestion")
    axe_check(page)
    # The only level on offer (2) is chosen already; the reason is next.
    expect(page.get_by_label(re.compile("Level 2: moderate concerns"))).to_be_checked()
    _tab_to(page, lambda f: f["name"] == "reason", "The reason")
    page.keyboard.type("The CQC rating fell to Requires improvement.")
    _tab_to(page, lambda f: f["text"] == "Save the decision", "The save button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_contain_text("The service is now at level 2.")
    expect(page.locator("#concern-history")).to_contain_text(
        "The CQC rating fell to Requires improvement."
    )
    expect(page.get_by_role("main")).to_contain_text("Unannounced visit undertaken")
    assert _focused(page)  # the page answered and kept focus somewhere sensible
    axe_check(page)
    shoot(page, "concern-service-level-2")

    # A move to level 3 waits for the board.
    page.goto(f"/services/{oak_lodge_home.pk}/concern-level/propose/")
    page.get_by_label("Reason for the proposal").fill("Rated Inadequate at the re-inspection.")
    page.get_by_role("button", name="Propose it").click()
    expect(page.locator("#concern-proposal")).to_contain_text("Level 3 is proposed")
    expect(page.locator("#concern-proposal")).to_contain_text("waits for the board's decision")
    axe_check(page)
    page.get_by_role("button", name="Sign out").click()
    board_decides_concern(oak_lodge_home, "approve", bea=board_bea, maya=manager_maya)

    login(page, manager_mo)
    page.goto("/concern-levels/")
    expect(page.locator("#proposals")).to_contain_text("Rated Inadequate at the re-inspection.")
    page.locator("#proposals").get_by_role(
        "link", name=re.compile("^The board approved the move")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Record the board's approval of the proposed level"
    )
    expect(page.get_by_role("main")).to_contain_text("The board's decision at its meeting of")
    axe_check(page)
    page.get_by_role("button", name="Move to the approved level").click()
    expect(page.get_by_role("main")).to_contain_text("The service is now at level 3.")
    expect(page.locator("#concern-history")).to_contain_text("approved, recorded by Mo")
    axe_check(page)
    assert ConcernLevel.objects.get(pk=oak_lodge_home.pk).level == 3


def test_provider_users_never_see_concern_levels(
    page, login, axe_check, provider_pat, sunrise, sunrise_house, manager_maya
):
    ConcernLevel.objects.create(service=sunrise_house, level=3)
    login(page, provider_pat)
    for url in ("/", sunrise.get_absolute_url(), sunrise_house.get_absolute_url()):
        page.goto(url)
        expect(page.get_by_role("main")).not_to_contain_text("oncern level")
        axe_check(page)
    page.problems.expect_error_status("/concern-levels/")
    response = page.goto("/concern-levels/")
    assert response.status == 403
    axe_check(page)
