"""Olivia scores Sunrise House's review on a tablet (768x1024) with its keyboard, in a care home
with a weak connection; Owen, another officer, helps on the same visit from his own tablet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from reviews import services
from reviews.models import Answer
from tests.browser.conftest import TABLET, _new_page
from tests.browser.test_keyboard_tablet import _focused, _tab_to
from tests.factories import small_toolkit
from tests.support import wait_until

pytestmark = pytest.mark.browser

LAYOUT = {
    "Safe": {
        "S1 Safeguarding": ["Do staff know how to report abuse?", "Are concerns learned from?"],
        "S2 Medicines": ["Are medicines given as prescribed?"],
    },
    "Caring": {"C1 Dignity": ["Are people treated with dignity?"]},
}


@pytest.fixture
def review(sunrise_house, officer_olivia):
    toolkit = small_toolkit(LAYOUT)
    return services.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)


def _questions(review):
    questions = list(services.questions_of(review))
    for question in questions:
        question.review_pk = review.pk
    return questions


def _answer(review, question) -> Answer | None:
    return Answer.objects.filter(review=review, question=question).first()


def _wait_for_db(check, what: str, timeout: float = 30):
    """The server saves in its own thread: poll until ``check()`` holds."""
    wait_until(check, f"{what} saved on the server", timeout=timeout)


def _record_saves(page):
    """From now on, note every save the page starts as {item, online, sent}: htmx's
    configRequest fires for each (sent false), including those the page then holds back
    (offline, nothing new, a conflict waiting); beforeRequest only for those that go out."""
    page.evaluate(
        """() => {
            window.__saves = [];
            const note = (sent) => (event) => {
                const item = event.target.closest("[data-visit-item]")?.dataset.visitItem;
                window.__saves.push({item, online: navigator.onLine, sent});
            };
            document.addEventListener("htmx:configRequest", note(false), true);
            document.addEventListener("htmx:beforeRequest", note(true), true);
        }"""
    )


def _sent(page, question) -> int:
    """How many saves of ``question`` the page has sent since ``_record_saves``."""
    return page.evaluate(
        "key => window.__saves.filter(s => s.item === key && s.sent).length", f"q{question.pk}"
    )


def _status(page, question):
    return page.locator(f"#q{question.pk}-status")


def _write_notes(page, question, text: str, *, refused: bool = False):
    """Type notes and leave the box (which saves at once); ``refused``: a 409 is expected."""
    if refused:
        page.problems.expect_error_status(
            f"/reviews/{question.review_pk}/visit/questions/{question.pk}/"
        )
    page.locator(f"#q{question.pk}-notes").fill(text)
    page.locator(f"#q{question.pk}-notes").blur()
    if not refused:
        expect(_status(page, question)).to_have_text(re.compile(r"^Saved "))


def test_officer_scores_by_keyboard_and_loses_nothing_offline(
    tablet_page, login, axe_check, shoot, officer_olivia, review
):
    page = tablet_page
    s1a, s1b, s2, c1 = _questions(review)
    login(page, officer_olivia)
    page.goto(f"/reviews/{review.pk}/visit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Visit: Sunrise House")
    expect(page.locator("#visit-summary")).to_contain_text("0 of 3 standards scored")
    axe_check(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "tablet-visit")
    page.evaluate("window.__noReload = true")
    _record_saves(page)

    # Skip link, then Tab through the side list of standards to the first score.
    page.keyboard.press("Tab")
    assert "govuk-skip-link" in _focused(page)["classes"]
    page.keyboard.press("Enter")
    _tab_to(page, lambda f: f["text"].startswith("C1"), "The side list's link to C1")
    _tab_to(page, lambda f: f["name"] == f"q{s1a.pk}-score", "The first question's score")
    assert _focused(page)["id"] == f"q{s1a.pk}-score-4"
    # Arrow keys choose within the radios: Excellent -> Good. The save is one small request.
    with page.expect_response(re.compile(rf"/visit/questions/{s1a.pk}/$")) as saving:
        page.keyboard.press("ArrowRight")
    response = saving.value
    assert response.status == 200
    server_ms = float(response.headers["server-timing"].removeprefix("app;dur="))
    assert server_ms <= 200, f"saving an answer took {server_ms} ms on the server"
    expect(_status(page, s1a)).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    expect(page.locator(f"#standard-{s1a.standard_id}-score")).to_contain_text("3.00 Green")
    assert _answer(review, s1a).score == "3"

    # Tab to the notes and type: saved a moment after typing stops.
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == f"q{s1a.pk}-notes"
    page.keyboard.type("Staff described the reporting route.")
    _wait_for_db(
        lambda: _answer(review, s1a).notes == "Staff described the reporting route.",
        "the first notes",
    )

    # The next question: Requires improvement (two presses on from Excellent). The standard's
    # mean (3 and 2) becomes 2.50 Amber, and the suggested review rating with it.
    _tab_to(page, lambda f: f["name"] == f"q{s1b.pk}-score", "The second question's score")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#standard-{s1a.standard_id}-score")).to_contain_text("2.50 Amber")
    expect(page.locator(f"#nav-standard-{s1a.standard_id}")).to_contain_text("2 of 2 answered")
    expect(page.locator("#visit-summary")).to_contain_text("1 of 3 standards scored")
    expect(page.locator("#visit-summary")).to_contain_text("Amber")
    expect(_status(page, s1b)).to_have_text(re.compile(r"^Saved "))
    assert _answer(review, s1b).score == "2"

    # The connection drops in the middle of the notes. Typing goes on; nothing is lost.
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == f"q{s1b.pk}-notes"
    page.keyboard.type("Two concerns last month; ")
    page.context.set_offline(True)
    page.keyboard.type("the manager showed the action plan.")
    expect(page.locator("#visit-connection")).to_contain_text("You are offline")
    expect(_status(page, s1b)).to_have_text("Not saved: offline — kept on this tablet")
    typed = "Two concerns last month; the manager showed the action plan."
    kept = page.evaluate(
        "key => JSON.parse(localStorage.getItem(key))",
        f"qaf-visit:{officer_olivia.pk}:{review.pk}:q{s1b.pk}",
    )
    assert kept["values"][f"q{s1b.pk}-notes"] == typed
    assert kept["version"] == 1
    # Past the typing pause the page tries to save, sees it is offline, and holds the save back.
    page.wait_for_function(
        "key => window.__saves.some(s => s.item === key && !s.online && !s.sent)",
        arg=f"q{s1b.pk}",
    )
    assert _answer(review, s1b).notes == ""
    axe_check(page)
    shoot(page, "tablet-visit-offline")

    # Back online: what was kept on the tablet is sent by itself.
    page.context.set_offline(False)
    _wait_for_db(lambda: _answer(review, s1b).notes == typed, "the notes typed offline")
    expect(_status(page, s1b)).to_have_text(re.compile(r"^Saved "))
    expect(page.locator("#visit-connection")).to_have_text("")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('qaf-visit:'))") == []
    assert page.evaluate("window.__noReload") is True, "a save re-rendered the whole page"

    # The side list jumps to another standard by keyboard; focus moves with it.
    page.get_by_role("link", name=re.compile(r"^C1 ")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"#standard-{c1.standard_id}$"))
    _tab_to(page, lambda f: f["name"] == f"q{c1.pk}-score", "The C1 question's score")
    page.keyboard.press("Space")
    _wait_for_db(
        lambda: _answer(review, c1) is not None and _answer(review, c1).score == "4", "the C1 score"
    )
    axe_check(page)
    shoot(page, "tablet-visit-scored")


def test_two_officers_on_the_same_question_see_both_copies(
    browser,
    live_server,
    tablet_page,
    login,
    axe_check,
    shoot,
    officer_olivia,
    officer_owen,
    review,
):
    s1a, s1b, *_ = _questions(review)
    olivia = tablet_page
    owen_context, owen = _new_page(browser, live_server, viewport=TABLET, has_touch=True)
    try:
        for page, user in ((olivia, officer_olivia), (owen, officer_owen)):
            login(page, user)
            page.goto(f"/reviews/{review.pk}/visit/")
        _record_saves(olivia)

        # Owen saves his notes on the first question; Olivia's page still has version 0.
        _write_notes(owen, s1a, "Owen: no log of concerns kept.")

        # Olivia's later save is refused and she is told, with both copies.
        _write_notes(olivia, s1a, "Olivia: the log is kept in the office.", refused=True)
        panel = olivia.locator(f"#q{s1a.pk}-conflict-panel")
        expect(panel).to_contain_text(
            re.compile(r"Someone saved a different version at \d\d:\d\d \(Owen ")
        )
        expect(panel).to_contain_text("Owen: no log of concerns kept.")
        expect(panel).to_contain_text("Olivia: the log is kept in the office.")
        assert _answer(review, s1a).notes == "Owen: no log of concerns kept."
        axe_check(olivia)
        shoot(olivia, "tablet-visit-conflict")

        # By keyboard: Tab from her notes to "Keep mine", Enter. Hers is saved on top of his.
        olivia.locator(f"#q{s1a.pk}-notes").focus()
        _tab_to(olivia, lambda f: f["text"].startswith("Keep mine"), "Keep mine")
        olivia.keyboard.press("Enter")
        _wait_for_db(
            lambda: _answer(review, s1a).notes == "Olivia: the log is kept in the office.",
            "Olivia's kept version",
        )
        expect(panel).to_have_count(0)
        assert _focused(olivia)["id"] == f"q{s1a.pk}-title"

        # On the second question she takes Owen's version instead: nothing of hers is sent.
        _write_notes(owen, s1b, "Owen: the action plan is up to date.")
        _write_notes(olivia, s1b, "Olivia: no plan seen.", refused=True)
        theirs = olivia.locator(f"#q{s1b.pk}-conflict-panel").get_by_role(
            "button", name=re.compile("^Use theirs")
        )
        expect(theirs).to_be_visible()  # her save was refused: the panel is back
        sent_before = _sent(olivia, s1b)
        theirs.focus()
        olivia.keyboard.press("Space")
        expect(olivia.locator(f"#q{s1b.pk}-notes")).to_have_value(
            "Owen: the action plan is up to date."
        )
        expect(_status(olivia, s1b)).to_contain_text("Using the version saved by Owen")
        # Choosing sends nothing (a save would start in the click's own handler).
        assert _sent(olivia, s1b) == sent_before
        answer = _answer(review, s1b)
        assert (answer.notes, answer.version) == ("Owen: the action plan is up to date.", 1)
    finally:
        problems = owen.problems
        owen_context.close()
        problems.check()


def test_copies_kept_on_the_tablet_are_sent_when_the_page_opens(
    tablet_page, login, axe_check, officer_olivia, officer_owen, review
):
    """Olivia's battery died after she typed two notes offline. Back at the office she opens
    the visit again: the first is saved; the second Owen has changed since, so she is asked."""
    page = tablet_page
    _, _, s2, c1 = _questions(review)
    services.save_answer(review, c1, actor=officer_owen, expected_version=0, notes="Owen's note")
    login(page, officer_olivia)
    kept = {
        f"q{s2.pk}": {"values": {f"q{s2.pk}-score": "2", f"q{s2.pk}-notes": "MAR charts gaps"}},
        f"q{c1.pk}": {"values": {f"q{c1.pk}-score": "", f"q{c1.pk}-notes": "Olivia's note"}},
    }
    for key, entry in kept.items():
        page.evaluate(
            "([key, entry]) => localStorage.setItem(key, JSON.stringify(entry))",
            [f"qaf-visit:{officer_olivia.pk}:{review.pk}:{key}", {**entry, "version": 0, "at": 0}],
        )
    page.problems.expect_error_status(f"/reviews/{review.pk}/visit/questions/{c1.pk}/")
    page.goto(f"/reviews/{review.pk}/visit/")
    _wait_for_db(
        lambda: _answer(review, s2) is not None and _answer(review, s2).notes == "MAR charts gaps",
        "the kept notes",
    )
    assert _answer(review, s2).score == "2"
    panel = page.locator(f"#q{c1.pk}-conflict-panel")
    expect(panel).to_contain_text("Owen's note")
    expect(panel).to_contain_text("Olivia's note")
    expect(page.locator(f"#q{c1.pk}-notes")).to_have_value("Olivia's note")
    assert _answer(review, c1).notes == "Owen's note"
    axe_check(page)
