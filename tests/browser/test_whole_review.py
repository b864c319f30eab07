"""A whole QA review of Sunrise House, from plan to final report, as its two sides live it.

Olivia, a quality officer, works on her tablet (768x1024): she plans the review, asks Sunrise
Care for information, scores the visit with the tablet's keyboard in a care home whose Wi-Fi
drops, writes the draft with a rating of her own, shares it, answers the comments and issues
the final report. Pat of Sunrise Care, at a desk, answers the request (one file, one text),
reads the draft and comments on two sections. A real Celery worker scans the upload and renders
both PDFs, which are read back as text. Every page either of them sees is checked with axe.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from playwright.sync_api import expect

from providers.evidence import Evidence, ScanStatus
from qaf.celery import app as celery_app
from qaf.models import Document
from reviews import services
from reviews.models import Answer, InformationRequest, Review, StandardNote
from tests.browser.test_keyboard_tablet import _focused, _tab_to
from tests.browser.test_visit_form import _status, _wait_for_db
from tests.factories import small_toolkit

pytestmark = pytest.mark.browser

LAYOUT = {
    "Safe": {
        "S1 Safeguarding": ["Do staff know how to report abuse?", "Are concerns learned from?"]
    },
    "Caring": {"C1 Dignity": ["Are people treated with dignity?"]},
}
POLICY = "Safeguarding policy 2026"
OVERRIDE = "The manager closed the safeguarding gaps during the visit and showed us the new log."
FINDINGS = "Staff knew the reporting route; the concerns log lacked outcomes for three entries."
NOT_ACCEPTED = "We saw three entries without an outcome on the day; the report stands."
# What both PDFs say, as pypdf reads them (the RAG labels are upper case by CSS).
IN_THE_REPORT = (
    "Overall rating GREEN · suggested by the scores: AMBER",
    f"Why the rating differs from the scores: {OVERRIDE}",
    "Domain Standard Mean score RAG Safe S1 Safeguarding 2.50 AMBER Caring C1 Dignity 4.00 GREEN",
    # The chart's labels (SVG text), each bar with its mean and RAG.
    "S1 Safeguarding 2.50 Amber C1 Dignity 4.00 Green",
    f"S1 Safeguarding — AMBER (mean 2.50) {FINDINGS}",
    "Actions required Record an outcome for every concern.",
)
# The reports' links, "(PDF, 14.6 KB)": the size changes with the text.
DRAFT_PDF = re.compile(r"^Draft QA report – Sunrise House \(PDF\b")
FINAL_PDF = re.compile(r"^Final QA report – Sunrise House \(PDF\b")
RENDER_TIMEOUT = 30  # seconds for the worker to scan a file or render a PDF


@pytest.fixture
def toolkit(db):
    """A small published toolkit, the newest, so that planning through the page picks it."""
    kit = small_toolkit(LAYOUT)
    kit.published_at = timezone.now()
    kit.save(update_fields=["published_at"])
    return kit


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback, settings, tmp_path):
    """A real Celery worker (a thread on the real Redis broker, this test process's own queue):
    it scans the provider's upload and renders the PDFs, as in production. Uploads and PDFs
    go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ):
        yield


def _tiny_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _words(text: str) -> str:
    """PDF text with its line breaks and runs of spaces made single spaces."""
    return " ".join(text.split())


def _download(page, link) -> bytes:
    """What clicking ``link`` (a download: an attachment) saves."""
    with page.expect_download() as downloading:
        link.click()
    return Path(downloading.value.path()).read_bytes()


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return _words("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


def _wait_for_document(review, kind: str) -> None:
    _wait_for_db(
        lambda: Document.objects.filter(source_id=review.pk, kind=kind, status="ready").exists(),
        f"the {kind} PDF",
        timeout=RENDER_TIMEOUT,
    )


def _banner(page):
    return page.locator(".govuk-notification-banner--success")


def _heading(page):
    return page.get_by_role("heading", level=1)


def test_a_whole_review_officer_and_provider_from_plan_to_final_report(
    tablet_page,
    page,
    login,
    axe_check,
    shoot,
    worker,
    toolkit,
    officer_olivia,
    provider_pat,
    sunrise_house,
):
    olivia, pat = tablet_page, page
    policy_day = timezone.localdate() - timedelta(days=30)
    evidence_seen = f"Evidence seen: {POLICY} ({policy_day.day} {policy_day:%B %Y})"
    menu = pat.get_by_role("navigation", name="Menu")
    upload = _tiny_pdf()

    # --- Olivia plans the review from the service's page
    login(olivia, officer_olivia)
    axe_check(olivia)
    olivia.goto(sunrise_house.get_absolute_url())
    axe_check(olivia)
    olivia.get_by_role("button", name="Plan a review").click()
    expect(_heading(olivia)).to_have_text("Plan a QA review")
    axe_check(olivia)
    visit_day = timezone.localdate() + timedelta(days=14)
    olivia.get_by_label("Full review").check()
    olivia.get_by_label("Planned visit date").fill(f"{visit_day:%d/%m/%Y}")
    olivia.get_by_role("button", name="Plan the review").click()
    expect(_banner(olivia)).to_contain_text("Full review of Sunrise House planned")
    expect(_heading(olivia)).to_have_text("Full review")
    review = Review.objects.get(service=sunrise_house)
    assert (review.toolkit, review.officer, review.visit_date) == (
        toolkit,
        officer_olivia,
        visit_day,
    )
    axe_check(olivia)
    shoot(olivia, "journey-review-planned")

    # --- An information request of two items, drafted then sent
    olivia.get_by_role("link", name="New information request").click()
    expect(_heading(olivia)).to_have_text("New information request")
    axe_check(olivia)
    olivia.get_by_label("Title", exact=True).fill("Before the visit")
    olivia.get_by_label("Covering note to the provider").fill("Please answer before we visit.")
    olivia.get_by_label("Documents and questions").fill(
        "Your safeguarding policy\nHow many staff had safeguarding training this year?"
    )
    olivia.get_by_role("button", name="Save the draft").click()
    expect(_heading(olivia)).to_have_text("Before the visit")
    expect(olivia.get_by_role("main")).to_contain_text("Draft")
    axe_check(olivia)
    olivia.get_by_role("link", name="Send to the provider").click()
    expect(_heading(olivia)).to_have_text("Send the request to the provider")
    axe_check(olivia)
    olivia.get_by_role("button", name="Send the request to the provider").click()
    expect(_banner(olivia)).to_contain_text("Request sent")
    axe_check(olivia)
    request = InformationRequest.objects.get(review=review)
    assert request.status == "sent"
    review.refresh_from_db()
    assert review.status == "information_requested"

    # --- Pat answers it: a file for the policy, a text for the question
    login(pat, provider_pat)
    axe_check(pat)
    menu.get_by_role("link", name="Information requests").click()
    expect(_heading(pat)).to_have_text("Information requests")
    axe_check(pat)
    pat.get_by_role("link", name="Before the visit").click()
    expect(_heading(pat)).to_have_text("Before the visit")
    axe_check(pat)
    pat.get_by_role("link", name="Answer item 1").click()
    expect(_heading(pat)).to_have_text("Your safeguarding policy")
    # Nothing in Sunrise's library yet: the page says so, and how to add a file.
    expect(pat.get_by_role("main")).to_contain_text("No files in the evidence library")
    axe_check(pat)
    pat.get_by_label("Title of the new file").fill(POLICY)
    pat.get_by_label("Date of the new file").fill(f"{policy_day:%d/%m/%Y}")
    # GOV.UK Frontend's file upload is a button that opens the file chooser.
    with pat.expect_file_chooser() as choosing:
        pat.get_by_label("Or upload a new file").click()
    choosing.value.set_files(
        {"name": "safeguarding-policy.pdf", "mimeType": "application/pdf", "buffer": upload}
    )
    pat.get_by_role("button", name="Save the answer").click()
    expect(_banner(pat)).to_contain_text("Answer saved")
    pat.get_by_role("link", name="Answer item 2").click()
    expect(_heading(pat)).to_have_text("How many staff had safeguarding training this year?")
    axe_check(pat)
    pat.get_by_label("Response").fill("31 of our 34 staff, the rest are booked for December.")
    pat.get_by_role("button", name="Save the answer").click()
    expect(_banner(pat)).to_contain_text("Answer saved")
    expect(pat.get_by_role("main")).to_contain_text("31 of our 34 staff")
    axe_check(pat)
    shoot(pat, "journey-request-answered")

    # The worker scans the upload (QAF_VIRUS_SCANNER=none in tests: clean) before anyone but an
    # administrator may download it.
    evidence = Evidence.objects.get(provider=sunrise_house.provider)
    _wait_for_db(
        lambda: Evidence.objects.filter(pk=evidence.pk, scan_status=ScanStatus.CLEAN).exists(),
        "the virus scan of the upload",
        timeout=RENDER_TIMEOUT,
    )
    menu.get_by_role("link", name="Evidence library").click()
    expect(pat.get_by_role("main")).to_contain_text(POLICY)
    axe_check(pat)

    # --- Olivia downloads the file and accepts both answers
    olivia.reload()
    item_1 = olivia.locator(".govuk-summary-card", has_text="Your safeguarding policy")
    assert _download(olivia, item_1.get_by_role("link", name=POLICY)) == upload
    expect(item_1).to_contain_text("Answered")
    olivia.get_by_role("button", name="Accept item 1").click()
    expect(_banner(olivia)).to_contain_text("Item 1: accepted")
    olivia.get_by_role("button", name="Accept item 2").click()
    expect(_banner(olivia)).to_contain_text("Item 2: accepted")
    expect(olivia.locator(".govuk-summary-card .govuk-tag--green")).to_have_count(2)
    axe_check(olivia)
    shoot(olivia, "journey-request-accepted")

    # --- The visit, with the tablet's keyboard alone
    s1a, s1b, c1 = services.questions_of(review)
    s1, c1_standard = s1a.standard, c1.standard
    olivia.get_by_role("link", name=str(review)).click()
    olivia.get_by_role("link", name="Open the visit form").click()
    expect(_heading(olivia)).to_have_text("Visit: Sunrise House")
    expect(olivia.locator("#visit-summary")).to_contain_text("0 of 2 standards scored")
    axe_check(olivia)
    assert olivia.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(olivia, "journey-visit")

    olivia.keyboard.press("Tab")
    assert "govuk-skip-link" in _focused(olivia)["classes"]
    olivia.keyboard.press("Enter")
    # S1, first question: Good (one arrow on from Excellent).
    _tab_to(olivia, lambda f: f["name"] == f"q{s1a.pk}-score", "The first question's score")
    olivia.keyboard.press("ArrowRight")
    expect(_status(olivia, s1a)).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    expect(olivia.locator(f"#standard-{s1.pk}-score")).to_contain_text("3.00 Green")
    olivia.keyboard.press("Tab")
    assert _focused(olivia)["id"] == f"q{s1a.pk}-notes"
    olivia.keyboard.type("Three care staff described the reporting route.")
    _wait_for_db(
        lambda: Answer.objects.filter(
            review=review, question=s1a, notes="Three care staff described the reporting route."
        ).exists(),
        "the first question's notes",
    )

    # The policy Pat sent is evidence for S1.1: linked on a page of its own, by keyboard too.
    _tab_to(olivia, lambda f: f["text"].startswith("Link evidence"), "S1.1's Link evidence")
    olivia.keyboard.press("Enter")
    expect(_heading(olivia)).to_have_text("Evidence for question S1.1")
    axe_check(olivia)
    _tab_to(olivia, lambda f: f["name"] == "evidence", "The policy's checkbox")
    olivia.keyboard.press("Space")
    _tab_to(olivia, lambda f: f["text"].startswith("Save the evidence"), "The save button")
    olivia.keyboard.press("Enter")
    expect(_heading(olivia)).to_have_text("Visit: Sunrise House")
    expect(_banner(olivia)).to_contain_text("Evidence for question S1.1 saved")
    expect(olivia.locator(f"#q{s1a.pk}-evidence")).to_contain_text(POLICY)
    assert [e.title for e in Answer.objects.get(review=review, question=s1a).evidence.all()] == [
        POLICY
    ]
    axe_check(olivia)
    olivia.evaluate("window.__noReload = true")  # from here on, every save is in place

    # S1, second question: Requires improvement (two arrows on from Excellent).
    _tab_to(olivia, lambda f: f["name"] == f"q{s1b.pk}-score", "The second question's score")
    olivia.keyboard.press("ArrowRight")
    olivia.keyboard.press("ArrowRight")
    expect(olivia.locator(f"#standard-{s1.pk}-score")).to_contain_text("2.50 Amber")
    expect(_status(olivia, s1b)).to_have_text(re.compile(r"^Saved "))
    assert Answer.objects.get(review=review, question=s1b).score == "2"

    # The Wi-Fi drops in the middle of the notes; typing goes on and nothing is lost.
    olivia.keyboard.press("Tab")
    assert _focused(olivia)["id"] == f"q{s1b.pk}-notes"
    olivia.keyboard.type("Two concerns last month; ")
    olivia.context.set_offline(True)
    olivia.keyboard.type("the manager showed the action plan.")
    expect(olivia.locator("#visit-connection")).to_contain_text("You are offline")
    expect(_status(olivia, s1b)).to_have_text("Not saved: offline — kept on this tablet")
    axe_check(olivia)
    shoot(olivia, "journey-visit-offline")
    olivia.context.set_offline(False)
    typed = "Two concerns last month; the manager showed the action plan."
    _wait_for_db(
        lambda: Answer.objects.filter(review=review, question=s1b, notes=typed).exists(),
        "the notes typed offline",
    )
    expect(_status(olivia, s1b)).to_have_text(re.compile(r"^Saved "))
    expect(olivia.locator("#visit-connection")).to_have_text("")

    # S1's findings, then C1: Excellent (Space on the first choice).
    _tab_to(olivia, lambda f: f["id"] == f"s{s1.pk}-findings", "S1's findings")
    olivia.keyboard.type(FINDINGS)
    _wait_for_db(
        lambda: StandardNote.objects.filter(review=review, standard=s1, findings=FINDINGS).exists(),
        "S1's findings",
    )
    _tab_to(olivia, lambda f: f["name"] == f"q{c1.pk}-score", "The C1 question's score")
    olivia.keyboard.press("Space")
    expect(olivia.locator(f"#standard-{c1_standard.pk}-score")).to_contain_text("4.00 Green")
    expect(_status(olivia, c1)).to_have_text(re.compile(r"^Saved "))
    summary = olivia.locator("#visit-summary")
    expect(summary).to_contain_text("2 of 2 standards scored")
    expect(summary).to_contain_text("Suggested review rating: Amber")
    assert olivia.evaluate("window.__noReload") is True, "a save re-rendered the whole page"
    assert (
        olivia.evaluate("Object.keys(localStorage).filter(k => k.startsWith('qaf-visit:'))") == []
    )
    axe_check(olivia)
    shoot(olivia, "journey-visit-scored")

    # --- The visit recorded; the draft rated Green against the suggested Amber
    olivia.get_by_role("link", name=str(review)).click()
    scores = olivia.get_by_role("table", name="Mean score and RAG of each standard")
    expect(scores.locator("tr", has_text="S1 Safeguarding")).to_contain_text("2.50")
    expect(scores.locator("tr", has_text="C1 Dignity")).to_contain_text("4.00")
    axe_check(olivia)
    olivia.get_by_role("link", name="Record the visit as done").click()
    expect(_heading(olivia)).to_have_text("Record the visit as done")
    axe_check(olivia)
    olivia.get_by_role("button", name="Record the visit").click()
    expect(_banner(olivia)).to_contain_text("Done: record the visit as done")

    olivia.get_by_role("link", name="Write the draft report").click()
    expect(_heading(olivia)).to_have_text("Write the draft report")
    expect(olivia.get_by_role("main")).to_contain_text("The scores suggest Amber")
    axe_check(olivia)
    olivia.get_by_label("Green", exact=True).check()
    olivia.get_by_label("Summary of findings").fill(
        "A safe, caring home; the concerns log needs work."
    )
    olivia.get_by_label("Actions required").fill("Record an outcome for every concern.")
    # An override without its reason is refused.
    olivia.get_by_role("button", name="Save the draft report").click()
    expect(olivia.locator(".govuk-error-summary")).to_contain_text(
        "Explain why the rating differs from the suggested rating"
    )
    axe_check(olivia)
    olivia.get_by_label("Why the rating differs from the suggested rating").fill(OVERRIDE)
    olivia.get_by_role("button", name="Save the draft report").click()
    expect(_banner(olivia)).to_contain_text("Done: write the draft report")
    rating = olivia.locator(".govuk-summary-list__row", has_text="Rating")
    expect(rating).to_contain_text("Green")
    expect(rating).to_contain_text(f"(the scores suggested Amber: {OVERRIDE})")
    axe_check(olivia)

    olivia.get_by_role("link", name="Share the draft with the provider").click()
    expect(_heading(olivia)).to_have_text("Share the draft report with the provider")
    axe_check(olivia)
    olivia.get_by_role("button", name="Share the draft").click()
    expect(_banner(olivia)).to_contain_text("Done: share the draft report with the provider")
    expect(olivia.locator("p .govuk-tag").first).to_have_text("Draft with provider")
    review.refresh_from_db()
    assert (review.rating, review.suggested_rating) == ("green", "amber")

    # --- Pat reads the draft PDF and comments on two sections
    _wait_for_document(review, "qa_report_draft")
    menu.get_by_role("link", name="Home").click()
    waiting = pat.locator("#waiting-for-you")
    expect(waiting).not_to_contain_text("Information request")  # every item accepted
    axe_check(pat)
    waiting.get_by_role("link", name="Draft QA report on Sunrise House").click()
    expect(_heading(pat)).to_have_text("Full review")
    draft = _pdf_text(_download(pat, pat.get_by_role("link", name=DRAFT_PDF)))
    assert "DRAFT" in draft
    for text in (*IN_THE_REPORT, evidence_seen):
        assert text in draft, f"{text!r} is not in the draft report: {draft}"
    axe_check(pat)
    shoot(pat, "journey-draft-with-provider")

    pat.get_by_label("Section of the report").select_option(label="S1 Safeguarding")
    pat.get_by_label("Your factual-accuracy comment").fill(
        "Every concern in the log has an outcome recorded on the back page."
    )
    pat.get_by_label(POLICY).check()  # the policy goes with the comment
    pat.get_by_role("button", name="Send the comment").click()
    expect(_banner(pat)).to_contain_text("Done: comment on the draft report")
    pat.get_by_label("Section of the report").select_option(label="C1 Dignity")
    pat.get_by_label("Your factual-accuracy comment").fill(
        "Our dignity champion is Amy Jones, not Amy James."
    )
    pat.get_by_role("button", name="Send the comment").click()
    expect(_banner(pat)).to_contain_text("Done: comment on the draft report")
    expect(pat.get_by_role("main")).to_contain_text("Waiting for the officer's answer.")
    axe_check(pat)

    # --- Olivia answers both, then issues the final report
    olivia.reload()
    on_s1 = olivia.locator(".govuk-inset-text", has_text="back page")
    expect(on_s1).to_contain_text(f"Evidence sent with the comment: {POLICY}")
    on_s1.get_by_label("Not accepted", exact=True).check()
    on_s1.get_by_label("Reason (needed when not accepted)").fill(NOT_ACCEPTED)
    axe_check(olivia)
    on_s1.get_by_role("button", name="Save the answer").click()
    expect(_banner(olivia)).to_contain_text("Done: answer a comment")
    on_c1 = olivia.locator(".govuk-inset-text", has_text="Amy Jones")
    on_c1.get_by_label("Accepted and the report changed").check()
    on_c1.get_by_role("button", name="Save the answer").click()
    expect(_banner(olivia)).to_contain_text("Done: answer a comment")
    expect(olivia.locator(".govuk-inset-text", has_text="back page")).to_contain_text(
        f"Answer: Not accepted: {NOT_ACCEPTED}"
    )
    axe_check(olivia)

    # --- The provider's 14 days: the final report waits until Pat says there is no more
    expect(olivia.get_by_role("main")).to_contain_text(
        "Issue the final report is not possible yet. The provider may comment until"
    )
    pat.reload()
    pat.get_by_role("link", name="We have no further comments").click()
    expect(_heading(pat)).to_have_text("Tell the council you have no further comments")
    axe_check(pat)
    pat.get_by_role("button", name="Confirm: no further comments").click()
    expect(_banner(pat)).to_contain_text("Done: tell the council you have no further comments")
    expect(pat.get_by_role("main")).to_contain_text("that it has no further comments")
    expect(pat.get_by_role("button", name="Send the comment")).to_have_count(0)
    olivia.reload()

    olivia.get_by_role("link", name="Issue the final report").click()
    expect(_heading(olivia)).to_have_text("Issue the final report")
    axe_check(olivia)
    olivia.get_by_role("button", name="Issue the final report").click()
    expect(_banner(olivia)).to_contain_text("Done: issue the final report")
    expect(olivia.locator("p .govuk-tag").first).to_have_text("Final")
    _wait_for_document(review, "qa_report_final")
    olivia.reload()
    final = _pdf_text(_download(olivia, olivia.get_by_role("link", name=FINAL_PDF)))
    assert "DRAFT" not in final
    for text in (
        *IN_THE_REPORT,
        evidence_seen,
        "Final quality assurance report",
        "The provider's comments on the draft report S1 Safeguarding Every concern in the log",
        f"Evidence sent: {POLICY} Our answer: Not accepted. {NOT_ACCEPTED}",
        "C1 Dignity Our dignity champion is Amy Jones, not Amy James. "
        "Our answer: Accepted and the report changed",
    ):
        assert text in final, f"{text!r} is not in the final report: {final}"
    axe_check(olivia)
    shoot(olivia, "journey-final")

    # --- Pat sees the final report and the answers to the comments
    pat.reload()
    expect(pat.locator("p .govuk-tag").first).to_have_text("Final")
    expect(pat.get_by_role("link", name=FINAL_PDF)).to_be_visible()
    expect(pat.get_by_role("main")).to_contain_text(f"Answer: Not accepted: {NOT_ACCEPTED}")
    expect(pat.get_by_role("main")).to_contain_text("Answer: Accepted and the report changed")
    axe_check(pat)
    shoot(pat, "journey-final-provider")
    review.refresh_from_db()
    assert review.status == "final"
    assert review.comments.filter(response="").count() == 0
