"""Alex, the administrator, reads the retention periods, looks up who opened a safeguarding
entry in the access log, and downloads a subject-access export, all with the keyboard; every
page is checked with axe."""

from __future__ import annotations

import zipfile

import pytest
from playwright.sync_api import expect

from qaf.privacy.models import SubjectAccessExport

pytestmark = pytest.mark.browser


def test_the_administrator_uses_the_data_protection_pages(
    page, login, axe_check, shoot, admin_alex, officer_olivia, safeguarding_at_sunrise, client
):
    client.force_login(officer_olivia)
    assert client.get(safeguarding_at_sunrise.get_absolute_url()).status_code == 200
    login(page, admin_alex)
    page.get_by_role("link", name="Data protection").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Data protection", level=1)).to_be_visible()
    expect(page.get_by_role("rowheader", name="Intelligence entries")).to_be_visible()
    axe_check(page)
    shoot(page, "data-protection")

    page.get_by_role("link", name="Access log").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Access log")).to_be_visible()
    expect(page.get_by_role("cell", name="Confidential intelligence viewed")).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Subject-access export").focus()
    page.keyboard.press("Enter")
    page.get_by_label("The person's full name").fill("Al")
    page.keyboard.press("Enter")
    expect(page.get_by_text("at least 3 characters").first).to_be_visible()
    axe_check(page)
    page.get_by_label("The person's full name").fill(officer_olivia.get_full_name())
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the ZIP").press("Enter")
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "README.txt" in archive.namelist()
    assert SubjectAccessExport.objects.get().requested_by == admin_alex
