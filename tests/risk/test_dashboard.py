"""The Quality & Risk dashboard (issue 3 item 7) and its SVG charts.

The story: Avonmere's register has five services, rated by the real recompute on
25 November 2026.

- Birch House (care home, Northfield, Olivia's): rated Inadequate by CQC -> Red; last reviewed
  January 2023, so its review is overdue.
- Ash Villa (care home, Southgate): Inadequate -> Red; never reviewed, registered today.
- Cedar Court (care home with nursing, Northfield): on the register since March 2024 and never
  reviewed -> Amber, and its first full review is overdue.
- Fir Grove (domiciliary care, out of area in Somerset, Olivia's): reviewed March 2022, rated
  Amber -> Amber; Somerset, its host authority, reviews it, so no full review is due here.
- Elm Lodge (domiciliary care, Southgate, Owen's): a green review and a satisfactory audit this
  year -> Green.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from providers.models import IntelligenceKind, RegulatorRating, ServiceType
from qaf import charts
from reviews.models import Review
from risk.models import PolicyVersion, RatingChange
from risk.recompute import recompute
from tests.factories import IntelligenceFactory, ProviderFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
URL = reverse("risk:dashboard")
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
NS = {"svg": "http://www.w3.org/2000/svg"}


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup, checked to be well-formed XML


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(
        datetime(2026, 11, 25, 10, tzinfo=ZoneInfo("Europe/London")), tick=False
    ):
        yield


def _review(service, completed_on, rating):
    Review.objects.create(
        service=service, kind="full", status="final", rating=rating, completed_on=completed_on
    )


@pytest.fixture
def register(officer_olivia, officer_owen):
    """The five services of the story, rated by the recompute for TODAY."""
    sunrise = ProviderFactory(name="Sunrise Care Ltd")
    oak = ProviderFactory(name="Oak Lodge Ltd")
    inadequate = RegulatorRating.INADEQUATE
    services = {
        "birch": ServiceFactory(
            provider=sunrise,
            name="Birch House",
            regulator_rating=inadequate,
            local_authority_area="Northfield",
            lead_officer=officer_olivia,
        ),
        "ash": ServiceFactory(
            provider=oak,
            name="Ash Villa",
            regulator_rating=inadequate,
            local_authority_area="Southgate",
        ),
        "cedar": ServiceFactory(
            provider=oak,
            name="Cedar Court",
            service_type=ServiceType.CARE_HOME_NURSING,
            local_authority_area="Northfield",
            registration_date=date(2024, 3, 1),
        ),
        "fir": ServiceFactory(
            provider=sunrise,
            name="Fir Grove",
            service_type=ServiceType.DOMICILIARY_CARE,
            local_authority_area="Somerset",
            out_of_area=True,
            host_authority="Somerset Council",
            lead_officer=officer_olivia,
        ),
        "elm": ServiceFactory(
            provider=oak,
            name="Elm Lodge",
            service_type=ServiceType.DOMICILIARY_CARE,
            local_authority_area="Southgate",
            lead_officer=officer_owen,
        ),
    }
    _review(services["birch"], date(2023, 1, 10), "green")
    _review(services["fir"], date(2022, 3, 1), "amber")
    _review(services["elm"], date(2026, 6, 1), "green")
    IntelligenceFactory(
        service=services["elm"],
        kind=IntelligenceKind.SAFEGUARDING_AUDIT,
        outcome="satisfactory",
        date=date(2026, 5, 1),
        summary="Safeguarding audit",
        confidential=True,
    )
    recompute(today=TODAY)
    return services


def _change(service, days_ago, from_rating, to_rating):
    return RatingChange.objects.create(
        service=service,
        date=TODAY - timedelta(days=days_ago),
        from_rating=from_rating,
        to_rating=to_rating,
        changed_factors=["regulator_rating"],
        policy_version=PolicyVersion.current(),
    )


def _cards(response):
    return {card["key"]: card["count"] for card in response.context["cards"]}


def _names(table):
    return [
        row.record.name if hasattr(row.record, "name") else row.record.service.name
        for row in table.paginated_rows
    ]


def _csv(response):
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- Who may see it -------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_provider_users_are_refused(client_for, provider_pat):
    assert client_for(provider_pat).get(URL).status_code == 403
    download = client_for(provider_pat).get(URL, {"export_table": "overdue", "_export": "csv"})
    assert download.status_code == 403


@pytest.mark.parametrize("role_user", ["partner_pia", "board_bea", "manager_maya", "admin_alex"])
def test_every_staff_role_reads_it(client_for, request, register, role_user):
    user = request.getfixturevalue(role_user)
    response = client_for(user).get(URL)
    assert response.status_code == 200
    assert _cards(response) == {"red": 2, "amber": 2, "green": 1}


def test_partners_read_it_with_nothing_to_change(client_for, partner_pia, register):
    response = client_for(partner_pia).get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["caseload"] is None  # a partner leads no services
    # Nothing in the page's own content posts (the header's and the session warning's
    # "Sign out" are outside <main>).
    main = page.split('id="main-content"')[1].split("</main>")[0]
    assert 'method="post"' not in main


def test_staff_navigation_leads_to_it(client_for, officer_olivia, provider_pat):
    page = client_for(officer_olivia).get(reverse("home")).content.decode()
    assert f'href="{URL}"' in page
    assert f'href="{URL}"' not in client_for(provider_pat).get(reverse("home")).content.decode()


# --- Counts and filters ---------------------------------------------------------------------


def test_counts_by_rag_for_the_register(client_for, officer_olivia, register):
    response = client_for(officer_olivia).get(URL)
    assert _cards(response) == {"red": 2, "amber": 2, "green": 1}
    assert response.context["totals"]["total"] == 5
    by_type = {row["key"]: row for row in response.context["by_type"].data}
    assert (by_type["care_home"]["red"], by_type["care_home"]["total"]) == (2, 2)
    assert by_type["care_home_nursing"]["amber"] == 1
    assert (by_type["domiciliary_care"]["amber"], by_type["domiciliary_care"]["green"]) == (1, 1)
    by_area = {row["key"]: row for row in response.context["by_area"].data}
    assert (by_area["Northfield"]["red"], by_area["Northfield"]["amber"]) == (1, 1)
    assert (by_area["Southgate"]["red"], by_area["Southgate"]["green"]) == (1, 1)


def test_unrated_services_are_counted_apart(client_for, officer_olivia, register):
    ServiceFactory(name="New Place")  # not recomputed yet
    response = client_for(officer_olivia).get(URL)
    assert response.context["totals"]["unrated"] == 1
    assert response.context["totals"]["total"] == 6
    assert "1 service has no rating yet" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service_type": "domiciliary_care"}, {"red": 0, "amber": 1, "green": 1}),
        ({"service_type": ["care_home", "care_home_nursing"]}, {"red": 2, "amber": 1, "green": 0}),
        ({"local_authority_area": "Northfield"}, {"red": 1, "amber": 1, "green": 0}),
        ({"out_of_area": "true"}, {"red": 0, "amber": 1, "green": 0}),
        ({"out_of_area": "false"}, {"red": 2, "amber": 1, "green": 1}),
        ({"regulator_rating": "inadequate"}, {"red": 2, "amber": 0, "green": 0}),
    ],
)
def test_filters_narrow_the_counts(client_for, officer_olivia, register, params, expected):
    response = client_for(officer_olivia).get(URL, params)
    assert response.status_code == 200
    assert _cards(response) == expected


def test_lead_officer_and_provider_filters(client_for, manager_maya, officer_olivia, register):
    client = client_for(manager_maya)
    assert _cards(client.get(URL, {"lead_officer": officer_olivia.pk})) == {
        "red": 1,
        "amber": 1,
        "green": 0,
    }
    oak = register["ash"].provider
    response = client.get(URL, {"provider": oak.pk})
    assert _cards(response) == {"red": 1, "amber": 1, "green": 1}
    assert "run by" in response.content.decode() and "Oak Lodge Ltd" in response.content.decode()


def test_an_unknown_filter_value_is_an_error_not_everything(client_for, officer_olivia, register):
    response = client_for(officer_olivia).get(URL, {"lead_officer": 999999})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert _cards(response) == {"red": 0, "amber": 0, "green": 0}


def test_cards_link_to_the_register_list_filtered_the_same_way(
    client_for, officer_olivia, register
):
    client = client_for(officer_olivia)
    response = client.get(URL, {"local_authority_area": "Northfield"})
    red = next(card for card in response.context["cards"] if card["key"] == "red")
    assert "risk_rating=red" in red["url"] and "local_authority_area=Northfield" in red["url"]
    listing = client.get(red["url"]).content.decode()
    assert "Birch House" in listing
    assert "Ash Villa" not in listing and "Cedar Court" not in listing


def test_the_register_list_filters_by_overdue_review(client_for, officer_olivia, register):
    page = (
        client_for(officer_olivia)
        .get(reverse("providers:service_list"), {"review_overdue": "true"})
        .content.decode()
    )
    assert "Birch House" in page and "Cedar Court" in page
    assert "Elm Lodge" not in page
    assert "Fir Grove" not in page  # out of area: its host authority reviews it


def test_htmx_gets_only_the_results(client_for, officer_olivia, register):
    response = client_for(officer_olivia).get(
        URL, {"service_type": "domiciliary_care"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="dashboard-results"' in page
    assert 'hx-swap-oob="true"' in page and "2 services match the filters" in page


# --- The lists ------------------------------------------------------------------------------


def test_overdue_reviews_the_longest_overdue_first(client_for, officer_olivia, register):
    response = client_for(officer_olivia).get(URL)
    table = response.context["overdue"]
    assert _names(table) == ["Birch House", "Cedar Court"]
    assert table.paginator.count == 2
    page = response.content.decode()
    # Ratings are tags with the word, coloured by rating.
    assert '<strong class="govuk-tag qaf-rag qaf-rag--red">Red</strong>' in page
    assert '<strong class="govuk-tag qaf-rag qaf-rag--amber">Amber</strong>' in page


def test_worsened_lists_changes_for_the_worse_in_the_last_30_days(
    client_for, officer_olivia, register
):
    _change(register["elm"], 5, "green", "red")
    _change(register["fir"], 29, "amber", "red")
    _change(register["cedar"], 3, "red", "green")  # improved
    _change(register["ash"], 40, "green", "amber")  # too long ago
    _change(register["birch"], 30, "green", "amber")  # the 31st day back
    # The recompute's first ratings (from "") are there too, dated today: never "worse".
    assert RatingChange.objects.filter(from_rating="", date=TODAY).count() == 5
    response = client_for(officer_olivia).get(URL)
    assert _names(response.context["worsened"]) == ["Elm Lodge", "Fir Grove"]


def test_how_far_back_worse_looks_is_the_administrators_setting(
    client_for, officer_olivia, register
):
    _change(register["elm"], 5, "green", "red")
    _change(register["fir"], 29, "amber", "red")
    current = PolicyVersion.current()
    PolicyVersion.objects.create(
        number=current.number + 1,
        matrix=current.matrix,
        schedules={**current.schedules, "worsened_days": 7},
    )
    response = client_for(officer_olivia).get(URL)
    assert _names(response.context["worsened"]) == ["Elm Lodge"]
    assert "Ratings that got worse in the last 7 days" in response.content.decode()


def test_caseload_shows_only_the_officers_services(client_for, officer_olivia, register):
    response = client_for(officer_olivia).get(URL)
    caseload = response.context["caseload"]
    assert sorted(_names(caseload)) == ["Birch House", "Fir Grove"]
    page = response.content.decode()
    assert "My caseload" in page


def test_lists_are_paginated_by_25(client_for, officer_olivia, register):
    for _ in range(30):
        ServiceFactory(lead_officer=officer_olivia)
    recompute(today=TODAY)
    response = client_for(officer_olivia).get(URL, {"caseload-page": 2})
    caseload = response.context["caseload"]
    assert caseload.paginator.count == 32
    assert len(list(caseload.paginated_rows)) == 7


# --- Downloads ------------------------------------------------------------------------------


def test_csv_download_of_counts_by_service_type_keeps_the_filters(
    client_for, officer_olivia, register
):
    response = client_for(officer_olivia).get(
        URL,
        {"export_table": "by_type", "_export": "csv", "local_authority_area": "Northfield"},
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert "ratings-by-service-type-2026-11-25.csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["Service type", "Red", "Amber", "Green", "Total"]
    assert rows[1:] == [
        ["Care home with nursing", "0", "1", "0", "1"],
        ["Care home without nursing", "1", "0", "0", "1"],
    ]


def test_csv_download_of_overdue_reviews(client_for, officer_olivia, register):
    rows = _csv(client_for(officer_olivia).get(URL, {"export_table": "overdue", "_export": "csv"}))
    assert rows[0][:2] == ["Service", "Provider"]
    assert [row[0] for row in rows[1:]] == ["Birch House", "Cedar Court"]
    birch = dict(zip(rows[0], rows[1], strict=True))
    assert birch["Rating"] == "Red"
    assert birch["Review due"] == "2023-07-10"  # Red: six months after January 2023's review
    assert birch["Lead officer"] == str(register["birch"].lead_officer)
    cedar = dict(zip(rows[0], rows[2], strict=True))
    assert (cedar["Review due"], cedar["Reviewed before"]) == ("2024-03-01", "No")


def test_xlsx_downloads_of_worsened_and_caseload(client_for, officer_olivia, register):
    _change(register["birch"], 2, "amber", "red")
    client = client_for(officer_olivia)
    for name, expected in [("worsened", ["Birch House"]), ("caseload", None)]:
        response = client.get(URL, {"export_table": name, "_export": "xlsx"})
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        if name == "worsened":
            header = rows[0]
            assert [dict(zip(header, row, strict=True))["Service"] for row in rows[1:]] == expected
            assert dict(zip(header, rows[1], strict=True))["What changed"] == "Regulator rating"
        else:
            names = sorted(row[0] for row in rows[1:])
            assert names == ["Birch House", "Fir Grove"]


def test_unknown_download_is_not_found(client_for, officer_olivia, partner_pia, register):
    client = client_for(officer_olivia)
    assert client.get(URL, {"export_table": "everything", "_export": "csv"}).status_code == 404
    assert client.get(URL, {"export_table": "overdue", "_export": "pdf"}).status_code == 404
    # A partner has no caseload to download.
    partner = client_for(partner_pia)
    assert partner.get(URL, {"export_table": "caseload", "_export": "csv"}).status_code == 404
    assert partner.get(URL, {"export_table": "overdue", "_export": "csv"}).status_code == 200


# --- Queries --------------------------------------------------------------------------------


def _add_services(n, officer):
    provider = ProviderFactory()
    for i in range(n):
        service = ServiceFactory(
            provider=provider,
            lead_officer=officer if i % 2 else None,
            local_authority_area=f"Area {i % 7}",
            regulator_rating=RegulatorRating.INADEQUATE if i % 3 == 0 else RegulatorRating.GOOD,
        )
        _review(service, date(2022, 1, 1), "green")
    recompute(today=TODAY)
    for service in provider.services.all()[: n // 2]:
        _change(service, 3, "green", "red")


def _queries(client, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"service_type": ["care_home", "day_service"], "local_authority_area": "Area 1"},
        {"export_table": "overdue", "_export": "csv"},
        {"export_table": "worsened", "_export": "xlsx"},
    ],
)
def test_same_number_of_queries_for_5_and_50_services(client_for, officer_olivia, params):
    client = client_for(officer_olivia)
    _add_services(5, officer_olivia)
    few = _queries(client, params)
    _add_services(45, officer_olivia)
    many = _queries(client, params)
    assert many == few, f"{few} queries for 5 services, {many} for 50"
    if not params:
        assert few <= 12, few


# --- Charts ---------------------------------------------------------------------------------


def test_the_page_charts_are_svg_that_parses(client_for, officer_olivia, register):
    page = client_for(officer_olivia).get(URL).content.decode()
    found = SVG.findall(page)
    chart_svgs = [svg for svg in found if 'class="qaf-chart"' in svg]
    assert len(chart_svgs) == 2
    for svg in chart_svgs:
        root = _parse(svg)
        assert root.get("role") == "img"
    assert "Care home without nursing: 2 services (2 red, 0 amber, 0 green)." in page


def _texts(root):
    return [el.text for el in root.iter() if el.tag.endswith("text") and el.text]


def test_stacked_bar_chart_is_accessible_svg():
    svg = charts.stacked_bar_chart(
        [("Care home", {"red": 3, "amber": 5, "green": 10}), ("Children's <home>", {"red": 1})],
        title="Ratings by service type",
        id_prefix="t",
    )
    root = _parse(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "t-title t-desc"
    assert root.find("svg:title", NS).text == "Ratings by service type"
    desc = root.find("svg:desc", NS).text
    assert "Care home: 18 services (3 red, 5 amber, 10 green" in desc
    assert "Children's <home>: 1 service (1 red" in desc
    texts = _texts(root)
    assert {"Care home", "Children's <home>", "18", "10", "Red", "Amber", "Green"} <= set(texts)
    # Patterns as well as colours, no CSS or scripts: the same markup works in a PDF.
    ids = {el.get("id") for el in root.iter() if el.tag.endswith("pattern")}
    assert {"t-red", "t-amber"} <= ids
    assert "<style" not in svg and "<script" not in svg and "style=" not in svg


def test_charts_with_no_data_still_say_so():
    empty_bar = _parse(charts.stacked_bar_chart([], title="Nothing", id_prefix="e"))
    assert "No services to show" in _texts(empty_bar)
    assert empty_bar.find("svg:desc", NS).text == "There are no services to show."
    zero_rows = charts.stacked_bar_chart([("Care home", {})], title="Zero", id_prefix="z")
    assert "No services to show" in _texts(_parse(zero_rows))
    donut = _parse(charts.donut_chart({}, title="Nothing", id_prefix="d"))
    assert "0" in _texts(donut)
    assert not donut.findall("svg:path", NS)  # no segments, only the empty ring


def test_donut_chart_shares_and_a_whole_ring():
    root = _parse(
        charts.donut_chart({"red": 1, "amber": 1, "green": 2}, title="Totals", id_prefix="d")
    )
    texts = _texts(root)
    assert "Red: 1 (25%)" in texts and "Green: 2 (50%)" in texts
    assert len(root.findall("svg:path", NS)) == 3  # one segment per rating
    whole = _parse(
        charts.donut_chart({"green": 7}, charts.RAG_SERIES[:3], title="All green", id_prefix="w")
    )
    paths = whole.findall("svg:path", NS)
    assert len(paths) == 1 and paths[0].get("fill-rule") == "evenodd"
    assert "Green: 7 (100%)" in _texts(whole)


def test_rag_colours_have_enough_contrast():
    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a, b):
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for series in charts.RAG_SERIES:
        # White count labels sit on the fill and on its pattern marks.
        assert contrast(series.colour, "#ffffff") >= 4.5, series.key
        if series.mark:
            assert contrast(series.mark, "#ffffff") >= 4.5, series.key
    assert len({s.pattern for s in charts.RAG_SERIES}) == len(charts.RAG_SERIES)


def test_a_new_user_can_be_a_lead_officer_choice(client_for, manager_maya, register):
    owen2 = UserFactory(username="owen2", first_name="Owen", last_name="Second")
    response = client_for(manager_maya).get(URL)
    choices = [str(label) for _, label in response.context["form"].fields["lead_officer"].choices]
    assert str(owen2) in choices
