"""Maya, a quality manager, opens the Managed Placements Memo, issues it and downloads its PDF.

Sunrise House is suspended (no new placements) and Oak Lodge placed with restrictions, both
proposed by Olivia and approved by Maya. A real Celery worker renders the PDF, which is read
back as text. Every page is checked with axe. Pia (partner) reads the memo but is offered no
button to issue it.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation.models import MemoIssue
from escalation.models.memo import MEMO_DOCUMENT_KIND
from providers.models import Service, ServiceType
from qaf.models import Document
from tests.browser.test_visit_form import _wait_for_db
from tests.browser.test_whole_review import (
    RENDER_TIMEOUT,
    _download,
    _pdf_text,
    worker,  # noqa: F401 - the fixture
)
from tests.escalation.test_memo import _suspend

pytestmark = pytest.mark.browser


@pytest.fixture
def suspended(sunrise_house, oak_lodge_home, officer_olivia, manager_maya):
    Service.objects.filter(pk=sunrise_house.pk).update(
        local_authority_area="Mendip", service_type=ServiceType.CARE_HOME_NURSING
    )
    Service.objects.filter(pk=oak_lodge_home.pk).update(local_authority_area="Taunton")
    _suspend(
        sunrise_house,
        "no_new_placements",
        by=officer_olivia,
        approver=manager_maya,
        on=date(2026, 10, 5),
    )
    _suspend(
        oak_lodge_home,
        "restricted_placements",
        by=officer_olivia,
        approver=manager_maya,
        on=date(2026, 10, 5),
        details="Respite placements only",
    )


@pytest.mark.usefixtures("worker")
def test_a_manager_issues_the_memo_and_downloads_its_pdf(
    page, login, axe_check, shoot, suspended, manager_maya
):
    login(page, manager_maya)
    page.get_by_role("link", name="Managed placements").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Managed Placements (Updated ")
    expect(page.get_by_text("Draft: not yet issued")).to_be_visible()
    red = page.locator("#part-red")
    expect(red.get_by_role("heading", level=3)).to_have_text("Mendip")
    expect(red).to_contain_text("Sunrise House")
    expect(page.locator("#part-amber")).to_contain_text("Respite placements only")
    expect(page.locator("#part-green")).to_contain_text("No services.")
    axe_check(page)
    shoot(page, "memo-draft")

    page.get_by_role("link", name="Issue the memo").click()
    expect(heading).to_have_text("Issue the memo")
    axe_check(page)
    page.get_by_role("button", name="Issue the memo").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Memo 1 issued.")
    expect(page.get_by_text("Memo 1, issued")).to_be_visible()
    axe_check(page)

    issue = MemoIssue.objects.get()
    _wait_for_db(
        lambda: Document.objects.filter(
            kind=MEMO_DOCUMENT_KIND, source_id=issue.pk, status="ready"
        ).exists(),
        "the memo's PDF",
        timeout=RENDER_TIMEOUT,
    )
    page.reload()
    text = _pdf_text(_download(page, page.get_by_role("link", name="Download memo 1 (PDF")))
    today = timezone.localdate()
    assert f"Managed Placements (Updated {today.day} {today:%B %Y})" in text
    assert "CONFIDENTIAL" in text
    assert text.index("RED – NOT CURRENTLY PLACING") < text.index("Mendip NC Sunrise House")
    assert text.index("AMBER – PLACING WITH RESTRICTIONS") < text.index("Oak Lodge")
    assert "Restrictions: Respite placements only" in text
    assert "5 October 2026" in text
    axe_check(page)
    shoot(page, "memo-issued")


def test_a_partner_reads_the_memo_and_cannot_issue_it(
    page, login, axe_check, suspended, partner_pia
):
    login(page, partner_pia)
    page.goto("/memo/")
    expect(page.locator("#part-red")).to_contain_text("Sunrise House")
    expect(page.get_by_role("link", name="Issue the memo")).to_have_count(0)
    axe_check(page)
    page.problems.expect_error_status("/memo/issue/")
    assert page.goto("/memo/issue/").status == 403
