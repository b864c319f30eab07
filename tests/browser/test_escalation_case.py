"""An escalation case in the browser (issue 11 "Done when"): Maya (manager) refers Sunrise
House's case to the board, onto a meeting's agenda; the board meets, quorate, and decides a
rectification notice; Olivia (officer) issues it from the case's page; Pat (Sunrise Care) sees
the case's stage and the letter, and nothing of the board's papers. axe checks every page."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation import board_services
from escalation.models import EscalationCase, Stage
from qaf.models import Document
from qaf.pdf import render_document
from tests.browser.test_suspension_journey import pages  # noqa: F401 - the fixture
from tests.escalation.board_support import QUORATE, at, seat_members
from tests.escalation.case_support import HEADLINE, RECOMMENDATIONS, formal

pytestmark = pytest.mark.browser


def _heading(page):
    return page.get_by_role("heading", level=1)


def _banner(page):
    return page.locator(".govuk-notification-banner--success")


def test_refer_decide_issue_and_the_provider_reads_the_letter(
    pages,  # noqa: F811
    login,
    axe_check,
    officer_olivia,
    manager_maya,
    board_bea,
    provider_pat,
    sunrise_house,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    members = seat_members(bea=board_bea, maya=manager_maya)
    today = timezone.localdate()
    case = formal(sunrise_house, officer_olivia, today=today)
    meeting = board_services.arrange(actor=manager_maya, starts_at=at(today, 8), place="Room 2")

    # --- Maya refers the case from its page
    maya = login(pages(), manager_maya)
    maya.goto(case.get_absolute_url())
    expect(_heading(maya)).to_have_text("Escalation case")
    axe_check(maya)
    maya.get_by_role("link", name="Refer to the board").click()
    expect(_heading(maya)).to_have_text("Refer to the board")
    axe_check(maya)
    maya.get_by_role("button", name="Refer to the board").click()  # empty: errors
    expect(maya.locator(".govuk-error-summary")).to_contain_text("Give the headline concerns")
    axe_check(maya)
    maya.get_by_label("Headline concerns").fill(HEADLINE)
    maya.get_by_label("Recommendations").fill(RECOMMENDATIONS)
    maya.get_by_label("Put it on the agenda of").select_option(str(meeting.pk))
    maya.get_by_role("button", name="Refer to the board").click()
    expect(_banner(maya)).to_contain_text("Done: refer to the board")
    expect(maya.locator("#case-summary")).to_contain_text("Referred to the board")
    expect(maya.get_by_role("main")).to_contain_text(f"On the agenda of: {meeting}")
    expect(maya.locator("#papers")).to_contain_text(HEADLINE)
    axe_check(maya)

    # --- The board meets, quorate, and decides a rectification notice
    board_services.issue_papers(meeting, actor=manager_maya)
    board_services.record_attendance(
        meeting, actor=manager_maya, present=[members[n] for n in QUORATE], today=today
    )
    maya.goto(meeting.get_absolute_url())
    maya.get_by_role("link", name="Record the decision about Sunrise House").click()
    axe_check(maya)
    maya.get_by_label("Issue a Rectification Notice").check()
    maya.get_by_label("Reason for the decision").fill("No improvement since the QIM.")
    maya.get_by_role("button", name="Record the decision").click()
    expect(_banner(maya)).to_contain_text("Decision recorded: Issue a Rectification Notice.")
    axe_check(maya)

    # --- Olivia issues the notice from the case's page
    olivia = login(pages(), officer_olivia)
    olivia.goto(case.get_absolute_url())
    olivia.get_by_role("link", name="Issue the notice the board decided").click()
    axe_check(olivia)
    olivia.get_by_label("Issue a Rectification Notice").check()
    olivia.get_by_role("button", name="Issue the notice the board decided").click()
    expect(_banner(olivia)).to_contain_text("Done")
    expect(olivia.locator("#case-summary")).to_contain_text("Rectification notice")
    expect(olivia.locator("#moves")).to_be_visible()
    axe_check(olivia)
    case = EscalationCase.objects.get(pk=case.pk)
    assert case.stage == Stage.RECTIFICATION_NOTICE
    for letter in Document.objects.about(case):
        render_document(letter)

    # --- Pat sees the stage and the letter, and nothing of the board's papers
    pat = login(pages(), provider_pat)
    pat.goto(case.get_absolute_url())
    expect(pat.locator("#case-summary")).to_contain_text("Rectification notice")
    expect(pat.locator("#documents")).to_contain_text("Rectification Notice")
    expect(pat.get_by_role("main")).not_to_contain_text(HEADLINE)
    expect(pat.get_by_role("main")).not_to_contain_text("Board summary")
    axe_check(pat)
