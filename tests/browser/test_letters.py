"""Alex, the administrator, changes the suspension letter: a field misspelt is refused, the
preview shows the letter with sample values (and as a PDF), "Change it" goes back to the text,
and the letter is saved as version 2. Pat, at Sunrise Care, then finds a letter issued to
Sunrise in the portal. Every page is checked with axe."""

from __future__ import annotations

import io

import pypdf
import pytest
from playwright.sync_api import expect

from qaf import letters
from qaf.models import LetterTemplate, Role
from qaf.pdf import render_document
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(db):
    return UserFactory(username="alex", first_name="Alex", last_name="Smith", roles=[Role.ADMIN])


def test_the_administrator_edits_previews_and_saves_the_suspension_letter(
    page, login, axe_check, shoot, admin
):
    login(page, admin)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Letters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Letters")
    axe_check(page)

    page.get_by_role("link", name="Suspension of new placements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suspension of new placements")
    expect(page.locator("#letter-preview")).to_contain_text("Dear Sunrise Care Ltd")
    expect(page.locator("#versions tbody tr")).to_have_count(1)
    axe_check(page)
    shoot(page, "letter-detail")

    page.get_by_role("button", name="Change this letter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the letter")
    expect(page.get_by_role("main")).to_contain_text("{{ actions_required }}")  # the fields
    axe_check(page)
    text = page.get_by_label("Text of the letter")
    body = text.input_value()
    assert "{{ reasons }}" in body

    # A misspelt field is refused, with the letter's fields named.
    text.fill(body.replace("Dear {{ provider }}", "Dear {{ provder }}"))
    page.get_by_role("button", name="Preview the letter").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "{{ provder }} is not a field of this letter: provider, service,"
    )
    axe_check(page)

    # Fixed, with a new paragraph; previewed with the sample values.
    new_body = body.replace(
        "Dear {{ provider }}\n", "Dear {{ provider }}\n\nPlease read this letter carefully.\n"
    )
    text.fill(new_body)
    page.get_by_label("What changed and why").fill("Asks the reader to read carefully")
    page.get_by_role("button", name="Preview the letter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the letter")
    preview = page.locator("#letter-preview")
    expect(preview).to_contain_text("Please read this letter carefully.")
    expect(preview.locator("li")).to_contain_text(["An organisational safeguarding enquiry"])
    expect(preview).to_contain_text("until at least 3 June 2027")
    axe_check(page)
    shoot(page, "letter-preview")

    # The PDF preview downloads without leaving the page.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download a preview as PDF").click()
    pdf = pypdf.PdfReader(io.BytesIO(download.value.path().read_bytes()))
    assert "Please read this letter carefully." in " ".join(p.extract_text() for p in pdf.pages)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the letter")

    # "Change it" keeps the text, paragraphs and all.
    page.get_by_role("button", name="Change it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the letter")
    assert page.get_by_label("Text of the letter").input_value() == new_body
    axe_check(page)
    page.get_by_role("button", name="Preview the letter").click()

    # Saved with the keyboard.
    page.get_by_role("button", name="Save as version 2").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Version 2 of")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suspension of new placements")
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    expect(page.locator("#versions")).to_contain_text("Alex Smith")
    axe_check(page)
    shoot(page, "letter-saved")
    saved = LetterTemplate.objects.get(key="suspension", version=2)
    assert saved.body == new_body.strip() and saved.created_by == admin

    page.get_by_role("link", name="Version 1").click()
    expect(page.locator("#letter-text")).not_to_contain_text("Please read this letter carefully")
    axe_check(page)


def test_the_provider_reads_its_letter_in_the_portal(
    page,
    login,
    axe_check,
    provider_pat,
    sunrise,
    sunrise_house,
    manager_maya,
    meeting_at_sunrise,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    document = letters.issue_letter(
        "suspension",
        meeting_at_sunrise,
        actor=manager_maya,
        context={"provider": sunrise.name, "service": sunrise_house.name, "reasons": ["Late"]},
    )
    render_document(document)
    login(page, provider_pat)
    page.get_by_role("link", name="Our organisation").click()
    link = page.get_by_role("link", name="Suspension of new placements – Sunrise House")
    expect(link).to_be_visible()
    axe_check(page)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
