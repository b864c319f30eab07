"""The interactive API documentation works from QAF's own files, with no call to a CDN."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"localhost", "127.0.0.1"}

# Swagger UI (drf-spectacular's page and the sidecar's bundle) is not our markup. These are its
# known axe violations; anything else on the page still fails the test.
SWAGGER_UI_VIOLATIONS = {
    "color-contrast": "Swagger UI's own colours (white method names, grey version badges)",
    "heading-order": "Swagger UI's headings start at h2/h3 below its title",
    "nested-interactive": "Swagger UI puts buttons inside each operation's summary button",
    "region": "drf-spectacular's page has no <main> or other landmarks",
}


def test_api_docs_load_from_local_static_files(page, login, axe_check, shoot, officer_olivia):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, officer_olivia)

    page.get_by_role("link", name="API documentation").click()
    expect(page).to_have_url(f"{page.url.split('/api/')[0]}/api/docs/")
    # The schema is generated on request (a few seconds on a busy machine): wait for it.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("QAF API", timeout=30_000)
    # The schema was fetched and drawn: the operations of the register are listed. Swagger UI
    # draws a long list of operations (over 150) only as it scrolls into view: scroll to them.
    expect(page.locator(".opblock").first).to_be_visible()
    services = page.get_by_text("/api/v1/services/", exact=True)
    for _ in range(100):
        if services.count():
            break
        page.mouse.wheel(0, 1500)
        page.wait_for_timeout(50)
    expect(services.first).to_be_visible()
    axe_check(page, allow=SWAGGER_UI_VIOLATIONS)
    shoot(page, "desktop-api-docs")

    remote = [
        url
        for url in requested
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).hostname not in LOCAL_HOSTS
    ]
    assert not remote, f"requests left the server: {remote}"
    assert any("/static/" in url and "swagger" in url for url in requested), requested
