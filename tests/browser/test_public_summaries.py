"""The public reads Sunrise House's published summary without signing in: the index, a search
that finds nothing, the summary and a withdrawn one's page, each checked with axe (and no CSP
report: the public pages have no script). Then Olivia, an officer, writes a summary of another
final review, previews it and publishes it (the form and the preview checked with axe)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from reviews import public
from reviews.models import PublishedSummary
from tests.factories import ReviewFactory, ServiceFactory, small_toolkit

pytestmark = pytest.mark.browser

TEXT = "People feel safe and staff know them well. Medicines records need attention."


def test_the_public_reads_summaries_and_an_officer_publishes_one(
    page, login, axe_check, shoot, sunrise, sunrise_house, officer_olivia, manager_maya
):
    kit = small_toolkit({"Safe": {"S1 Safeguarding": ["Report abuse?"]}})
    review = ReviewFactory(service=sunrise_house, toolkit=kit, completed_on=date(2026, 10, 2))
    published = public.publish(review, actor=officer_olivia, summary=TEXT)
    gone = public.publish(
        ReviewFactory(service=ServiceFactory(provider=sunrise, name="Sunrise Lodge")),
        actor=officer_olivia,
        summary="Calm and clean.",
    )
    public.withdraw(gone, actor=manager_maya, reason="The provider asked")

    page.goto("/public/summaries/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality reviews of care services")
    expect(page.get_by_role("main")).to_contain_text("1 summary, newest first")
    expect(page.get_by_role("main")).not_to_contain_text("Sunrise Lodge")
    axe_check(page)
    shoot(page, "public-index")
    page.get_by_label("Service name").fill("Nowhere")
    page.get_by_role("button", name="Show summaries").click()
    expect(page.get_by_role("main")).to_contain_text("No summaries match your search")
    axe_check(page)
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_role("link", name="Sunrise House").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunrise House")
    expect(page.get_by_role("main")).to_contain_text(TEXT)
    expect(page.get_by_role("main")).to_contain_text("2 October 2026")
    expect(page.get_by_role("main")).not_to_contain_text(officer_olivia.last_name)
    axe_check(page)
    shoot(page, "public-summary")

    withdrawn = gone.get_public_url()
    page.problems.expect_error_status(withdrawn)
    page.goto(withdrawn)
    expect(page.get_by_role("heading", level=1)).to_have_text("This summary has been withdrawn")
    axe_check(page)

    # An officer publishes another final review's summary, after a preview.
    other = ReviewFactory(
        service=ServiceFactory(provider=sunrise, name="Sunrise Court"), toolkit=kit
    )
    login(page, officer_olivia)
    page.goto(other.get_absolute_url())
    page.get_by_role("link", name="Publish a public summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish a public summary")
    axe_check(page)
    page.get_by_label("Plain-language summary").fill("Kind staff and a clean home.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_have_text("Preview: what the public will see")
    axe_check(page)
    shoot(page, "public-summary-preview")
    page.get_by_role("button", name="Publish the summary").click()
    expect(page.get_by_role("main")).to_contain_text("The summary is published")
    axe_check(page)
    row = PublishedSummary.objects.get(review=other)
    assert row.state == "published" and published.pk != row.pk
