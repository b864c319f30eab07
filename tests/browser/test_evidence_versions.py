"""Pat (Sunrise Care) is asked on his home page for a current version of a policy past its
review-by date; he opens it, sees where it was used and uploads the new version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from providers.evidence import Evidence
from reviews import information as info
from tests.factories import EvidenceFactory
from tests.providers.test_evidence import pdf

pytestmark = pytest.mark.browser


def test_pat_replaces_a_policy_past_its_review_date(
    page, login, axe_check, shoot, sunrise_house, officer_olivia, provider_pat, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    settings.QAF_VIRUS_SCANNER = "none"
    today = timezone.localdate()
    policy = EvidenceFactory(
        provider=provider_pat.provider,
        uploaded_by=provider_pat,
        title="Infection control policy",
        evidence_date=today - timedelta(days=400),
        review_by=today - timedelta(days=35),
    )
    req = info.create_request(
        sunrise_house, actor=officer_olivia, items=["Infection control policy"], title="Annual"
    )
    info.send_request(req, actor=officer_olivia)
    info.answer_item(req.items.get(), actor=provider_pat, evidence=[policy])

    login(page, provider_pat)
    page.goto("/")
    asked = page.locator("#evidence-review-due")
    expect(asked).to_contain_text("Infection control policy")
    axe_check(page)
    asked.get_by_role("link", name="Infection control policy").click()
    expect(page.locator("h1")).to_have_text("Infection control policy")
    uses = page.get_by_role("table", name="Where this file was used, most recent first")
    expect(uses).to_contain_text("\u201cAnnual\u201d: Infection control policy")
    axe_check(page)
    shoot(page, "desktop-evidence-page")

    page.get_by_role("button", name="Upload a new version").click()
    expect(page.locator("h1")).to_have_text("Upload a new version")
    axe_check(page)
    page.get_by_label("Date of the evidence").fill(today.strftime("%-d/%-m/%Y"))
    page.locator("input[type=file][name=file]").set_input_files(
        files=[{"name": "policy.pdf", "mimeType": "application/pdf", "buffer": pdf()}]
    )
    page.get_by_role("button", name="Upload new version").click()
    expect(page.locator("h1")).to_have_text("Infection control policy")
    versions = page.get_by_role("table", name="Versions of this file, oldest first")
    expect(versions.locator("tbody tr")).to_have_count(2)
    axe_check(page)
    new = Evidence.objects.get(previous_version=policy)
    assert new.version == 2 and page.url.endswith(new.get_absolute_url())
    page.goto("/")
    expect(page.locator("#evidence-review-due")).to_have_count(0)
