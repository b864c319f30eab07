"""Olivia leads Sunrise House, whose complaints rose in the last month: her home page lists it,
its page says why with a sparkline, she checks it again with the keyboard alone, and the
dashboard lists it. Every page checked with axe. Pat, at Sunrise Care, never sees the flag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from providers.models import IntelligenceKind, IntelligenceStatus
from risk.early_warning_job import compute
from tests.browser.test_keyboard_tablet import _tab_to
from tests.factories import IntelligenceFactory

pytestmark = pytest.mark.browser


def test_an_officer_sees_a_service_getting_worse(
    page, login, axe_check, shoot, officer_olivia, provider_pat, sunrise_house
):
    today = timezone.localdate()
    sunrise_house.lead_officer = officer_olivia
    sunrise_house.registration_date = today - timedelta(days=1000)
    sunrise_house.save()
    for days in (2, 9, 30, 61):
        IntelligenceFactory(
            service=sunrise_house,
            kind=IntelligenceKind.COMPLAINT,
            status=IntelligenceStatus.OPEN,
            date=today - timedelta(days=days),
        )
    compute(today)

    login(page, officer_olivia)
    worse = page.locator("#getting-worse")
    expect(worse).to_contain_text("Sunrise House")
    expect(worse).to_contain_text("4 complaints in the last 90 days")
    axe_check(page)
    worse.get_by_role("link", name="Sunrise House").click()

    section = page.locator("#early-warning")
    expect(section).to_contain_text("Getting worse since")
    # Its name is its title and its description: the numbers a sighted user sees.
    expect(section.get_by_role("img")).to_have_accessible_name(
        "Complaints, safeguarding concerns and notices each week for 65 weeks to "
        f"{today.day} {today:%B %Y} 4 entries in the last 13 weeks, 0 in the 52 weeks before; "
        "the most in one week was 1."
    )
    axe_check(page)
    shoot(page, "early-warning-service")
    page.goto(sunrise_house.get_absolute_url())  # from the top of the page, keyboard only
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    _tab_to(page, lambda f: f["text"] == "Check again now", "The check-again button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_contain_text("Checked again: Sunrise House may be")
    axe_check(page)

    page.goto("/dashboard/")
    table = page.get_by_role("region", name="Services getting worse")
    expect(table).to_contain_text("Sunrise House")
    axe_check(page)
    page.get_by_role("button", name="Sign out").click()

    login(page, provider_pat)
    page.goto(sunrise_house.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunrise House")
    expect(page.locator("#early-warning")).to_have_count(0)
    expect(page.get_by_role("main")).not_to_contain_text("complaints in the last 90 days")
