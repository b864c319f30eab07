"""Pat, of Sunrise Care Ltd, points the council at an outcome another council already holds:
from the portal's home page, Pat uploads Brookshire Council's file and the outcome shows on
Sunrise House's page; the outcome for Oak Lodge's home in the same file is ignored."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from reviews.models import SharedOutcome
from tests.security.world_shared import outcomes_document

pytestmark = pytest.mark.browser


def test_a_provider_uploads_another_councils_outcomes(
    page, login, axe_check, provider_pat, sunrise_house, oak_lodge_home, tmp_path
):
    document = outcomes_document(sunrise_house, "BRK-1")
    document["outcomes"] += outcomes_document(oak_lodge_home, "BRK-2")["outcomes"]
    path = tmp_path / "brookshire.json"
    path.write_text(json.dumps(document))

    login(page, provider_pat)
    page.get_by_role("link", name="Upload its shared-outcomes file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload another council's outcomes")
    axe_check(page)
    # Nothing chosen: the error summary says what to do.
    page.get_by_role("button", name="Upload and record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select the JSON file the other council sent"
    )
    axe_check(page)
    page.locator("input[type=file][name=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and record").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Outcomes from Brookshire Council, supplied by Sunrise Care Ltd"
    )
    rows = page.locator("#import-rows tbody tr")
    expect(rows.nth(0)).to_contain_text("Recorded")
    expect(rows.nth(1)).to_contain_text("Not one of your services")
    expect(page.get_by_role("main")).not_to_contain_text("Oak Lodge")
    axe_check(page)

    page.get_by_role("link", name="Sunrise House").click()
    expect(page.locator("#shared-outcomes")).to_contain_text(
        "Brookshire Council, supplied by Sunrise Care Ltd: full review completed 20 September 2026"
    )
    axe_check(page)
    assert SharedOutcome.objects.get().service == sunrise_house
