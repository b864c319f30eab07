"""Register downloads (qaf.exports): the same file as django-tables2's own export, faster.

Every list's CSV and XLSX are made twice, by ``ValuesExport`` (one ``values_list`` query) and by
django-tables2's ``TableExport`` (cell by cell through the table), and must be the same: same
columns, headers, values and types (dates, numbers, choice labels, empty cells), same rows in
the same order, for every role that may download. The register holds a bit of everything: a
service never rated, one unregulated with no inspection date, a provider-wide entry, a summary
longer than the page shows, contracts with no end or value, reviews with no officer.
"""

from __future__ import annotations

import csv
import gc
import io
from datetime import date, datetime, time
from decimal import Decimal
from unittest import mock

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tables2.export import TableExport

from providers.models import (
    ClientGroup,
    IntelligenceKind,
    IntelligenceStatus,
    MarketRisk,
    RegulatorRating,
    ServiceType,
    Severity,
    SponsorshipLicence,
)
from qaf.exports import ValuesExport
from qaf.generic import ScopedListView
from reviews.models import Review, ReviewStatus
from reviews.tables import ReviewTable
from risk.recompute import recompute
from tests.factories import (
    ContractFactory,
    IntelligenceFactory,
    ProviderFactory,
    ReviewFactory,
    ServiceFactory,
    UserFactory,
)
from tests.test_query_counts import _add_rows as add_register_rows

pytestmark = pytest.mark.django_db

SERVICES = reverse("providers:service_list")
PROVIDERS = reverse("providers:provider_list")
CONTRACTS = reverse("providers:contract_list")
INTELLIGENCE = reverse("providers:intelligence_list")
REVIEWS = reverse("reviews:review_list")
LONG = "Pressure care discussed at length with the manager and the district nurses " * 3


@pytest.fixture
def register(sunrise, oak_lodge, sunrise_house, oak_lodge_home, officer_olivia):
    """A register with every kind of value the downloads carry."""
    bare = ProviderFactory(name="Bare Care", regulator_provider_id="", postcode="")
    bare.sponsorship_licence = SponsorshipLicence.ACTIVE
    bare.save()
    sunrise_house.market_risk_reasons = [MarketRisk.BLOCK_CONTRACT, MarketRisk.SOLE_PROVIDER]
    sunrise_house.lead_officer = officer_olivia
    sunrise_house.save()
    ServiceFactory(
        provider=sunrise,
        name="Sunrise Lodge",
        service_type=ServiceType.DOMICILIARY_CARE,
        client_group=ClientGroup.CHILDREN,
        regulated=False,
        regulator="",
        regulator_id="",
        regulator_rating=RegulatorRating.NOT_RATED,
        last_inspection_date=None,
        capacity=None,
        council_funded_people=0,
        address="1 High Street\nBath",
        out_of_area=True,
        host_authority="Somerset Council",
        registered_manager=False,
        local_authority_area="",
    )
    ServiceFactory(
        provider=oak_lodge,
        name="Acorn House",
        regulator_rating=RegulatorRating.INADEQUATE,
        rating_safe=RegulatorRating.INADEQUATE,
        last_inspection_date=date(2024, 11, 2),
        registration_date=date(2013, 4, 1),
        registered_manager=None,  # not known
    )
    ContractFactory(
        provider=sunrise,
        reference="C-1",
        services=[sunrise_house],
        end_date=date(2027, 3, 31),
        annual_value="1234567.5",
    )
    ContractFactory(provider=oak_lodge, reference="C-2", framework="", annual_value="0")
    ContractFactory(provider=oak_lodge, reference="C-3")
    IntelligenceFactory(service=sunrise_house, summary=LONG, severity=Severity.HIGH)
    IntelligenceFactory(
        service=None,
        provider=sunrise,
        kind=IntelligenceKind.COMPLAINT,
        status=IntelligenceStatus.OPEN,
        date=date(2026, 9, 3),
        summary="Provider-wide complaint",
    )
    IntelligenceFactory(
        service=oak_lodge_home,
        kind=IntelligenceKind.SAFEGUARDING_CONCERN,
        confidential=True,
        date=date(2026, 8, 1),
        summary="Confidential concern",
    )
    ReviewFactory(service=sunrise_house, officer=officer_olivia, visit_date=date(2025, 8, 20))
    ReviewFactory(
        service=sunrise_house,
        officer=UserFactory(username="nameless", first_name="", last_name=""),
        status=ReviewStatus.PLANNED,
        rating="",
        completed_on=None,
        announced=False,
        visit_date=date(2026, 12, 1),
    )
    for _ in range(2):  # two reviews that read alike in a download
        ReviewFactory(service=oak_lodge_home, completed_on=date(2025, 1, 9))
    ReviewFactory(
        service=sunrise_house,
        status=ReviewStatus.DRAFT,
        rating="amber",
        completed_on=None,
        kind="focused",
    )
    recompute(service_ids=[sunrise_house.pk, oak_lodge_home.pk])  # the rest is never rated


def _download(client, url: str, params: dict, export_format: str):
    response = client.get(url, {**params, "_export": export_format})
    assert response.status_code == 200, response.status_code
    return response


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def _cells(content: bytes):
    """An XLSX's sheet name and cells, each with its type (a date is not its text)."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [[(type(c.value).__name__, c.value) for c in row] for row in sheet.iter_rows()]
    return sheet.title, rows


def _both(client, url: str, params: dict, export_format: str):
    """The download by qaf.exports (which must not fall back to django-tables2's path), then
    by django-tables2's own TableExport."""
    refuse = mock.patch.object(
        TableExport, "table_to_dataset", side_effect=AssertionError("the generic path ran")
    )
    with refuse:
        fast = _download(client, url, params, export_format)
    with mock.patch.object(ScopedListView, "export_class", TableExport):
        generic = _download(client, url, params, export_format)
    return fast, generic


CASES = [
    (SERVICES, {}),
    (SERVICES, {"sort": "-last_inspection_date"}),
    (SERVICES, {"provider": "oak"}),
    (PROVIDERS, {}),
    (PROVIDERS, {"sort": "-name"}),
    (CONTRACTS, {}),
    (CONTRACTS, {"sort": "-annual_value"}),
    (INTELLIGENCE, {}),
    (INTELLIGENCE, {"sort": "kind"}),
    (REVIEWS, {}),
    (REVIEWS, {"sort": "visit_date"}),
    # A MultipleChoiceFilter's SELECT DISTINCT: two alike reviews stay two rows.
    (REVIEWS, {"status": ["final"], "sort": "service"}),
]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@pytest.mark.parametrize(("url", "params"), CASES)
@pytest.mark.parametrize("user", ["officer_olivia", "partner_pia", "admin_alex"])
def test_download_is_the_same_as_django_tables2s(
    client_for, request, register, oak_lodge, user, url, params, export_format
):
    client = client_for(request.getfixturevalue(user))
    if params.get("provider") == "oak":
        params = {"provider": oak_lodge.pk}
    fast, generic = _both(client, url, params, export_format)
    assert fast["Content-Type"] == generic["Content-Type"]
    assert fast["Content-Disposition"] == generic["Content-Disposition"]
    if export_format == "csv":
        assert fast.content.decode() == generic.content.decode()
        assert len(fast.content.decode().splitlines()) > 2  # a header and rows
    else:
        assert _cells(fast.content) == _cells(generic.content)


def test_provider_users_service_download_is_the_same_without_the_risk(
    client_for, register, provider_pat
):
    client = client_for(provider_pat)
    fast, generic = _both(client, SERVICES, {}, "csv")
    assert fast.content == generic.content
    header, *rows = _rows(fast)
    assert "Risk" not in header and "Review due" not in header
    assert len(rows) == 2  # Sunrise House and Sunrise Lodge, nothing of Oak Lodge's
    assert "Oak Lodge" not in fast.content.decode()


def test_what_the_service_download_says(client_for, register, officer_olivia):
    header, *rows = _rows(_download(client_for(officer_olivia), SERVICES, {}, "csv"))
    assert header[:6] == ["ID", "Name", "Provider", "Type", "Client group", "Address"]
    # The regulator and its overall rating, each with a header of its own.
    assert header[12:16] == ["Regulated", "Regulator", "Regulator id", "Regulator rating"]
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    lodge = by_name["Sunrise Lodge"]
    assert lodge["Type"] == "Domiciliary care" and lodge["Client group"] == "Children"
    assert lodge["Address"] == "1 High Street\nBath" and lodge["Capacity"] == ""
    assert (lodge["Out of area"], lodge["Regulated"]) == ("Yes", "No")
    assert lodge["Last inspected"] == "" and lodge["Risk"] == ""  # never inspected nor rated
    house = by_name["Sunrise House"]
    assert house["Last inspected"] == "2025-03-14" and house["Risk"] in {"Green", "Amber", "Red"}
    # Labels, as an officer reads them, not codes.
    assert house["Market risk"] == "Block contract, Sole provider"
    assert house["Placements"] == "Open to placements"
    # Yes, no or not known: a manager nobody has told us about is never an empty cell.
    assert house["Registered manager in post"] == "Yes"
    assert lodge["Registered manager in post"] == "No"
    acorn = by_name["Acorn House"]
    assert acorn["Registered manager in post"] == "Not known"
    assert (acorn["Registration date"], house["Registration date"]) == ("2013-04-01", "")


def test_confidential_intelligence_is_in_staff_downloads_only_as_on_the_page(
    client_for, register, partner_pia
):
    content = _download(client_for(partner_pia), INTELLIGENCE, {}, "csv").content.decode()
    assert "Confidential concern" in content
    assert "Sunrise Care Ltd" in content  # the provider-wide entry, named by its provider
    assert LONG[:117].rstrip() + "…" in content and LONG not in content


@pytest.mark.parametrize("url", [PROVIDERS, CONTRACTS, INTELLIGENCE, REVIEWS])
def test_provider_users_still_download_nothing_but_services(
    client_for, register, provider_pat, url
):
    assert client_for(provider_pat).get(url, {"_export": "csv"}).status_code == 403


def test_a_provider_viewer_of_the_review_table_gets_the_generic_path_and_its_rules(
    rf, register, provider_pat, officer_olivia
):
    """Provider users may not download reviews; were they to, an unannounced visit's date and
    an unshared rating would stay hidden: the table keeps django-tables2's path for them."""
    request = rf.get(REVIEWS)
    request.user = provider_pat
    data = Review.objects.visible_to(provider_pat).order_by("pk")
    table = ReviewTable(data, request=request)
    assert table.export_fields == ()
    ours = ValuesExport("csv", table).export()
    assert ours == TableExport("csv", ReviewTable(data, request=request)).export()
    assert "Unannounced" in ours and "2026-12-01" not in ours
    assert "Amber" not in ours  # the draft's rating is not shared yet
    request.user = officer_olivia
    assert ReviewTable(data, request=request).export_fields  # staff see it all: the fast path


def _add_rows(n: int) -> None:
    add_register_rows(n)
    for _ in range(n):
        ReviewFactory(officer=UserFactory())


def _queries(client, url: str, export_format: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"_export": export_format})
    assert response.status_code == 200
    rows = len(_rows(response)) - 1 if export_format == "csv" else None
    return len(ctx.captured_queries), rows


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@pytest.mark.parametrize("url", [SERVICES, PROVIDERS, CONTRACTS, INTELLIGENCE, REVIEWS])
def test_a_download_takes_the_same_queries_for_5_and_50_rows(
    client_for, officer_olivia, url, export_format
):
    client = client_for(officer_olivia)
    _add_rows(5)
    few, _ = _queries(client, url, export_format)
    _add_rows(45)
    many, rows = _queries(client, url, export_format)
    assert many == few, f"{url}: {few} queries for 5 rows, {many} for 50"
    # The session, the user, and one query for the rows: no COUNT, no query per row.
    assert few == 3, few
    if rows is not None:
        assert rows >= 50


@pytest.mark.parametrize("url", [PROVIDERS, REVIEWS])
def test_a_value_that_reads_as_a_formula_is_downloaded_as_text(client_for, officer_olivia, url):
    """CSV/formula injection (OWASP): a name typed as =HYPERLINK(...) must not run in an
    officer's spreadsheet. Reviews take django-tables2's path for nobody here; providers the
    fast one: both are defused."""
    from tests.factories import ProviderFactory, ReviewFactory, ServiceFactory

    evil = '=HYPERLINK("http://evil.example","Click")'
    service = ServiceFactory(provider=ProviderFactory(name=evil), name="+44 Ward")
    ReviewFactory(service=service)
    client = client_for(officer_olivia)
    text = _download(client, url, {}, "csv").content.decode()
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text
    sheet = openpyxl.load_workbook(io.BytesIO(_download(client, url, {}, "xlsx").content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith("'=HYPERLINK") for v in values)
    assert not any(v.startswith("=") for v in values)


def _look(sheet, columns: str = "ABCDE"):
    return {
        "title": sheet.title,
        "frozen": sheet.freeze_panes,
        "widths": [sheet.column_dimensions[c].width for c in columns],
        "cells": [
            [(c.value, type(c.value), c.font.b, c.alignment.wrap_text) for c in row]
            for row in sheet.iter_rows()
        ],
    }


# A time of day has no writer in qaf.xlsx: such a sheet is written by openpyxl instead.
@pytest.mark.parametrize("odd", [None, time(9, 30)], ids=["qaf.xlsx", "openpyxl"])
def test_an_xlsx_looks_as_tablibs_did(odd):
    """xlsx_workbook keeps tablib's look: the sheet's name, the header bold and frozen, a cell
    with a line break wrapped, each column as wide as its longest value; the values and their
    types the same: text (escaped, spaces kept), whole and decimal numbers, yes/no, dates and
    times, empty cells."""
    from tablib import Dataset

    from qaf.exports import xlsx_workbook

    dataset = Dataset(
        ["Sunrise House", date(2026, 3, 14), 42, None, "First line\nsecond line"],
        ["A name longer than its header", None, 7, "Yes", ""],
        ["Smith & Sons <Care> Ltd", datetime(2026, 3, 14, 9, 5, 7), 2.5, True, "  indented "],
        ["Ørsted Lodge – Café", date(1999, 12, 31), Decimal("1234.50"), False, odd],
        ["Carriage\rreturn", None, -3, None, "\ttab"],
        headers=["Name", "Last inspection", "Beds", "Market risk", "Summary"],
        title="Services: all [2026]",
    )
    ours = openpyxl.load_workbook(io.BytesIO(xlsx_workbook(dataset))).active
    theirs = openpyxl.load_workbook(io.BytesIO(dataset.export("xlsx"))).active

    assert _look(ours) == _look(theirs)
    look = _look(ours)
    assert look["frozen"] == "A2"
    assert look["widths"][0] == len("A name longer than its header")
    assert look["cells"][1][4][3] is True  # the two-line summary wraps
    assert look["cells"][3][0][0] == "Smith & Sons <Care> Ltd"
    assert look["cells"][3][4][0] == "  indented "


def test_an_xlsx_drops_characters_a_spreadsheet_cannot_hold():
    """Control characters (other than tab and line breaks) cannot be in an XLSX at all:
    openpyxl refuses the whole file; the download leaves them out and keeps the rest."""
    from tablib import Dataset

    from qaf.exports import xlsx_workbook

    dataset = Dataset(["Bell\x07 House", "Form\x0cfeed"], headers=["Name", "Notes"], title="S")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_workbook(dataset))).active
    assert [c.value for c in sheet[2]] == ["Bell House", "Formfeed"]


def test_a_large_xlsx_is_whole_and_in_order():
    """Rows are written in batches: every row arrives, in order, numbered as Excel reads it."""
    from tablib import Dataset

    from qaf.exports import xlsx_workbook

    dataset = Dataset(
        *[[f"Service {n}", n, date(2026, 1, 1) if n % 2 else None] for n in range(4500)],
        headers=["Name", "Number", "Date"],
        title="Services",
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_workbook(dataset)), read_only=True).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4500
    assert rows[4499] == ("Service 4499", 4499, datetime(2026, 1, 1))
    assert rows[4498] == ("Service 4498", 4498, None)


def test_the_garbage_collector_is_paused_only_while_a_download_is_made():
    from qaf.exports import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), paused_gc():
        raise ValueError
    assert gc.isenabled()  # back on after an error too
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
