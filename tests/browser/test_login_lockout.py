"""Someone guesses Olivia's password: after five failures the account is locked."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _attempt(page, username, password):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def test_five_failed_sign_ins_show_the_locked_out_page(page, axe_check, shoot, officer_olivia):
    limit = settings.AXES_FAILURE_LIMIT
    page.problems.expect_error_status("/accounts/login/")  # the lockout answers 429
    page.goto("/accounts/login/")
    axe_check(page)

    for attempt in range(1, limit):
        _attempt(page, "olivia", f"wrong-guess-{attempt}")
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("correct username and password")
        expect(summary).to_be_focused()
        if attempt == 1:
            assert page.title().startswith("Error: ")
            axe_check(page)
            shoot(page, "desktop-login-error")

    # The fifth failure locks the account; even the right password is then refused.
    _attempt(page, "olivia", f"wrong-guess-{limit}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is locked")
    axe_check(page)
    shoot(page, "desktop-locked-out")

    page.goto("/accounts/login/")
    _attempt(page, "olivia", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is locked")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    axe_check(page)
