"""A suspension from proposal to the appeal's decision, in the browser, as its four people see
it: Olivia (officer) proposes to stop new placements at Sunrise House; Mo (a second manager)
approves it; Pat (Sunrise Care) sees the banner and the letter and appeals; Maya (manager, who
did not approve it) refuses the appeal. A real Celery worker renders the letters. axe checks
every page on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from escalation.models import AppealStatus, Suspension, SuspensionStatus
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

pytestmark = pytest.mark.browser

ACTIONS = "Send the council the medicines audit and the regulator's action plan."


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


def _letter_ready(suspension: Suspension, kind: str) -> None:
    _wait_for_db(
        lambda: Document.objects.filter(
            source_id=suspension.pk, kind=kind, status="ready"
        ).exists(),
        f"the {kind} letter",
        timeout=RENDER_TIMEOUT,
    )


def test_propose_approve_appeal_and_decide_in_the_browser(
    pages,
    login,
    axe_check,
    shoot,
    worker,  # noqa: F811
    officer_olivia,
    manager_maya,
    manager_mo,
    provider_pat,
    sunrise_house,
):
    # --- Olivia proposes it from the service page
    olivia = login(pages(), officer_olivia)
    olivia.goto(sunrise_house.get_absolute_url())
    olivia.get_by_role("link", name="Propose a suspension").click()
    expect(_heading(olivia)).to_have_text("Propose a suspension")
    axe_check(olivia)
    olivia.get_by_role("button", name="Propose the suspension").click()  # empty: errors
    expect(olivia.locator(".govuk-error-summary")).to_contain_text("Choose at least one reason")
    axe_check(olivia)
    olivia.get_by_label("No new placements").check()
    olivia.get_by_label("Organisational safeguarding enquiry").check()
    olivia.get_by_label("Actions required to lift it").fill(ACTIONS)
    olivia.get_by_role("button", name="Propose the suspension").click()
    expect(_banner(olivia)).to_contain_text("Suspension proposed")
    expect(olivia.get_by_role("main")).to_contain_text("Proposed, waiting for a manager")
    expect(olivia.get_by_role("link", name="Approve")).to_have_count(0)  # not hers to decide
    axe_check(olivia)
    suspension = Suspension.objects.get()

    # --- Mo approves it from his home page's queue
    mo = login(pages(), manager_mo)
    queue = mo.locator("#suspension-decisions")
    expect(queue).to_contain_text("Sunrise House: no new placements")
    axe_check(mo)
    queue.get_by_role("link", name="Sunrise House: no new placements").click()
    mo.get_by_role("link", name="Approve").click()
    expect(_heading(mo)).to_have_text("Approve the suspension")
    axe_check(mo)
    mo.get_by_label("Comment").fill("Agreed at the quality improvement meeting.")
    mo.get_by_role("button", name="Approve the suspension").click()
    expect(_banner(mo)).to_contain_text("Done: approve the suspension")
    expect(mo.get_by_role("main")).to_contain_text("In force")
    shoot(mo, "suspension-in-force")
    axe_check(mo)
    _letter_ready(suspension, "suspension")

    # --- Pat sees the banner and the letter, and appeals
    pat = login(pages(), provider_pat)
    expect(pat.locator("#suspensions-in-force")).to_contain_text(
        "Sunrise House: no new placements since"
    )
    axe_check(pat)
    pat.locator("#suspensions-in-force").get_by_role("link").click()
    expect(pat.get_by_role("main")).to_contain_text("already in place")
    letter = _pdf_text(_download(pat, pat.get_by_role("link", name="Suspension of new placements")))
    assert "Organisational safeguarding enquiry" in letter and ACTIONS in letter
    axe_check(pat)
    pat.get_by_role("link", name="Appeal").click()
    expect(_heading(pat)).to_have_text("Appeal against the suspension")
    axe_check(pat)
    pat.get_by_label("Why should the suspension end?").fill(
        "The enquiry closed last week with no finding against the home."
    )
    pat.get_by_role("button", name="Send the appeal").click()
    expect(_banner(pat)).to_contain_text("Done: appeal against the suspension")
    expect(pat.get_by_role("main")).to_contain_text("Waiting for a manager's decision")
    axe_check(pat)

    # --- Mo approved it, so Maya decides the appeal
    mo.reload()
    expect(mo.get_by_role("link", name="Decide the appeal")).to_have_count(0)
    maya = login(pages(), manager_maya)
    maya.locator("#suspension-decisions").get_by_role("link", name="Sunrise House: appeal").click()
    maya.get_by_role("link", name="Decide the appeal").click()
    axe_check(maya)
    maya.get_by_label("Refused: the suspension stands").check()
    maya.get_by_label("Reason").fill("The medicines audit is still outstanding.")
    maya.get_by_role("button", name="Record the decision").click()
    expect(_banner(maya)).to_contain_text("Appeal refused")
    axe_check(maya)
    suspension.refresh_from_db()
    assert suspension.status == SuspensionStatus.ACTIVE
    assert suspension.appeals.get().status == AppealStatus.REFUSED
    _letter_ready(suspension, "appeal_outcome")
    pat.reload()
    outcome = _pdf_text(
        _download(pat, pat.get_by_role("link", name="Outcome of your appeal against a suspension"))
    )
    assert "The medicines audit is still outstanding." in outcome

    # --- The Managed Placements Memo lists the service as not placing
    maya.goto("/memo/")
    expect(maya.locator("#part-red")).to_contain_text("Sunrise House")
    axe_check(maya)
