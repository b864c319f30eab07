"""Pat, Sunrise Care's administrator, invites Robin in the browser; Robin opens the email's
link, chooses a password, signs in and sees the portal; Pat sees when Robin last signed in and
deactivates Robin after the confirmation page. The used link says so. axe checks every page.

The live server runs in this process, so the invitation's email (sent once the invitation is
committed) lands in Django's test outbox, where the test reads the link.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.core import mail
from playwright.sync_api import expect

from qaf.models import User
from tests.support import wait_until

pytestmark = pytest.mark.browser

ROBIN_PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105
LINK = re.compile(r"https?://[^/\s]+(/invitations/[A-Za-z0-9_-]+/)")


def _heading(page):
    return page.get_by_role("heading", level=1)


def _banner(page):
    return page.locator(".govuk-notification-banner--success")


def test_an_administrator_invites_a_colleague_who_signs_in_and_is_deactivated(
    page, login, axe_check, shoot, provider_pat, sunrise_house
):
    provider_pat.provider_admin = True
    provider_pat.save()
    mail.outbox.clear()

    # --- Pat invites Robin
    login(page, provider_pat)
    page.get_by_role("link", name="Your organisation's users").click()
    expect(_heading(page)).to_have_text("Your organisation's users")
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Our users")).to_have_attribute("aria-current", "page")
    axe_check(page)
    page.get_by_role("button", name="Invite a colleague").click()
    expect(_heading(page)).to_have_text("Invite a colleague")
    axe_check(page)
    page.get_by_role("button", name="Send the invitation").click()  # empty: errors
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter their first name")
    axe_check(page)
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Hood")
    page.get_by_label("Email address").fill("Robin.Hood@sunrise.example")
    page.get_by_role("button", name="Send the invitation").click()
    expect(_banner(page)).to_contain_text("Invitation sent to Robin Hood")
    expect(page.locator("#invitations")).to_contain_text("robin.hood@sunrise.example")
    axe_check(page)
    shoot(page, "portal-users-invited")

    wait_until(lambda: len(mail.outbox) == 1, "the invitation's email")
    path = LINK.search(mail.outbox[0].body).group(1)
    page.get_by_role("button", name="Sign out").click()

    # --- Robin opens the link, chooses a password, signs in
    page.goto(path)
    expect(_heading(page)).to_have_text("Choose your password")
    expect(page.get_by_role("main")).to_contain_text("robin.hood@sunrise.example")
    axe_check(page)
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Confirm the password").fill("short")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be 10 characters or more")
    axe_check(page)
    page.get_by_label("Password", exact=True).fill(ROBIN_PASSWORD)
    page.get_by_label("Confirm the password").fill(ROBIN_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(_heading(page)).to_have_text("Sign in")
    expect(_banner(page)).to_contain_text("Your account is ready")
    robin = SimpleNamespace(username="robin.hood@sunrise.example")
    login(page, robin, password=ROBIN_PASSWORD)
    expect(_heading(page)).to_have_text("Sunrise Care Ltd")
    expect(page.get_by_role("main").get_by_role("link", name="Sunrise House")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Sign out").click()

    # The link is used up: a clear page, not an error.
    page.problems.expect_error_status(path)
    page.goto(path)
    expect(_heading(page)).to_have_text("This invitation has already been used")
    axe_check(page)

    # --- Pat sees Robin's sign-in and deactivates Robin, after the confirmation page
    login(page, provider_pat)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Our users").click()
    row = page.locator("#users tr", has_text="Robin Hood")
    expect(row).to_contain_text("Active")
    expect(row.locator("td").nth(4)).not_to_have_text("Never")
    expect(row.locator("td").nth(4)).to_have_text(re.compile(r"^\d{1,2} \w+ \d{4} \d{2}:\d{2}$"))
    expect(page.locator("#invitations")).to_have_count(0)
    axe_check(page)
    shoot(page, "portal-users-list")
    row.get_by_role("link", name="Deactivate Robin Hood").click()
    expect(_heading(page)).to_have_text("Deactivate Robin Hood")
    axe_check(page)
    page.get_by_role("button", name="Deactivate").click()
    expect(_banner(page)).to_contain_text("Robin Hood is deactivated")
    expect(page.locator("#users tr", has_text="Robin Hood")).to_contain_text("Deactivated")
    axe_check(page)
    assert not User.objects.get(username="robin.hood@sunrise.example").is_active
