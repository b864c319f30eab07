"""The new workflows with the keyboard alone (WCAG 2.2 2.1.1, 2.4.3, 2.4.7): Olivia proposes a
suspension, Maya records the board's decision, Pat posts an update on an improvement action.

Only keys: Tab, Shift+Tab, Enter, Space, an arrow within a radio group, and typing; pages are
opened by their address, as from the address bar. Every element Tab reaches on the way must
show where the focus is (the GOV.UK yellow focus style); a form sent empty puts the focus on its
error summary, whose link takes it to the field; a saved form puts it on the success banner.
axe checks each page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation import plan_services
from escalation.models import BoardDecision, PlanActionStatus, PlanUpdate, Suspension
from tests.escalation.board_support import (
    QUORATE,
    held_meeting,
    seat_members,
    service_subjects,  # noqa: F401 - a fixture
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

MAX_TABS = 120

# The focused element, and whether its focus can be seen: GOV.UK Frontend draws focus in
# yellow (#fd0) as an outline, a box shadow or a background; a radio or checkbox draws it on
# its label's ::before. A transparent outline (kept for Windows high-contrast mode) is not seen.
_FOCUS = """() => {
    const el = document.activeElement;
    const yellow = "rgb(255, 221, 0)";
    const styles = [getComputedStyle(el)];
    if (el.matches(".govuk-radios__input, .govuk-checkboxes__input") && el.labels.length) {
        styles.push(getComputedStyle(el.labels[0], "::before"));
        styles.push(getComputedStyle(el.labels[0], "::after"));
    }
    const seen = styles.some((s) =>
        (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
            && !["transparent", "rgba(0, 0, 0, 0)"].includes(s.outlineColor))
        || s.boxShadow.includes(yellow)
        || s.backgroundColor === yellow);
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    return {
        tag: el.tagName.toLowerCase(),
        name: el.getAttribute("name") || "",
        // textContent: a link's visually hidden words are part of its name.
        text: (el.textContent || el.value || "").replace(/\\s+/g, " ").trim().slice(0, 80),
        label: label.trim(),
        classes: typeof el.className === "string" ? el.className : "",
        checked: !!el.checked,
        seen,
    };
}"""


class Keyboard:
    """One person's keyboard on a page: Tab to what they want, noting every focus that cannot
    be seen."""

    def __init__(self, page):
        self.page = page
        self.unseen: list[str] = []

    def focused(self) -> dict:
        focus = self.page.evaluate(_FOCUS)
        if focus["tag"] != "body" and not focus["seen"]:
            self.unseen.append(f"{self.page.url}: {focus['tag']} {focus['text'] or focus['name']}")
        return focus

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        return self.focused()

    def tab_to(self, matches, what: str, *, key: str = "Tab") -> dict:
        for _ in range(MAX_TABS):
            focus = self.press(key)
            if matches(focus):
                return focus
        raise AssertionError(f"{what} never got focus after {MAX_TABS} presses of {key}")

    def to_main(self) -> None:
        """A page just opened: the first Tab reaches the skip link, Enter the main content."""
        focus = self.press("Tab")
        assert "govuk-skip-link" in focus["classes"], focus
        self.page.keyboard.press("Enter")
        expect(self.page.locator("#main-content")).to_be_focused()

    def follow(self, text: str) -> None:
        self.tab_to(lambda f: f["tag"] == "a" and f["text"] == text, f"The link {text!r}")
        self.page.keyboard.press("Enter")

    def submit(self, button: str) -> None:
        self.tab_to(lambda f: f["tag"] == "button" and f["text"] == button, f"{button!r}")
        self.page.keyboard.press("Enter")

    def errors_have_focus(self, first_error: str) -> None:
        """The form came back with errors: the summary has the focus, and its first link takes
        the focus to the field."""
        expect(self.page.locator(".govuk-error-summary")).to_be_focused()
        assert self.focused()["seen"], "the error summary's focus cannot be seen"
        self.follow(first_error)

    def banner_has_focus(self, text: str) -> None:
        banner = self.page.locator(".govuk-notification-banner--success")
        expect(banner).to_contain_text(text)
        expect(banner).to_be_focused()

    def check_seen(self) -> None:
        assert not self.unseen, "Focus that cannot be seen:\n  " + "\n  ".join(self.unseen)


def _sign_in(page, user) -> Keyboard:
    """Sign in with the keyboard: the username box has the focus when the page opens."""
    page.goto("/accounts/login/")
    keys = Keyboard(page)
    assert keys.focused()["name"] == "username"
    page.keyboard.type(user.username)
    keys.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    return keys


def _is_option(label: str):
    return lambda f: f["label"].startswith(label)


def test_an_officer_proposes_a_suspension_with_the_keyboard(
    page, axe_check, officer_olivia, sunrise_house
):
    keys = _sign_in(page, officer_olivia)
    page.goto(sunrise_house.get_absolute_url())
    keys.to_main()
    keys.follow("Propose a suspension")
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose a suspension")
    axe_check(page)

    # Sent empty: the error summary has the focus; its first link goes to the first radio.
    keys.submit("Propose the suspension")
    keys.errors_have_focus("Choose no new placements or placing with restrictions")
    assert keys.focused()["name"] == "restriction"
    axe_check(page)
    focus = keys.press("Space")
    assert focus["checked"] and focus["label"] == "No new placements", focus

    # Two reasons ticked with Space; a wrong one ticked and unticked again, back with Shift+Tab.
    keys.tab_to(_is_option("Organisational safeguarding enquiry"), "The safeguarding reason")
    assert keys.press("Space")["checked"]
    keys.tab_to(_is_option("Other"), "The other reason")
    assert keys.press("Space")["checked"]
    safeguarding = _is_option("Organisational safeguarding enquiry")
    keys.tab_to(safeguarding, "The safeguarding reason", key="Shift+Tab")
    keys.tab_to(_is_option("Other"), "The other reason")
    assert not keys.press("Space")["checked"]
    keys.tab_to(lambda f: f["name"] == "actions_required", "Actions required")
    page.keyboard.type("Send the council the medicines audit.")
    keys.submit("Propose the suspension")

    keys.banner_has_focus("Suspension proposed")
    axe_check(page)
    keys.check_seen()
    suspension = Suspension.objects.get()
    assert suspension.proposed_by == officer_olivia
    assert suspension.restriction == "no_new_placements"
    assert suspension.reasons == ["safeguarding_enquiry"]
    assert suspension.actions_required == "Send the council the medicines audit."


def test_a_manager_records_the_boards_decision_with_the_keyboard(
    page,
    axe_check,
    service_subjects,  # noqa: F811
    manager_maya,
    board_bea,
    sunrise_house,
):
    members = seat_members(bea=board_bea, maya=manager_maya)
    meeting = held_meeting(
        members, QUORATE, by=manager_maya, day=timezone.localdate(), subjects=[sunrise_house]
    )
    keys = _sign_in(page, manager_maya)
    page.goto(meeting.get_absolute_url())
    keys.to_main()
    keys.follow("Record the decision about Sunrise House: escalation to the board")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the decision")
    axe_check(page)

    keys.submit("Record the decision")
    keys.errors_have_focus("Choose the decision")
    axe_check(page)
    focus = keys.press("Space")
    assert focus["checked"] and focus["label"] == "Issue a rectification notice", focus
    keys.tab_to(lambda f: f["name"] == "reason", "Reason for the decision")
    page.keyboard.type("Medicines errors continue after the quality improvement meeting.")
    keys.submit("Record the decision")

    keys.banner_has_focus("Decision recorded: Issue a rectification notice.")
    axe_check(page)
    keys.check_seen()
    decision = BoardDecision.objects.get()
    assert (decision.subject, decision.outcome, decision.recorded_by) == (
        sunrise_house,
        "rectification_notice",
        manager_maya,
    )


@pytest.fixture
def accepted_plan(officer_olivia, provider_pat, sunrise_house):
    """Sunrise House's plan, accepted, with one action not started."""
    today = timezone.localdate()
    plan = plan_services.open_plan(
        sunrise_house, actor=officer_olivia, text="Three medicines errors in two months."
    )
    plan_services.edit_plan(plan, actor=provider_pat, version=None, responsible_person="Pat")
    plan_services.add_action(
        plan.issues.get(),
        actor=provider_pat,
        today=today,
        what="Weekly audit of every MAR chart",
        success_measure="Audits at 100% for a month",
        responsible="The deputy manager",
        due_on=today + timedelta(days=60),
    )
    plan_services.submit(plan, actor=provider_pat, today=today)
    plan_services.accept(plan, actor=officer_olivia, today=today)
    return plan


def test_a_provider_updates_a_plan_action_with_the_keyboard(
    page, axe_check, provider_pat, accepted_plan
):
    keys = _sign_in(page, provider_pat)
    page.goto(accepted_plan.get_absolute_url())
    keys.to_main()
    keys.tab_to(
        lambda f: f["tag"] == "a" and f["text"].startswith("Post an update"), "Post an update"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Post an update on the action")
    axe_check(page)

    # "In progress" is chosen already; sent without words, the error's link goes to the box.
    keys.submit("Post the update")
    keys.errors_have_focus("Say what has been done since the last update")
    assert keys.focused()["name"] == "text"
    axe_check(page)
    page.keyboard.type("Audits done every week since the plan was agreed.")
    # Back to the status with Shift+Tab; in a radio group an arrow key moves to the next
    # option and chooses it.
    focus = keys.press("Shift+Tab")
    assert focus["checked"] and focus["label"] == "In progress", focus
    focus = keys.press("ArrowDown")
    assert focus["checked"] and focus["label"].startswith("Done"), focus
    keys.submit("Post the update")

    keys.banner_has_focus("Update posted")
    axe_check(page)
    keys.check_seen()
    update = PlanUpdate.objects.get()
    assert (update.author, update.status, update.text) == (
        provider_pat,
        PlanActionStatus.DONE,
        "Audits done every week since the plan was agreed.",
    )
