"""The main pages reflow on a 320px phone and at 200% zoom (WCAG 2.2 1.4.10): nothing makes the
page itself scroll sideways. A wide table scrolls inside its own region, which a keyboard can
reach and a screen reader names (GOV.UK's pattern: tabindex="0", role="region", a label).

1280 CSS pixels at 200% zoom lay out as 640: the second width. One browser context per person,
resized between the widths, keeps it quick. Each page is saved as a full-page screenshot at
320px in test-results/reflow/ to look at. The journeys check these pages with axe at desktop
size; here axe sees only what a phone adds, the service navigation folded into a Menu button."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from escalation import board_services, case_services, plan_services
from escalation import services as suspensions
from escalation.models import BoardRole, MemberKind
from reviews import services as reviews
from risk.recompute import recompute
from tests.browser.conftest import _new_page
from tests.browser.test_keyboard_workflows import _sign_in
from tests.factories import (
    ContractFactory,
    EvidenceFactory,
    IntelligenceFactory,
    ServiceFactory,
    small_toolkit,
)
from tests.providers.test_evidence import pdf

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
ZOOMED = {"width": 640, "height": 450}  # 1280x900 at 200%
DESKTOP = {"width": 1280, "height": 900}
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "reflow"

# What makes a page scroll sideways, and any scrolling region a keyboard cannot reach or a
# screen reader cannot name.
_LAYOUT = """() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
    const describe = (el) => {
        const classes = typeof el.className === "string" ? el.className.trim() : "";
        return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
            + (classes ? "." + classes.split(/\\s+/).join(".") : "");
    };
    const wide = [];
    for (const el of document.body.querySelectorAll("*")) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.right <= width + 1) continue;
        let inside = false;
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (scrolls(up) || getComputedStyle(up).overflowX === "hidden") {
                inside = true;
                break;
            }
        }
        if (!inside) wide.push(`${describe(el)} reaches ${Math.round(box.right)}px`);
    }
    const unreachable = [];
    for (const el of document.body.querySelectorAll("*")) {
        if (!scrolls(el) || el.scrollWidth <= el.clientWidth + 1) continue;
        const named = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
        if (el.tabIndex !== 0 || el.getAttribute("role") !== "region" || !named) {
            unreachable.push(describe(el));
        }
    }
    return {scrollWidth: root.scrollWidth, width, wide: wide.slice(0, 5), unreachable};
}"""


# Two animation frames: resize observers run in the frame after a layout change.
_NEXT_FRAMES = """() => new Promise((done) =>
    requestAnimationFrame(() => requestAnimationFrame(done)))"""

# Regions whose table fits, yet are a Tab stop.
_NEEDLESS_STOPS = """() => [...document.querySelectorAll(".qaf-table-container[role=region]")]
    .filter((el) => el.scrollWidth <= el.clientWidth + 1 && el.hasAttribute("tabindex"))
    .map((el) => el.getAttribute("aria-label") || el.getAttribute("aria-labelledby"))"""


@pytest.fixture
def world(settings, tmp_path, sunrise, sunrise_house, officer_olivia, manager_maya, provider_pat):
    """A little of everything the main pages list, for Sunrise Care Ltd: a long-named service,
    a contract, intelligence, a review being visited, a proposed suspension, an escalation case
    on a board meeting's agenda, an improvement plan with an action, a file in the evidence
    library; every service rated."""
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    lodge = ServiceFactory(
        provider=sunrise,
        name="Sunrise Lodge Extra Care Housing with Support (Northfield and Upper Avon Valley)",
    )
    ContractFactory(reference="C-SUN-01", provider=sunrise, services=[sunrise_house, lodge])
    for summary in ("Safeguarding concern raised by a relative", "Contract meeting: positive"):
        IntelligenceFactory(service=sunrise_house, summary=summary, date=today)
    kit = small_toolkit(
        {"Safe": {"S1 Safeguarding": ["Do staff know how to report abuse?", "Learned?"]}}
    )
    review = reviews.record_visit(
        reviews.plan_review(sunrise_house, actor=officer_olivia, toolkit=kit), actor=officer_olivia
    )
    suspension = suspensions.propose(
        sunrise_house,
        actor=officer_olivia,
        restriction="no_new_placements",
        reasons=["serious_complaint"],
        actions_required="Send the council the medicines audit and the regulator's action plan.",
    )
    board_services.add_member(
        actor=manager_maya,
        user=manager_maya,
        kind=MemberKind.DECISION_MAKER,
        role=BoardRole.QUALITY_MANAGER,
    )
    meeting = board_services.arrange(
        actor=manager_maya,
        starts_at=timezone.now() + timedelta(days=14),
        place="Committee Room 2, County Hall",
    )
    case = case_services.open_case(lodge, actor=officer_olivia, concerns="Medicines errors")
    case = case_services.record_contact(
        case,
        actor=officer_olivia,
        contact_kind="call",
        contact_on=today,
        contact_with="The registered manager",
        contact_outcome="An action plan by Friday",
    )
    case = case_services.advance(case, actor=officer_olivia)
    case_services.advance(
        case,
        actor=manager_maya,
        headline_concerns="Medicines errors three months running",
        recommendations="A rectification notice",
        meeting=meeting,
    )
    plan = plan_services.open_plan(
        sunrise_house, actor=officer_olivia, text="Three medicines errors in two months."
    )
    plan_services.add_action(
        plan.issues.get(),
        actor=officer_olivia,
        today=today,
        what="Medicines training for every senior carer, with a competency check",
        success_measure="Every senior carer signed off by the deputy manager",
        responsible="The deputy manager",
        due_on=today + timedelta(days=60),
    )
    evidence = EvidenceFactory(
        provider=sunrise, title="Medicines policy 2026", uploaded_by=provider_pat
    )
    evidence.file.save("policy.pdf", ContentFile(pdf()), save=True)
    recompute(today=today)
    return {
        "review": review,
        "suspension": suspension,
        "meeting": meeting,
        "case": case,
        "plan": plan,
        "service": sunrise_house,
    }


def _check(page, name: str, problems: list[str]) -> None:
    """The page at each width: its layout checked; its screenshot at the phone's width."""
    page.wait_for_load_state("load")
    for size in (PHONE, ZOOMED):
        page.set_viewport_size(size)
        page.evaluate(_NEXT_FRAMES)  # the regions' ResizeObserver has run (qaf.js)
        layout = page.evaluate(_LAYOUT)
        where = f"{name} ({page.url}) at {size['width']}px"
        if layout["scrollWidth"] > layout["width"]:
            problems.append(
                f"{where} scrolls sideways: {layout['scrollWidth']}px wide in {layout['width']}px; "
                + "; ".join(layout["wide"])
            )
        if layout["unreachable"]:
            problems.append(
                f"{where}: a scrolling region without tabindex=0, role=region and a label: "
                + ", ".join(layout["unreachable"])
            )
        if size is PHONE:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    # On a desktop, a region whose table fits is no Tab stop (qaf.js); narrowed, it was one.
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.evaluate(_NEXT_FRAMES)
        if needless := page.evaluate(_NEEDLESS_STOPS):
            problems.append(
                f"{name} ({page.url}) at {size['width']}px: a Tab stop on a region whose "
                "table fits: " + ", ".join(str(n) for n in needless)
            )


def test_the_main_pages_reflow_at_320px_and_at_200_percent_zoom(
    browser,
    live_server,
    django_db_serialized_rollback,
    axe_check,
    world,
    manager_maya,
    provider_pat,
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):  # a page left out since must not leave a stale picture
        old.unlink()
    problems: list[str] = []
    contexts = []

    def person():
        context, page = _new_page(browser, live_server, viewport=PHONE)
        contexts.append((context, page))
        return page

    try:
        # --- Signed out: the sign-in page
        page = person()
        page.goto("/accounts/login/")
        _check(page, "login", problems)

        # --- Maya, a manager: the register, a service, the queues, the board, the plan
        page = person()
        _sign_in(page, manager_maya)
        _check(page, "staff-home", problems)
        # The service navigation folds into a Menu button on a phone; open, it still fits.
        menu = page.get_by_role("button", name="Menu")
        menu.focus()
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("aria-expanded", "true")
        nav = page.get_by_role("navigation", name="Menu")
        expect(nav.get_by_role("link", name="Services")).to_be_visible()
        _check(page, "staff-home-menu-open", problems)
        axe_check(page)
        service, review = world["service"], world["review"]
        staff_pages = [
            ("services", "/services/"),
            ("service", service.get_absolute_url()),
            ("provider", service.provider.get_absolute_url()),
            ("review", review.get_absolute_url()),
            ("visit-form", f"{review.get_absolute_url()}visit/"),
            ("intelligence", "/intelligence/"),
            ("dashboard", "/dashboard/"),
            ("suspensions", "/suspensions/"),
            ("suspension", world["suspension"].get_absolute_url()),
            ("escalations", "/escalations/"),
            ("escalation-case", world["case"].get_absolute_url()),
            ("board", "/board/"),
            ("board-meeting", world["meeting"].get_absolute_url()),
            ("plan", world["plan"].get_absolute_url()),
            ("propose-suspension", f"/services/{service.pk}/suspensions/new/"),
        ]
        for name, url in staff_pages:
            page.goto(url)
            _check(page, name, problems)

        # The suspensions' table fits a desktop: no Tab stop; on a phone it scrolls: one.
        page.goto("/suspensions/")
        region = page.locator(".qaf-table-container[role=region]").first
        for size, stop in ((DESKTOP, False), (PHONE, True), (DESKTOP, False)):
            page.set_viewport_size(size)
            page.evaluate(_NEXT_FRAMES)
            if stop:
                expect(region).to_have_attribute("tabindex", "0")
            else:
                expect(region).not_to_have_attribute("tabindex", "0")

        # --- Pat, of Sunrise Care: the portal's home, the evidence library, the plan
        page = person()
        _sign_in(page, provider_pat)
        for name, url in [
            ("portal-home", "/"),
            ("portal-evidence", "/evidence/"),
            ("portal-plan", world["plan"].get_absolute_url()),
        ]:
            page.goto(url)
            _check(page, name, problems)
    finally:
        for context, page in contexts:
            found = page.problems
            context.close()
            found.check()

    assert not problems, "Pages that do not reflow:\n  " + "\n  ".join(problems)
