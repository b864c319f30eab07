"""The browser harness: Playwright driving Debian's Chromium against pytest-django's live server.

Fixtures:
- ``browser``: one Chromium for the whole session (``/usr/bin/chromium``; Playwright's own
  browser downloads are not used). Missing Chromium fails the tests, so a broken CI image
  is noticed; ``QAF_SKIP_BROWSER=1`` skips them instead.
- ``page``: a fresh context (no cookies) and page per test at a desktop size, en-GB, London.
- ``tablet_page``: the same at 768x1024 with touch, as officers use QAF on site.
- ``login(page, user)``: signs in through the real login form.
- ``axe_check(page)``: runs axe-core on the page as it is now and fails with a readable list
  of violations; also fails on any console error or uncaught script error so far.

Every page also fails its test on console errors and uncaught exceptions (favicon 404s
aside), and on any Content Security Policy violation: Chromium's console report of one, or a
``securitypolicyviolation`` event in the page (listed together when the test ends).
``QAF_SHOTS=/tmp/qaf-shots`` makes ``shoot(page, name)`` save full-page screenshots; a failing
test leaves a screenshot in ``test-results/browser/``.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 768, "height": 1024}
MAX_NODES_REPORTED = 5
FAILURE_SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"

# Chromium reports a missing /favicon.ico as a console error: not ours to fix in a test.
_FAVICON = re.compile(r"favicon", re.IGNORECASE)


def pytest_collection_modifyitems(items):
    # Modules here also say `pytestmark = pytest.mark.browser`; this catches one that forgets,
    # so `-m "not browser"` always leaves out everything that needs Chromium.
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        for name in ("page", "tablet_page"):
            page = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if page is not None and not page.is_closed():
                FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
                path = FAILURE_SHOTS / f"{item.name}-{name}.png"
                try:
                    page.screenshot(path=str(path), full_page=True)
                    report.sections.append(("browser", f"screenshot: {path} ({page.url})"))
                except Exception as exc:  # a crashed page must not hide the real failure
                    report.sections.append(("browser", f"no screenshot: {exc}"))
    return report


@pytest.fixture(scope="session")
def _media_never_served():
    """Django's live server wraps the site in a handler that serves MEDIA_ROOT at MEDIA_URL.
    QAF sets ``MEDIA_URL = None`` (uploads are private, never served by URL), which that
    handler cannot parse: every request fails with "startswith first arg must be str ... not
    bytes". A base URL on another host makes the handler pass every request through, which is
    what MEDIA_URL = None means."""
    from django.conf import settings
    from django.test import testcases

    with pytest.MonkeyPatch.context() as patch:
        if settings.MEDIA_URL is None:
            patch.setattr(
                testcases._MediaFilesHandler,
                "get_base_url",
                lambda self: "http://media-is-never-served.invalid/",
            )
        yield


@pytest.fixture(scope="session")
def live_server(_media_never_served, live_server):
    """pytest-django's live server, started once the media handler is made harmless."""
    return live_server


@pytest.fixture(scope="session")
def browser():
    if os.environ.get("QAF_SKIP_BROWSER") == "1":
        pytest.skip("QAF_SKIP_BROWSER=1: browser tests skipped")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need it. Install it "
            "(`apt-get install chromium`; .ci/run does) or set QAF_SKIP_BROWSER=1 to skip them.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread from here on, and
    # Django's ORM (factories, refresh_from_db) refuses to run inside one unless told it may.
    # Set only while Playwright runs, not at import: a subprocess that copies os.environ would
    # inherit it, and `manage.py check --deploy` rejects it (tests/test_settings.py).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


# Reports every CSP violation to the test: an init script runs in each document before the
# page's own (and outside the page's CSP), so even a violation during parsing is heard.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__qafCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "(inline)"} on ` +
    `${event.documentURI} at ${event.sourceFile || "?"}:${event.lineNumber}` +
    (event.sample ? ` (${event.sample})` : "")
  );
});
"""


class PageProblems:
    """Console errors, uncaught exceptions and Content Security Policy violations seen on one
    page, checked by ``axe_check`` and when the test ends."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.csp: list[str] = []
        self._error_status_paths: set[str] = set()
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught exception: {exc}"))

    def on_csp_violation(self, source, text):
        self.csp.append(f"securitypolicyviolation: {text}")

    def _on_console(self, message):
        if "Content Security Policy" in message.text:
            url = (message.location or {}).get("url", "")
            self.csp.append(f"console: {message.text} ({url})")
            return
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if _FAVICON.search(url) and "Failed to load resource" in message.text:
            return
        if (
            urlsplit(url).path in self._error_status_paths
            and "Failed to load resource" in message.text
        ):
            return
        self.errors.append(f"console error: {message.text} ({url})")

    def expect_error_status(self, path: str) -> None:
        """The test expects ``path`` to answer 4xx (a 404 page, the lockout page): Chromium's
        "Failed to load resource" console error for it is not a problem."""
        self._error_status_paths.add(path)

    def check(self):
        errors, self.errors = self.errors, []
        csp, self.csp = self.csp, []
        problems = []
        if csp:
            problems.append(
                "Content Security Policy violations (move the inline script, style or "
                "handler into a static file):\n  " + "\n  ".join(csp)
            )
        if errors:
            problems.append("The page reported errors:\n  " + "\n  ".join(errors))
        assert not problems, "\n".join(problems)


def _new_page(browser, live_server, **context_options):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        timezone_id="Europe/London",
        **context_options,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    page.expose_binding("__qafCspViolation", page.problems.on_csp_violation)
    page.add_init_script(_CSP_LISTENER)
    return context, page


# The live server needs committed data, so these tests run in transactions that are really
# committed and then flushed. A flush also empties tables that data migrations filled (the
# default risk policy, ...); serialized rollback reloads them before each test.
@pytest.fixture
def page(browser, live_server, django_db_serialized_rollback):
    context, page = _new_page(browser, live_server, viewport=DESKTOP)
    yield page
    problems = page.problems
    context.close()
    problems.check()


@pytest.fixture
def tablet_page(browser, live_server, django_db_serialized_rollback):
    context, page = _new_page(browser, live_server, viewport=TABLET, has_touch=True)
    yield page
    problems = page.problems
    context.close()
    problems.check()


def _report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}\n"
            f"  {violation.get('helpUrl', '')}"
        )
        nodes = violation["nodes"]
        for node in nodes[:MAX_NODES_REPORTED]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}\n       {node.get('html', '')[:200]}")
        if len(nodes) > MAX_NODES_REPORTED:
            lines.append(f"    ... and {len(nodes) - MAX_NODES_REPORTED} more")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


class KnownAxeViolation(UserWarning):
    """A violation a test allows (third-party markup we do not control), shown as a warning
    in every run so that it is not forgotten."""


@pytest.fixture
def axe_check(_axe):
    """``axe_check(page)``: no axe-core violations (all rules axe runs by default, WCAG 2.x
    A/AA and best practices) and no console or script errors on the page as it is now.

    ``allow={"rule-id": "why"}`` tolerates those rules on this one check (third-party pages
    only); they are reported as ``KnownAxeViolation`` warnings, and the rest still fail."""

    def check(page, *, allow: dict[str, str] | None = None):
        page.wait_for_load_state("load")
        results = _axe.run(page)
        allow = allow or {}
        violations = [v for v in results.response["violations"] if v["id"] not in allow]
        for known in (v for v in results.response["violations"] if v["id"] in allow):
            warnings.warn(
                KnownAxeViolation(
                    f"{page.url}: {known['id']} ({known.get('impact')}) on "
                    f"{len(known['nodes'])} element(s), allowed: {allow[known['id']]}"
                ),
                stacklevel=2,
            )
        assert not violations, (
            f"axe found {len(violations)} violation(s) on {page.url}:\n{_report(violations)}"
        )
        page.problems.check()

    return check


@pytest.fixture
def login(axe_check):
    """``login(page, user)``: sign in through the login form (checked with axe) as ``user``,
    whose password is the factories' ``PASSWORD``; ends on the home page."""
    from tests.factories import PASSWORD

    def sign_in(page, user, password=PASSWORD):
        page.goto("/accounts/login/")
        axe_check(page)
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: urlsplit(url).path == "/")
        assert page.get_by_role("button", name="Sign out").is_visible()
        return page

    return sign_in


@pytest.fixture
def shoot():
    """``shoot(page, name)``: a full-page screenshot in $QAF_SHOTS (nothing when it is unset)."""
    directory = os.environ.get("QAF_SHOTS")

    def take(page, name):
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)

    return take
