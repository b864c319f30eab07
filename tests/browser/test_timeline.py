"""Olivia opens Sunrise House's timeline from its page, narrows it to intelligence, mistypes a
date and is told so; every state of the page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.providers.test_timeline import everything

pytestmark = pytest.mark.browser


def test_officer_reads_and_filters_the_timeline(
    page, login, axe_check, shoot, sunrise_house, officer_olivia, manager_maya, provider_pat
):
    everything(sunrise_house, officer_olivia, manager_maya, provider_pat)
    login(page, officer_olivia)
    page.goto(sunrise_house.get_absolute_url())
    page.get_by_role("link", name="Timeline: everything about this service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline: Sunrise House")
    expect(page.get_by_role("heading", name="Wednesday 1 July 2026")).to_be_visible()
    axe_check(page)
    shoot(page, "timeline")

    page.get_by_label("Intelligence").check()
    page.get_by_role("button", name="Apply filters").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Quarterly meeting")
    expect(main).not_to_contain_text("Staffing rotas")
    axe_check(page)

    page.get_by_label("From").fill("31/2/2026")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "From must be a real date, like 27/3/2026"
    )
    axe_check(page)
