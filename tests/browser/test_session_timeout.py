"""Before QAF signs Olivia out for inactivity it warns her, and "Stay signed in" keeps her
signed in; when she lets it end, signing in again brings her back to the page she was on.
Also: a Content Security Policy violation fails a browser test (the harness hears it).

The server's clock (time-machine, shared with the live server's thread) and the page's clock
(Playwright's) are moved forward together, so nothing waits for real minutes."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _later(clock, page, minutes: int, seconds: int = 0) -> None:
    clock.shift(timedelta(minutes=minutes, seconds=seconds))
    page.clock.fast_forward(f"{minutes:02d}:{seconds:02d}")


def test_the_warning_offers_to_stay_signed_in_then_signs_out(
    page, login, axe_check, shoot, officer_olivia
):
    with time_machine.travel(timezone.now(), tick=True) as clock:
        page.clock.install()
        login(page, officer_olivia)
        page.goto("/services/?q=Sunrise")
        dialog = page.get_by_role("dialog", name="You will be signed out soon")
        expect(dialog).to_be_hidden()

        _later(clock, page, 28, 5)
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("we will sign you out in 2 minutes")
        expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
        axe_check(page)
        shoot(page, "desktop-session-timeout-warning")

        page.keyboard.press("Enter")  # Stay signed in
        expect(dialog).to_be_hidden()
        # The server's idle clock started again: 29 minutes on, still signed in.
        _later(clock, page, 28, 5)
        expect(dialog).to_be_visible()

        # This time she lets it run out: the sign-in page, then back to her page.
        _later(clock, page, 2, 0)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.get_by_text("You were signed out because you had not used QAF")).to_be_visible()
    assert urlsplit(page.url).query == "next=%2Fservices%2F%3Fq%3DSunrise"
    page.get_by_label("Username").fill(officer_olivia.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/services/")
    assert urlsplit(page.url).query == "q=Sunrise"


def test_a_server_error_on_asking_how_long_is_left_does_not_sign_her_out(
    page, login, officer_olivia
):
    """A failing server (a 503 while it restarts, say) is not the end of her session: the
    page trusts its own clock and asks again, rather than drop what she was typing."""
    with time_machine.travel(timezone.now(), tick=True) as clock:
        page.clock.install()
        login(page, officer_olivia)
        page.goto("/services/?q=Sunrise")
        page.route("**/accounts/session/", lambda route: route.fulfill(status=503))
        page.problems.expect_error_status("/accounts/session/")
        dialog = page.get_by_role("dialog", name="You will be signed out soon")

        _later(clock, page, 28, 5)
        expect(dialog).to_be_visible()
        _later(clock, page, 1, 50)  # the warning's own clock runs out; the server still fails
        expect(dialog).to_be_visible()
        assert urlsplit(page.url).path == "/services/"


def test_a_policy_violation_fails_the_test(page, login, officer_olivia):
    login(page, officer_olivia)
    # An inline script added by hand: it has no nonce, so the browser refuses to run it.
    refused = page.evaluate(
        """() => new Promise((resolve) => {
          document.addEventListener("securitypolicyviolation", () => resolve(true), { once: true });
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.body.append(script);
        })"""
    )
    assert refused is True
    assert page.evaluate("() => window.ran") is None
    # The harness heard it (and would fail the test at its end): take it back to pass.
    with pytest.raises(AssertionError, match="Content Security Policy violations"):
        page.problems.check()
