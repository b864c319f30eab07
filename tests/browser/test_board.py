"""Maya, a quality manager, runs a board meeting in the browser: she arranges it, Sunrise House
is referred to it, she issues the papers (late: the page warns), records who attended (Bea,
Ben and herself: quorate, said in words), and records the board's decision about the case.
axe checks every page; the attendance is ticked with the keyboard."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation import board
from escalation.models import BoardDecision, BoardMeeting
from tests.escalation.board_support import seat_members, services_as_subjects

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _services_stand_for_cases():
    with services_as_subjects():
        yield


def _heading(page):
    return page.get_by_role("heading", level=1)


def _banner(page):
    return page.locator(".govuk-notification-banner--success")


def test_a_manager_runs_a_quorate_board_meeting(
    page, login, axe_check, shoot, manager_maya, board_bea, sunrise_house
):
    members = seat_members(bea=board_bea, maya=manager_maya)
    login(page, manager_maya)
    expect(page.locator("#board-next")).to_contain_text("None arranged")

    # --- Arrange it: today (an urgent decision), in the committee room
    page.get_by_role("link", name="Board", exact=True).click()
    expect(_heading(page)).to_have_text("Board meetings")
    axe_check(page)
    page.get_by_role("link", name="Arrange a meeting").click()
    expect(_heading(page)).to_have_text("Arrange a meeting")
    axe_check(page)
    page.get_by_role("button", name="Arrange the meeting").click()  # empty: errors
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date of the meeting")
    axe_check(page)
    today = timezone.localdate()
    page.get_by_label("Scheduled").check()
    page.get_by_label("Date").fill(f"{today.day}/{today.month}/{today.year}")
    page.get_by_label("Start time").fill("08:00")
    page.get_by_label("Where (optional)").fill("Committee Room 2")
    page.get_by_role("button", name="Arrange the meeting").click()
    expect(_banner(page)).to_contain_text("arranged")
    expect(page.locator("#quorum")).to_contain_text("A quorum is at least 3 members present")
    axe_check(page)
    meeting = BoardMeeting.objects.get()

    # --- Sunrise House is referred to it (from the case's own workflow)
    board.add_to_agenda(meeting, sunrise_house, actor=manager_maya)
    page.reload()
    expect(page.locator("#agenda-items")).to_contain_text("Sunrise House: escalation to the board")

    # --- The papers: on the day of the meeting, so late, and the page says so
    page.get_by_role("link", name="Issue the papers").click()
    expect(_heading(page)).to_have_text("Issue the papers")
    expect(page.locator("#papers-warning")).to_contain_text("on the day of the meeting")
    axe_check(page)
    page.get_by_role("button", name="Issue the papers").click()
    expect(_banner(page)).to_contain_text("The papers are issued")
    expect(page.locator("#papers-warning")).to_contain_text(
        "The terms of reference ask for them at least 7 days before."
    )
    expect(page.locator("#pack")).to_be_visible()
    axe_check(page)
    shoot(page, "board-papers-issued")

    # --- Attendance, ticked with the keyboard
    page.get_by_role("link", name="Record attendance").click()
    expect(_heading(page)).to_have_text("Record attendance")
    axe_check(page)
    for member in ("bea", "ben", "maya"):
        name = members[member].user.get_full_name()
        box = page.get_by_label(re.compile(f"^{re.escape(name)} – "))
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    page.get_by_role("button", name="Save the attendance").focus()
    page.keyboard.press("Enter")
    expect(_banner(page)).to_contain_text(
        "Attendance recorded. Quorate: 3 members present, every required role filled."
    )
    expect(page.locator("#quorum")).to_have_text(
        "Quorate: 3 members present, every required role filled."
    )
    expect(page.locator("#members")).to_have_text("Attendance")
    axe_check(page)

    # --- The decision about the case
    page.get_by_role("link", name="Record the decision about Sunrise House").click()
    expect(_heading(page)).to_have_text("Record the decision")
    axe_check(page)
    page.get_by_label("Issue a rectification notice").check()
    page.get_by_label("Reason for the decision").fill(
        "Medicines errors continue three months after the quality improvement meeting."
    )
    page.get_by_role("button", name="Record the decision").click()
    expect(_banner(page)).to_contain_text("Decision recorded: Issue a rectification notice.")
    expect(page.locator("#agenda-items")).to_contain_text("Decided Issue a rectification notice")
    expect(page.get_by_role("main")).to_contain_text(f"by {manager_maya}")
    expect(page.locator("#who-decided")).to_contain_text(members["ben"].user.get_full_name())
    axe_check(page)
    shoot(page, "board-decided")

    decision = BoardDecision.objects.get()
    assert (decision.subject, decision.outcome, decision.recorded_by) == (
        sunrise_house,
        "rectification_notice",
        manager_maya,
    )

    # --- The meetings list says it was quorate
    page.get_by_role("link", name="Board meetings").click()
    expect(page.locator("#past")).to_contain_text("Quorate")
    axe_check(page)
