"""The Managed Placements Memo with the database (issue 10 item 2, SPEC §6-§7).

Three services: Sunrise House (Mendip, nursing home, Olivia its lead officer), Sunrise Lodge
(no area recorded, domiciliary care, no lead officer) and Oak Lodge (Taunton, supported
living). Olivia proposes suspensions, Maya approves them; lifting is proposed by Mo and
approved by Maya. The memo follows, its issues never change, and the PDF read back holds the
right entries under RED, AMBER and GREEN with their areas and dates.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pypdf
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from escalation import memo_services, services
from escalation.models import MemoIssue, Restriction, Suspension
from escalation.models.memo import MEMO_DOCUMENT_KIND
from providers.models import CommissioningStatus, Service, ServiceType
from qaf.models import Document
from qaf.pdf import render_document
from qaf.workflow import Forbidden, NotNow
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

APPROVED_ON = date(2026, 10, 5)
AMBER_ON = date(2026, 10, 12)
LIFTED_ON = date(2026, 11, 20)
FIRST_ISSUE = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
SECOND_ISSUE = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.COUNCIL_QUALITY_PHONE = "01234 500500"


@pytest.fixture
def homes(sunrise_house, sunrise_lodge, oak_lodge_home, officer_olivia):
    officer_olivia.phone = "01234 567890"
    officer_olivia.last_name = "Okafor"
    officer_olivia.save()
    Service.objects.filter(pk=sunrise_house.pk).update(
        local_authority_area="Mendip",
        service_type=ServiceType.CARE_HOME_NURSING,
        address="1 Hill Road\nFrome",
        postcode="BA11 1AA",
        lead_officer=officer_olivia,
    )
    Service.objects.filter(pk=sunrise_lodge.pk).update(
        local_authority_area="", service_type=ServiceType.DOMICILIARY_CARE
    )
    Service.objects.filter(pk=oak_lodge_home.pk).update(
        local_authority_area="Taunton", service_type=ServiceType.SUPPORTED_LIVING
    )
    return {s.name: s for s in Service.objects.all()}


def _suspend(service, restriction, *, by, approver, on, details=""):
    suspension = services.propose(
        service,
        actor=by,
        restriction=restriction,
        reasons=["review_concerns"],
        actions_required="Make the care plans current",
        restriction_details=details,
    )
    return services.approve(suspension, actor=approver, today=on)


def _in_force(service, proposer, approver):
    """A suspension of new placements in force, written directly: for tests of many of them."""
    return Suspension.objects.create(
        service=service,
        status="active",
        restriction=Restriction.NO_NEW_PLACEMENTS,
        reasons=["review_concerns"],
        actions_required="Improve",
        proposed_by=proposer,
        decided_by=approver,
        decided_on=APPROVED_ON,
    )


def _lift(suspension, *, by, approver, on):
    services.propose_lift(suspension, actor=by, reason="Care plans are current", today=on)
    return services.approve_lift(suspension, actor=approver, today=on)


@pytest.fixture
def suspended(homes, officer_olivia, manager_maya):
    """Sunrise House and Sunrise Lodge: no new placements; Oak Lodge: respite only."""
    red = {
        name: _suspend(
            homes[name],
            Restriction.NO_NEW_PLACEMENTS,
            by=officer_olivia,
            approver=manager_maya,
            on=APPROVED_ON,
        )
        for name in ("Sunrise House", "Sunrise Lodge")
    }
    amber = _suspend(
        homes["Oak Lodge"],
        Restriction.RESTRICTED_PLACEMENTS,
        by=officer_olivia,
        approver=manager_maya,
        on=AMBER_ON,
        details="Respite placements only",
    )
    return {**red, "Oak Lodge": amber}


def _listed(made) -> dict[str, list[tuple[str, list[str]]]]:
    """{part: [(area, [service names])]}."""
    return {
        part.key: [(g.area, [e.name for e in g.entries]) for g in part.areas] for part in made.parts
    }


def _words(text: str) -> str:
    return " ".join(text.split())


def _pdf_pages(document: Document) -> list[pypdf.PageObject]:
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error
    with document.file.open("rb") as handle:
        return list(pypdf.PdfReader(io.BytesIO(handle.read())).pages)


def _document(issue: MemoIssue) -> Document:
    return memo_services.documents_of([issue])[issue.pk]


# --- The draft -----------------------------------------------------------------------------------


def test_the_draft_lists_what_is_in_force_by_part_and_area(suspended, homes):
    made = memo_services.draft(today=date(2026, 11, 1))
    assert made.is_draft and made.title == "Managed Placements (Updated 1 November 2026)"
    assert _listed(made) == {
        "red": [("Mendip", ["Sunrise House"]), ("Area not recorded", ["Sunrise Lodge"])],
        "amber": [("Taunton", ["Oak Lodge"])],
        "green": [],  # nothing issued before: nothing to compare with
    }
    house, lodge, oak = made.entries
    assert (house.type_of_service, house.address, house.provider) == (
        "NC",
        "1 Hill Road, Frome, BA11 1AA",
        "Sunrise Care Ltd",
    )
    assert (house.contact_name, house.contact_phone) == ("Olivia Okafor", "01234 567890")
    # No lead officer: the quality team, on the council's number.
    assert (lodge.type_of_service, lodge.contact_name, lodge.contact_phone) == (
        "DCA",
        "The quality team",
        "01234 500500",
    )
    assert house.date_added == APPROVED_ON and oak.date_added == AMBER_ON
    assert (oak.type_of_service, oak.restriction_details) == ("SL", "Respite placements only")
    assert house.restriction_details == ""


def test_a_proposal_not_yet_approved_is_not_on_the_memo(homes, officer_olivia):
    services.propose(
        homes["Sunrise House"],
        actor=officer_olivia,
        restriction=Restriction.NO_NEW_PLACEMENTS,
        reasons=["review_concerns"],
        actions_required="Make the care plans current",
    )
    assert memo_services.draft().count == 0


# --- Issuing, GREEN from the last issue, and issues that never change ----------------------------


def test_green_is_worked_out_from_the_last_issue_through_approve_and_lift(
    suspended, homes, manager_maya, manager_mo, officer_olivia
):
    first = memo_services.issue(actor=manager_maya, now=FIRST_ISSUE, expected_previous=None)
    assert (first.number, first.issued_on, first.issued_by, first.previous) == (
        1,
        date(2026, 11, 2),
        manager_maya,
        None,
    )

    # Sunrise House is lifted (Mo proposes, Maya approves); Oak Lodge is lifted and suspended
    # again the same month, so it stays on the memo.
    _lift(suspended["Sunrise House"], by=manager_mo, approver=manager_maya, on=LIFTED_ON)
    _lift(suspended["Oak Lodge"], by=manager_mo, approver=manager_maya, on=LIFTED_ON)
    _suspend(
        homes["Oak Lodge"],
        Restriction.NO_NEW_PLACEMENTS,
        by=officer_olivia,
        approver=manager_maya,
        on=date(2026, 11, 25),
    )
    assert Service.objects.get(name="Sunrise House").commissioning_status == "open"

    draft = memo_services.draft(today=date(2026, 12, 3))
    assert draft.previous_number == 1
    assert _listed(draft) == {
        "red": [("Taunton", ["Oak Lodge"]), ("Area not recorded", ["Sunrise Lodge"])],
        "amber": [],
        "green": [("Mendip", ["Sunrise House"])],
    }
    green = draft.parts[2].areas[0].entries[0]
    assert green.date_added == LIFTED_ON  # the day the restriction was removed

    second = memo_services.issue(actor=manager_mo, now=SECOND_ISSUE, expected_previous=1)
    assert (second.number, second.previous) == (2, first)
    assert _listed(second.memo()) == _listed(draft)

    # Nothing changes before the third: Sunrise House was GREEN last time and drops off.
    third = memo_services.issue(actor=manager_maya, expected_previous=2)
    assert _listed(third.memo())["green"] == []


def test_a_lifted_service_that_is_not_placing_again_is_not_green(
    suspended, manager_maya, manager_mo
):
    memo_services.issue(actor=manager_maya, now=FIRST_ISSUE)
    _lift(suspended["Sunrise Lodge"], by=manager_mo, approver=manager_maya, on=LIFTED_ON)
    Service.objects.filter(name="Sunrise Lodge").update(
        commissioning_status=CommissioningStatus.DECOMMISSIONED
    )
    assert _listed(memo_services.draft())["green"] == []


def test_an_issue_is_an_immutable_copy(suspended, homes, manager_maya, manager_mo):
    first = memo_services.issue(actor=manager_maya, now=FIRST_ISSUE)
    stored = list(first.entries)
    document = _document(first)
    assert (document.kind, document.provider, document.service) == (MEMO_DOCUMENT_KIND, None, None)
    assert document.visible_to_provider is False
    assert document.title == "Managed Placements (Updated 2 November 2026)"

    # Later changes: a name, an area, a lifting, a new issue. Issue 1 reads as it did.
    Service.objects.filter(name="Sunrise House").update(
        name="Sunrise House Nursing", local_authority_area="Frome"
    )
    _lift(suspended["Oak Lodge"], by=manager_mo, approver=manager_maya, on=LIFTED_ON)
    memo_services.issue(actor=manager_mo)
    first = MemoIssue.objects.get(number=1)
    assert first.entries == stored
    assert _listed(first.memo())["red"] == [
        ("Mendip", ["Sunrise House"]),
        ("Area not recorded", ["Sunrise Lodge"]),
    ]
    assert _listed(first.memo())["amber"] == [("Taunton", ["Oak Lodge"])]

    # And the database refuses to change or remove it, whoever asks.
    for attempt in (
        lambda: MemoIssue.objects.filter(pk=first.pk).update(entries=[]),
        lambda: MemoIssue.objects.filter(number=2).delete(),  # the last: nothing refers to it
    ):
        with pytest.raises(IntegrityError, match="an issue never changes"), transaction.atomic():
            attempt()


def test_issuing_after_someone_else_did_issues_nothing(suspended, manager_maya, manager_mo):
    memo_services.issue(actor=manager_maya, expected_previous=None)
    with pytest.raises(NotNow, match="issued memo 1 at"):
        memo_services.issue(actor=manager_mo, expected_previous=None)
    with pytest.raises(NotNow):
        memo_services.issue(actor=manager_mo, expected_previous=7)
    assert MemoIssue.objects.count() == 1
    assert memo_services.issue(actor=manager_mo).number == 2  # no expectation: issued


@pytest.mark.parametrize("who", ["board_bea", "partner_pia", "admin_alex", "provider_pat"])
def test_only_officers_and_managers_issue(request, who, suspended):
    with pytest.raises(Forbidden):
        memo_services.issue(actor=request.getfixturevalue(who))
    assert not MemoIssue.objects.exists()


def test_an_officer_issues(suspended, officer_owen):
    assert memo_services.issue(actor=officer_owen).issued_by == officer_owen


# --- The PDF, read back --------------------------------------------------------------------------


def test_the_pdf_holds_the_parts_areas_entries_and_dates(
    suspended, homes, manager_maya, manager_mo
):
    memo_services.issue(actor=manager_maya, now=FIRST_ISSUE)
    _lift(suspended["Sunrise House"], by=manager_mo, approver=manager_maya, on=LIFTED_ON)
    second = memo_services.issue(actor=manager_mo, now=SECOND_ISSUE)
    document = _document(second)
    render_document(document)
    pages = _pdf_pages(document)
    text = _words("\n".join(page.extract_text() for page in pages))

    assert all("CONFIDENTIAL" in page.extract_text() for page in pages)
    width, height = pages[0].mediabox.width, pages[0].mediabox.height
    assert width > height  # A4 landscape
    assert "Managed Placements (Updated 3 December 2026)" in text
    assert "This document is a confidential memo shared only between Local Authority and " in text
    for key in ("RC = ", "NC = ", "SRC = ", "DCA = ", "SL = "):
        assert key.split()[0] in text
    for column in (
        "Type of Service",
        "Name and Address of Service Provider",
        "Council Contact Name and Telephone Number",
        "Date Added",
    ):
        assert column in text

    red = text.index("RED – NOT CURRENTLY PLACING")
    amber = text.index("AMBER – PLACING WITH RESTRICTIONS")
    green = text.index("GREEN – RESTRICTIONS REMOVED, NOW PLACING")
    assert red < amber < green
    red_part, amber_part, green_part = text[red:amber], text[amber:green], text[green:]
    assert (
        "Area not recorded DCA Sunrise Lodge, Sunrise Care Ltd The quality team 01234 500500 "
        "5 October 2026" in red_part
    )
    assert "Sunrise House" not in red_part
    assert "Taunton SL Oak Lodge" in amber_part
    assert "Restrictions: Respite placements only" in amber_part
    assert "12 October 2026" in amber_part
    assert (
        "Mendip NC Sunrise House, Sunrise Care Ltd 1 Hill Road, Frome, BA11 1AA Olivia Okafor "
        "01234 567890 20 November 2026" in green_part
    )


def test_every_page_of_a_long_memo_is_marked_confidential(
    homes, officer_olivia, manager_maya, sunrise
):
    for n in range(40):
        service = ServiceFactory(provider=sunrise, name=f"Home {n:02}", local_authority_area="Area")
        _in_force(service, officer_olivia, manager_maya)
    document = _document(memo_services.issue(actor=manager_maya))
    render_document(document)
    pages = _pdf_pages(document)
    assert len(pages) >= 2
    assert all("CONFIDENTIAL" in page.extract_text() for page in pages)
    assert "Home 39" in pages[-1].extract_text() or "Home 39" in pages[-2].extract_text()


# --- Pages ---------------------------------------------------------------------------------------


def test_a_manager_reads_the_draft_and_issues_it(client_for, suspended, manager_maya):
    client = client_for(manager_maya)
    page = client.get(reverse("memo:current")).content.decode()
    assert "Draft: not yet issued" in page
    assert "Managed Placements (Updated " in page
    assert "Issue the memo" in page and "No memo has been issued yet." in page
    confirm = client.get(reverse("memo:issue")).content.decode()
    assert 'name="previous" value="none"' in confirm
    response = client.post(reverse("memo:issue"), {"previous": "none"})
    assert response.status_code == 302 and response["Location"] == "/memo/issues/1/"
    detail = client.get("/memo/issues/1/").content.decode()
    assert "Memo 1 issued." in detail and "Being produced" in detail

    # A second press of the same button (the page as it was) issues nothing.
    again = client.post(reverse("memo:issue"), {"previous": "none"}, follow=True)
    assert "while you were looking at the draft" in again.content.decode()
    assert MemoIssue.objects.count() == 1

    render_document(_document(MemoIssue.objects.get()))
    pdf = client.get("/memo/issues/1/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    page = client.get(reverse("memo:current")).content.decode()
    assert "Download memo 1 (PDF" in page


def test_the_draft_and_an_issue_download_as_csv(client_for, suspended, manager_maya):
    client = client_for(manager_maya)
    response = client.get(reverse("memo:current"), {"_export": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="managed-placements')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Part", "Area", "Type of Service"]
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [
        ("RED", "Mendip", "Sunrise House"),
        ("RED", "Area not recorded", "Sunrise Lodge"),
        ("AMBER", "Taunton", "Oak Lodge"),
    ]
    memo_services.issue(actor=manager_maya)
    issued = client.get("/memo/issues/1/", {"_export": "xlsx"})
    assert issued["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("memo:current"), {"_export": "pdf"}).status_code == 404


def test_a_partner_reads_but_does_not_issue(client_for, suspended, partner_pia, manager_maya):
    memo_services.issue(actor=manager_maya)
    client = client_for(partner_pia)
    page = client.get(reverse("memo:current")).content.decode()
    assert "Sunrise House" in page and "Issue the memo" not in page
    assert client.get("/memo/issues/1/").status_code == 200
    assert client.get(reverse("memo:issue")).status_code == 403
    assert client.post(reverse("memo:issue"), {"previous": "1"}).status_code == 403
    assert MemoIssue.objects.count() == 1


def test_provider_users_never_see_the_memo(
    client_for, api_for, suspended, manager_maya, provider_pat
):
    document = _document(memo_services.issue(actor=manager_maya))
    render_document(document)
    client = client_for(provider_pat)
    for url in ("/memo/", "/memo/issue/", "/memo/issues/1/", "/memo/issues/1/pdf/"):
        assert client.get(url).status_code == 403, url
    assert client.get(document.get_absolute_url()).status_code == 404
    assert not Document.objects.visible_to(provider_pat).filter(pk=document.pk).exists()
    api = api_for(provider_pat)
    for url in ("/api/v1/memo/", "/api/v1/memo/issues/", "/api/v1/memo/issues/1/"):
        assert api.get(url).status_code == 403, url
    assert api.get("/api/v1/memo/issues/1/pdf/").status_code == 403
    assert api.post("/api/v1/memo/issue/", {}).status_code == 403
    assert "Managed placements" not in client.get("/").content.decode()


def test_the_memo_page_reads_the_same_number_of_rows_whatever_its_length(
    client_for, homes, officer_olivia, manager_maya, sunrise, django_assert_max_num_queries
):
    client = client_for(manager_maya)

    def suspend(n):
        for i in range(n):
            service = ServiceFactory(provider=sunrise, name=f"Extra {n}-{i}")
            _in_force(service, officer_olivia, manager_maya)
        memo_services.issue(actor=manager_maya)

    suspend(2)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("memo:current"))
    suspend(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("memo:current"))


# --- API -----------------------------------------------------------------------------------------


def test_the_api_gives_the_memo_its_issues_and_the_pdf(
    api_for, suspended, manager_maya, partner_pia
):
    api = api_for(partner_pia)
    body = api.get("/api/v1/memo/").json()
    assert body["draft"] is True and body["number"] is None
    assert [p["part"] for p in body["parts"]] == ["red", "amber", "green"]
    red = body["parts"][0]
    assert [a["area"] for a in red["areas"]] == ["Mendip", "Area not recorded"]
    house = red["areas"][0]["entries"][0]
    assert house["name"] == "Sunrise House" and house["type_of_service"] == "NC"
    assert house["date_added"] == "2026-10-05"
    assert api.post("/api/v1/memo/issue/", {}).status_code == 403  # partners read only

    issued = api_for(manager_maya).post("/api/v1/memo/issue/", {"previous": None})
    assert issued.status_code == 201, issued.content
    assert issued.json()["number"] == 1 and issued.json()["pdf"] is None
    assert issued.json()["memo"]["parts"][2]["areas"] == []
    again = api_for(manager_maya).post("/api/v1/memo/issue/", {"previous": None})
    assert again.status_code == 409

    listing = api.get("/api/v1/memo/issues/").json()
    assert [row["number"] for row in listing["results"]] == [1]
    assert listing["results"][0]["counts"] == {"red": 2, "amber": 1, "green": 0}
    assert api.get("/api/v1/memo/issues/1/pdf/").status_code == 404  # still being produced
    render_document(_document(MemoIssue.objects.get()))
    detail = api.get("/api/v1/memo/issues/1/").json()
    assert detail["pdf"].endswith("/api/v1/memo/issues/1/pdf/")
    assert detail["issued_by"] == str(manager_maya)
    pdf = api.get("/api/v1/memo/issues/1/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert api.get("/api/v1/memo/issues/2/").status_code == 404
