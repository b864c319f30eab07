"""Pat of Sunrise Care sees Sunrise's services and nothing of Oak Lodge or of safeguarding."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_provider_sees_only_their_own_services_and_no_confidential_intelligence(
    page,
    login,
    axe_check,
    shoot,
    provider_pat,
    sunrise_house,
    sunrise_lodge,
    oak_lodge_home,
    safeguarding_at_sunrise,
    meeting_at_sunrise,
):
    login(page, provider_pat)
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunrise Care Ltd")
    expect(main.get_by_role("link", name="Sunrise House")).to_be_visible()
    expect(main.get_by_role("link", name="Sunrise Lodge")).to_be_visible()
    expect(main).not_to_contain_text("Oak Lodge")
    axe_check(page)
    shoot(page, "desktop-home-provider")

    # The menu is the provider portal's, not the council team's (qaf/context_processors.py).
    menu = page.get_by_role("navigation", name="Menu")
    assert menu.get_by_role("link").all_inner_texts() == [
        "Home",
        "Our services",
        "Our organisation",
        "Reviews",
        "Evidence library",
        "Information requests",
        "Improvement plans",
    ]

    menu.get_by_role("link", name="Our services").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Our services")
    names = page.locator("#results tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == ["Sunrise House", "Sunrise Lodge"]
    expect(page.get_by_role("link", name="Add a service")).to_have_count(0)
    axe_check(page)
    shoot(page, "desktop-services-provider")

    # Sunrise House: the contract meeting, but not the confidential safeguarding enquiry.
    page.get_by_role("link", name="Sunrise House").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunrise House")
    intelligence = main.get_by_role("table", name="Intelligence, newest first")
    expect(intelligence.locator("tbody tr")).to_have_count(1)
    expect(intelligence).to_contain_text("Quarterly contract meeting")
    expect(intelligence).not_to_contain_text(safeguarding_at_sunrise.get_kind_display())
    expect(intelligence).not_to_contain_text("Confidential")
    expect(main).not_to_contain_text(safeguarding_at_sunrise.summary)
    expect(main.get_by_role("button", name="Edit service")).to_have_count(0)
    expect(main.get_by_role("button", name="Log intelligence")).to_have_count(0)
    axe_check(page)
    shoot(page, "desktop-service-provider")

    # Nor in the service's full intelligence list.
    main.get_by_role("link", name="All intelligence about this service").click()
    expect(page.locator("#results")).to_contain_text("Quarterly contract meeting")
    expect(page.locator("#results")).not_to_contain_text(safeguarding_at_sunrise.summary)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    axe_check(page)

    menu.get_by_role("link", name="Our organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunrise Care Ltd")
    expect(main).not_to_contain_text("Oak Lodge")
    axe_check(page)

    # Another organisation's service, and the hidden entry, by address: "Page not found".
    for url in (oak_lodge_home.get_absolute_url(), safeguarding_at_sunrise.get_absolute_url()):
        page.problems.expect_error_status(url)
        response = page.goto(url)
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        expect(page.get_by_role("main")).not_to_contain_text("Oak Lodge")
        axe_check(page)
    shoot(page, "desktop-404")
