"""Olivia, on site with a tablet and its keyboard, links Sunrise Care's safeguarding policy to
the question it answers; Pat (Sunrise Care) sees on his home page what waits for him."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from reviews import services
from reviews.models import Answer
from tests.browser.test_keyboard_tablet import _tab_to
from tests.factories import EvidenceFactory, small_toolkit

pytestmark = pytest.mark.browser

LAYOUT = {"Safe": {"S1 Safeguarding": ["Do staff know how to report abuse?"]}}


@pytest.fixture
def review(sunrise_house, officer_olivia):
    return services.plan_review(sunrise_house, actor=officer_olivia, toolkit=small_toolkit(LAYOUT))


def test_officer_links_evidence_with_the_keyboard(
    tablet_page, login, axe_check, shoot, review, officer_olivia, provider_pat
):
    page = tablet_page
    policy = EvidenceFactory(
        provider=provider_pat.provider, uploaded_by=provider_pat, title="Safeguarding policy"
    )
    EvidenceFactory(provider=provider_pat.provider, uploaded_by=provider_pat, title="Staff rota")
    question = services.questions_of(review).get()
    login(page, officer_olivia)
    page.goto(f"/reviews/{review.pk}/visit/")
    expect(page.locator(f"#q{question.pk}-evidence")).to_contain_text("None")

    _tab_to(page, lambda f: f["text"].startswith("Link evidence"), "Link evidence")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Evidence for question S1.1")
    axe_check(page)
    shoot(page, "tablet-evidence-links")
    _tab_to(page, lambda f: f["tag"] == "input" and f["name"] == "evidence", "the first file")
    box = page.get_by_label(re.compile(r"^Safeguarding policy"))
    if not box.evaluate("el => el === document.activeElement"):
        _tab_to(page, lambda f: f["id"] == box.get_attribute("id"), "the policy's box")
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    _tab_to(page, lambda f: f["text"].startswith("Save the evidence"), "the save button")
    page.keyboard.press("Enter")

    # Back on the visit at the question, with the file listed and downloadable.
    expect(page).to_have_url(re.compile(rf"/reviews/{review.pk}/visit/#q{question.pk}$"))
    listed = page.locator(f"#q{question.pk}-evidence")
    expect(listed.get_by_role("link", name="Safeguarding policy")).to_have_attribute(
        "href", policy.get_download_url()
    )
    axe_check(page)
    answer = Answer.objects.get(review=review, question=question)
    assert [e.title for e in answer.evidence.all()] == ["Safeguarding policy"]


def test_provider_home_says_what_waits(
    page, login, axe_check, review, officer_olivia, provider_pat
):
    from reviews import information as info

    req = info.create_request(
        review.service, actor=officer_olivia, items=["Fire drill record"], title="Fire safety"
    )
    info.send_request(req, actor=officer_olivia)
    login(page, provider_pat)
    page.goto("/")
    waiting = page.locator("#waiting-for-you")
    expect(waiting).to_contain_text("Information request: Fire safety for Sunrise House")
    axe_check(page)
    waiting.get_by_role("link", name="Information request: Fire safety").click()
    expect(page.locator("h1")).to_contain_text("Fire safety")
    axe_check(page)
