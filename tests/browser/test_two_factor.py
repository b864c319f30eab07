"""Olivia signs in for the first time with two-factor sign-in on: she adds QAF to her
authenticator app (here: Python, reading the key from the page), saves her recovery codes and
reaches the page she asked for. The next time she signs in she gives a code from the app."""

from __future__ import annotations

import base64
import time
from urllib.parse import urlsplit

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    # The live server runs in another thread of this process: it sees the override too.
    settings.QAF_STAFF_2FA = True


def _app_code(key_text: str, *, later: int = 0) -> str:
    """What an authenticator app given this key shows (``later`` seconds from now)."""
    totp = TOTP(base64.b32decode(key_text.replace(" ", "")))
    totp.time = time.time() + later
    return f"{totp.token():06d}"


def _path(page) -> str:
    return urlsplit(page.url).path


def _sign_in(page, username):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def test_set_up_then_sign_in_with_a_code(page, axe_check, shoot, officer_olivia):
    page.goto("/services/")
    _sign_in(page, "olivia")

    # First sign-in: set-up, for the page she asked for.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    assert _path(page) == "/accounts/two-factor/setup/"
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    axe_check(page)
    shoot(page, "desktop-2fa-setup")
    key = page.locator("#totp-key").inner_text()
    code_field = page.get_by_label("Enter the 6-digit code")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert code_field.get_attribute("inputmode") == "numeric"

    # A mistyped code is refused with a GOV.UK error.
    wrong = f"{(int(_app_code(key)) + 1) % 1_000_000:06d}"
    code_field.fill(wrong)
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The code is not right")
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    axe_check(page)

    page.wait_for_timeout(1100)  # django-otp's throttle: one second after a wrong code
    page.get_by_label("Enter the 6-digit code").fill(_app_code(key))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in is set up")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    axe_check(page)
    shoot(page, "desktop-2fa-recovery-codes")
    page.get_by_role("button", name="I have saved these codes").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/services/")

    # Next time: a code from the app (the next one it shows: each code works once).
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    _sign_in(page, "olivia")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your two-factor code")
    assert _path(page) == "/accounts/two-factor/"
    axe_check(page)
    shoot(page, "desktop-2fa-verify")
    page.get_by_label("Enter the 6-digit code").fill(_app_code(key, later=30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    # Her 2FA page, from the header, and starting again.
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    expect(page.locator("#codes-left")).to_have_text("10 of 10 left")
    axe_check(page)
    page.get_by_role("button", name="Make new recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make new recovery codes")
    axe_check(page)
    page.get_by_role("button", name="Make new recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your new recovery codes")
    axe_check(page)
    page.get_by_role("button", name="I have saved these codes").click()
    page.get_by_role("button", name="Set up a new authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a new authenticator app")
    axe_check(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a new authenticator app")
    axe_check(page)
