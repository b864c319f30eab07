"""Olivia, a quality officer, walks the register and logs a complaint about Sunrise House."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ContractFactory, IntelligenceFactory, ServiceFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def register(sunrise, sunrise_house, sunrise_lodge, oak_lodge_home, meeting_at_sunrise):
    ServiceFactory(provider=oak_lodge_home.provider, name="Oak Lodge Annexe")
    ContractFactory(reference="C-SUN-01", provider=sunrise, services=[sunrise_house, sunrise_lodge])
    IntelligenceFactory(service=oak_lodge_home, summary="Positive contract meeting at Oak Lodge")
    return sunrise_house


def _row_names(page):
    """The first column of the results table (the service names), in order."""
    return page.locator("#results tbody tr td:first-child").all_inner_texts()


def _last_month_20th() -> date:
    # A past date whose day cannot be mistaken for a month (20/10 is not 10/20).
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=20)


def test_officer_walks_the_register_and_logs_intelligence(
    page, login, axe_check, shoot, register, officer_olivia
):
    login(page, officer_olivia)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Olivia")
    axe_check(page)
    shoot(page, "desktop-home-officer")

    # Services list; searching updates the results in place (HTMX), and the address bar.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Services").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Services")
    axe_check(page)
    assert sorted(_row_names(page)) == [
        "Oak Lodge",
        "Oak Lodge Annexe",
        "Sunrise House",
        "Sunrise Lodge",
    ]
    page.evaluate("window.__noReload = true")
    page.get_by_label("Search").press_sequentially("sunrise")
    page.wait_for_url(re.compile(r"[?&]q=sunrise"))
    expect(page.locator("#result-count")).to_have_text("2 services")
    assert sorted(_row_names(page)) == ["Sunrise House", "Sunrise Lodge"]
    assert page.evaluate("window.__noReload") is True, "the search reloaded the whole page"
    axe_check(page)
    shoot(page, "desktop-services-search")

    # Sorting by a column header keeps the search.
    page.locator("th", has_text="Name").get_by_role("link").click()
    expect(page.locator("th", has_text="Name")).to_have_attribute("aria-sort", "ascending")
    assert _row_names(page) == ["Sunrise House", "Sunrise Lodge"]
    page.locator("th", has_text="Name").get_by_role("link").click()
    expect(page.locator("th", has_text="Name")).to_have_attribute("aria-sort", "descending")
    assert _row_names(page) == ["Sunrise Lodge", "Sunrise House"]
    assert "q=sunrise" in page.url
    axe_check(page)

    # A service, then its provider.
    page.get_by_role("link", name="Sunrise House").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunrise House")
    axe_check(page)
    shoot(page, "desktop-service")
    page.get_by_role("main").get_by_role("link", name="Sunrise Care Ltd").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunrise Care Ltd")
    axe_check(page)
    shoot(page, "desktop-provider")

    # Contracts and intelligence lists, and one intelligence entry.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contracts")
    expect(page.locator("#results")).to_contain_text("C-SUN-01")
    axe_check(page)
    shoot(page, "desktop-contracts")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Intelligence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Intelligence")
    axe_check(page)
    shoot(page, "desktop-intelligence")
    page.locator("#results tr", has_text="Quarterly contract meeting").get_by_role(
        "link", name=re.compile(r"\d{4}")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contract meeting")
    expect(page.get_by_role("main")).to_contain_text("Quarterly contract meeting")
    axe_check(page)
    shoot(page, "desktop-intelligence-entry")

    # Log intelligence from the service page: the empty form first.
    page.goto(register.get_absolute_url())
    page.get_by_role("button", name="Log intelligence").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("intelligence")
    axe_check(page)
    shoot(page, "desktop-intelligence-form")
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    axe_check(page)
    shoot(page, "desktop-intelligence-form-errors")
    # Each error links to its field, and following a link puts the cursor in that field.
    targets = summary.get_by_role("link").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    assert {"#id_kind", "#id_date", "#id_summary"} <= set(targets), targets
    for target in targets:
        expect(page.locator(target)).to_have_count(1)
    summary.locator('a[href="#id_date"]').click()
    expect(page.locator("#id_date")).to_be_focused()

    # Then a valid complaint, the date typed the British way.
    when = _last_month_20th()
    page.get_by_label("Kind").select_option(label="Complaint")
    page.get_by_label("Status").select_option(label="Open")
    page.get_by_label("Date", exact=True).press_sequentially(when.strftime("%d/%m/%Y"))
    page.get_by_label("Summary").fill("Family says medication rounds were missed twice last week")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/services/{register.pk}/$"))
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text(f"Intelligence logged: Complaint on {when:%d %B %Y}")
    expect(banner).to_be_focused()
    row = page.get_by_role("main").locator("tr", has_text="medication rounds were missed")
    expect(row).to_contain_text("Complaint")
    expect(row).to_contain_text("Open")
    expect(row).to_contain_text(f"{when.day} {when:%b %Y}")
    axe_check(page)
    shoot(page, "desktop-service-after-logging")
