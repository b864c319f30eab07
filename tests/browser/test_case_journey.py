"""An escalation case from the referral to the provider reading its Rectification Notice, in
the browser (issue 11 "Done when"): Maya, a quality manager, finds Sunrise House's case in the
escalation queue and refers it to today's board meeting; Bea, on the board, records who attended
(Bea, Ben and Maya: quorate) and the board's decision, a Rectification Notice; Maya issues the
notice the board decided; Pat, at Sunrise Care, sees the letter on the case's page and reads it,
and sees nothing of the board's papers. A real Celery worker renders the letter; axe checks
every page on the way."""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation import board_services, case_services
from escalation.models import BoardDecision, EscalationCase, Stage
from qaf.models import Document
from tests.browser.conftest import DESKTOP, _new_page
from tests.browser.test_visit_form import _wait_for_db
from tests.browser.test_whole_review import (  # noqa: F401 - the worker fixture
    RENDER_TIMEOUT,
    _banner,
    _download,
    _heading,
    _pdf_text,
    worker,
)
from tests.escalation.board_support import seat_members

pytestmark = pytest.mark.browser

HEADLINES = "Medicines errors three months running; night staffing below the agreed levels."
RECOMMEND = "A Rectification Notice, with the suspension of new placements kept in place."
DECISION = "Medicines errors continue three months after the quality improvement meeting."


@pytest.fixture
def pages(browser, live_server, django_db_serialized_rollback):
    """A new signed-out page per person (each its own browser context)."""
    opened = []

    def new():
        context, page = _new_page(browser, live_server, viewport=DESKTOP)
        opened.append((context, page))
        return page

    yield new
    for context, page in opened:
        problems = page.problems
        context.close()
        problems.check()


@pytest.fixture
def formal_case(sunrise_house, officer_olivia) -> EscalationCase:
    """Sunrise House's case at the formal stage: the call made, the notice issued."""
    case = case_services.open_case(
        sunrise_house, actor=officer_olivia, concerns="Repeated medicines errors."
    )
    case_services.record_contact(
        case,
        actor=officer_olivia,
        contact_kind="call",
        contact_on=timezone.localdate(),
        contact_with="The registered manager",
        contact_outcome="An action plan by Friday.",
    )
    return case_services.advance(case, actor=officer_olivia)


def test_refer_decide_issue_and_read_the_rectification_notice(
    pages,
    login,
    axe_check,
    shoot,
    worker,  # noqa: F811
    manager_maya,
    board_bea,
    provider_pat,
    formal_case,
):
    members = seat_members(bea=board_bea, maya=manager_maya)
    today = timezone.localdate()
    meeting = board_services.arrange(
        actor=manager_maya,
        starts_at=timezone.make_aware(datetime.combine(today, time(8, 0))),
        kind="urgent",
        place="Virtual",
    )

    # --- Maya finds the case in the queue and refers it to today's meeting
    maya = login(pages(), manager_maya)
    maya.get_by_role("link", name="Escalations", exact=True).click()
    expect(_heading(maya)).to_have_text("Escalation queue")
    expect(maya.get_by_role("main")).to_contain_text("Formal: quality improvement")
    axe_check(maya)
    maya.get_by_role("link", name="Sunrise House").click()
    expect(_heading(maya)).to_have_text("Escalation case")
    axe_check(maya)
    maya.get_by_role("link", name="Refer to the board").click()
    axe_check(maya)
    maya.get_by_label("Headline concerns").fill("")
    maya.get_by_role("button", name=re.compile("^Refer")).click()  # empty papers: errors
    expect(maya.locator(".govuk-error-summary")).to_contain_text(
        "Give the headline concerns for the board"
    )
    axe_check(maya)
    maya.get_by_label("Headline concerns").fill(HEADLINES)
    maya.get_by_label("Recommendations").fill(RECOMMEND)
    maya.get_by_label("Put it on the agenda of").select_option(str(meeting.pk))
    maya.get_by_role("button", name=re.compile("^Refer")).click()
    expect(_banner(maya)).to_be_visible()
    expect(maya.get_by_role("main")).to_contain_text("Referred to the board")
    expect(maya.locator("#papers")).to_contain_text(HEADLINES)
    axe_check(maya)
    shoot(maya, "case-referred")

    # --- Bea records who attended (quorate) and the board's decision
    bea = login(pages(), board_bea)
    bea.get_by_role("link", name="Board", exact=True).click()
    bea.get_by_role("row", name=re.compile("Urgent")).get_by_role("link").click()
    expect(bea.locator("#agenda-items")).to_contain_text("Sunrise House")
    axe_check(bea)
    bea.get_by_role("link", name="Record attendance").click()
    for member in ("bea", "ben", "maya"):
        name = members[member].user.get_full_name()
        bea.get_by_label(re.compile(f"^{re.escape(name)} – ")).check()
    bea.get_by_role("button", name="Save the attendance").click()
    expect(bea.locator("#quorum")).to_have_text(
        "Quorate: 3 members present, every required role filled."
    )
    axe_check(bea)
    bea.get_by_role("link", name=re.compile("^Record the decision")).click()
    expect(_heading(bea)).to_have_text("Record the decision")
    axe_check(bea)
    bea.get_by_label("Issue a Rectification Notice").check()
    bea.get_by_label("Reason for the decision").fill(DECISION)
    bea.get_by_role("button", name="Record the decision").click()
    expect(_banner(bea)).to_contain_text("Decision recorded: Issue a Rectification Notice.")
    axe_check(bea)
    decision = BoardDecision.objects.get()
    assert (decision.subject, decision.outcome) == (formal_case, "rectification_notice")

    # --- Maya issues the notice the board decided
    maya.reload()
    maya.get_by_role("link", name="Issue the notice the board decided").click()
    axe_check(maya)
    maya.get_by_label("Issue a Rectification Notice").check()
    maya.get_by_role("button", name=re.compile("^(Issue|Advance)")).click()
    expect(_banner(maya)).to_be_visible()
    expect(maya.get_by_role("main")).to_contain_text("Rectification notice")
    axe_check(maya)
    shoot(maya, "case-rectification-notice")
    formal_case.refresh_from_db()
    assert formal_case.stage == Stage.RECTIFICATION_NOTICE
    assert formal_case.moves.get(to_stage=Stage.RECTIFICATION_NOTICE).decision == decision
    _wait_for_db(
        lambda: (
            Document.objects.about(formal_case)
            .filter(kind="rectification_notice", status="ready")
            .exists()
        ),
        "the Rectification Notice",
        timeout=RENDER_TIMEOUT,
    )

    # --- Pat sees the case's stage and the letter, and nothing of the board's papers
    pat = login(pages(), provider_pat)
    pat.goto(formal_case.service.get_absolute_url())
    pat.locator("#escalation ~ p").get_by_role("link", name="Escalation case").click()
    expect(_heading(pat)).to_have_text("Escalation case")
    main = pat.get_by_role("main")
    expect(main).to_contain_text("Rectification notice")
    expect(main).not_to_contain_text(HEADLINES)
    expect(main).not_to_contain_text("Board summary")
    expect(main).not_to_contain_text(DECISION)
    axe_check(pat)
    letter = _pdf_text(_download(pat, pat.get_by_role("link", name=re.compile("^Rectification"))))
    assert "Rectification Notice: Sunrise House" in letter
    assert "Sunrise Care Ltd" in letter
    assert "cc." in letter and "Registered Manager" in letter
    shoot(pat, "case-provider-letter")
