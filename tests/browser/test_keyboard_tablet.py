"""Olivia, on site with a tablet and its keyboard, corrects Sunrise House's capacity."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from providers.models import ServiceType
from tests.factories import ProviderFactory, ServiceFactory

pytestmark = pytest.mark.browser

MAX_TABS = 60


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {
                tag: el.tagName.toLowerCase(),
                id: el.id,
                name: el.getAttribute("name") || "",
                text: (el.innerText || "").trim(),
                classes: el.className || "",
            };
        }"""
    )


def _tab_to(page, matches, what: str) -> dict:
    """Press Tab until the focused element ``matches``; fail after MAX_TABS presses."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if matches(focused):
            return focused
    raise AssertionError(f"{what} never got focus after {MAX_TABS} presses of Tab")


def test_officer_edits_a_service_with_the_keyboard_on_a_tablet(
    tablet_page, login, axe_check, shoot, officer_olivia, sunrise_house
):
    page = tablet_page
    ServiceFactory(
        provider=ProviderFactory(name="Avonmere and Northfield Community Healthcare Partnership"),
        name="Riverside Court Extra Care Housing with Support",
        service_type=ServiceType.CARE_HOME_NURSING,
        local_authority_area="Northfield and Upper Avon Valley",
    )
    login(page, officer_olivia)
    # The register list fits the tablet's width: the page itself never scrolls sideways.
    page.goto("/services/")
    expect(page.locator("#results")).to_contain_text("Sunrise House")
    axe_check(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "tablet-services")

    page.goto(sunrise_house.get_absolute_url())
    axe_check(page)
    shoot(page, "tablet-service")

    # The first Tab reaches the skip link; Enter moves focus to the main content.
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert "govuk-skip-link" in focused["classes"], focused
    expect(page.locator(".govuk-skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main-content"

    # From the main content (the header's links skipped), Tab reaches Edit; Enter follows it.
    _tab_to(page, lambda f: f["text"] == "Edit service", "The Edit service button")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/services/{sunrise_house.pk}/edit/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Sunrise House")
    axe_check(page)
    shoot(page, "tablet-service-edit")

    # Tab to Capacity, replace its value, and submit the form with Enter.
    _tab_to(page, lambda f: f["name"] == "capacity", "The Capacity field")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("45")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/services/{sunrise_house.pk}/$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Sunrise House saved"
    )
    capacity = page.locator(".govuk-summary-list__row", has_text="Capacity")
    expect(capacity.locator("dd")).to_have_text("45")
    axe_check(page)
    shoot(page, "tablet-service-saved")
    sunrise_house.refresh_from_db()
    assert sunrise_house.capacity == 45
