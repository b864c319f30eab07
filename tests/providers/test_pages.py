"""Register pages: what officers and provider users see and do in the browser-less view."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from providers.models import Intelligence, Service
from tests.factories import ContractFactory, IntelligenceFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_provider_user_sees_only_own_services_in_the_list(
    client_for, provider_pat, sunrise_house, sunrise_lodge, oak_lodge_home
):
    page = client_for(provider_pat).get(reverse("providers:service_list")).content.decode()
    assert "Sunrise House" in page and "Sunrise Lodge" in page
    assert "Oak Lodge" not in page


def test_provider_user_search_does_not_reach_other_organisations(
    client_for, provider_pat, sunrise_house, oak_lodge_home
):
    page = client_for(provider_pat).get(reverse("providers:service_list"), {"q": "Oak"})
    assert "Oak Lodge" not in page.content.decode()


def test_provider_user_never_sees_confidential_intelligence_on_its_service_page(
    client_for, provider_pat, sunrise_house, safeguarding_at_sunrise, meeting_at_sunrise
):
    page = client_for(provider_pat).get(sunrise_house.get_absolute_url()).content.decode()
    assert "Quarterly contract meeting" in page
    assert "pressure care" not in page
    listing = client_for(provider_pat).get(reverse("providers:intelligence_list")).content
    assert b"pressure care" not in listing


def test_staff_see_confidential_intelligence_marked_as_such(
    client_for, officer_olivia, sunrise_house, safeguarding_at_sunrise
):
    page = client_for(officer_olivia).get(sunrise_house.get_absolute_url()).content.decode()
    assert "Organisational enquiry into pressure care" in page
    assert "Confidential" in page


def test_officer_adds_a_service_and_is_taken_to_its_page(client_for, officer_olivia, sunrise):
    response = client_for(officer_olivia).post(
        reverse("providers:service_create"),
        {
            "provider": sunrise.pk,
            "name": "Sunrise Gardens",
            "service_type": "care_home",
            "client_group": "adults",
            "council_funded_people": 4,
            "regulated": "on",
            "regulator": "CQC",
            "regulator_id": "1-1000210669",
            "regulator_rating": "good",
            "rating_safe": "good",
            "rating_effective": "good",
            "rating_caring": "good",
            "rating_responsive": "good",
            "rating_well_led": "good",
            "last_inspection_date": "14/03/2022",
            "registration_date": "01/06/2015",
            "registered_manager": "true",
            "postcode": "av1 2ab",
            "market_risk_reasons": ["block_contract"],
        },
    )
    service = Service.objects.get(name="Sunrise Gardens")
    assert response.status_code == 302
    assert response["Location"] == service.get_absolute_url()
    assert service.postcode == "AV1 2AB"
    assert service.last_inspection_date.isoformat() == "2022-03-14"
    assert service.market_risk_reasons == ["block_contract"]
    assert service.registered_manager is True
    assert service.registration_date.isoformat() == "2015-06-01"


@pytest.mark.parametrize(
    ("answer", "stored", "shown"),
    [
        ("true", True, "Yes"),
        ("false", False, "No"),
        ("unknown", None, "Not known"),
        ("", None, "Not known"),
    ],
)
def test_registered_manager_is_yes_no_or_not_known_on_the_form(
    client_for, officer_olivia, sunrise_house, answer, stored, shown
):
    client = client_for(officer_olivia)
    url = reverse("providers:service_edit", args=[sunrise_house.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(regulated="on", market_risk_reasons=[], registered_manager=answer)
    assert client.post(url, data).status_code == 302
    sunrise_house.refresh_from_db()
    assert sunrise_house.registered_manager is stored
    page = client.get(sunrise_house.get_absolute_url()).content.decode()
    assert f'Registered manager in post</dt><dd class="govuk-summary-list__value">{shown}<' in page
    # The radio of what is stored is the one checked when the form opens again.
    edit = client.get(url).content.decode()
    checked = {"true": "true", "false": "false", "unknown": "unknown", "": "unknown"}[answer]
    radios = re.findall(
        r'<input type="radio" name="registered_manager" value="(\w+)"([^>]*)>', edit
    )
    assert [value for value, attrs in radios if " checked" in attrs] == [checked]


def test_bad_form_input_shows_errors_on_the_form_and_saves_nothing(
    client_for, officer_olivia, sunrise
):
    response = client_for(officer_olivia).post(
        reverse("providers:service_create"),
        {
            "provider": sunrise.pk,
            "name": "",
            "service_type": "castle",
            "client_group": "adults",
            "council_funded_people": "lots",
            "regulator_rating": "good",
            "rating_safe": "not_rated",
            "rating_effective": "not_rated",
            "rating_caring": "not_rated",
            "rating_responsive": "not_rated",
            "rating_well_led": "not_rated",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "This field is required" in page or "Enter" in page
    assert "Select a valid choice" in page
    assert not Service.objects.exists()


def test_a_provider_id_of_another_organisation_is_not_a_valid_choice_for_the_form(
    client_for, officer_olivia, sunrise, oak_lodge_home
):
    response = client_for(officer_olivia).post(
        reverse("providers:contract_create"),
        {
            "reference": "AVC-9",
            "provider": sunrise.pk,
            "services": [oak_lodge_home.pk],
            "start_date": "01/04/2026",
        },
    )
    assert response.status_code == 200
    assert "not run by Sunrise Care Ltd" in response.content.decode()


def test_two_officers_editing_the_same_service_the_later_save_is_told(
    client, officer_olivia, officer_owen, sunrise_house
):
    url = reverse("providers:service_edit", args=[sunrise_house.pk])
    client.force_login(officer_olivia)
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["registered_manager"] = "true"
    data["regulated"] = "on"
    data["market_risk_reasons"] = []
    olivia = {**data, "capacity": 45}
    owen = {**data, "capacity": 50}
    assert client.post(url, olivia).status_code == 302
    client.force_login(officer_owen)
    response = client.post(url, owen)
    assert response.status_code == 200
    assert "Someone else saved a change" in response.content.decode()
    sunrise_house.refresh_from_db()
    assert sunrise_house.capacity == 45


def test_the_detail_page_shows_the_history_of_changes(client_for, officer_olivia, sunrise_house):
    sunrise_house.capacity = 44
    sunrise_house._history_user = officer_olivia
    sunrise_house.save()
    page = client_for(officer_olivia).get(sunrise_house.get_absolute_url()).content.decode()
    assert "History of changes" in page
    assert "Capacity" in page and "40" in page and "44" in page


def test_officer_logs_intelligence_from_the_service_page(client_for, officer_olivia, sunrise_house):
    client = client_for(officer_olivia)
    form_page = client.get(reverse("providers:intelligence_create"), {"service": sunrise_house.pk})
    assert form_page.context["form"].initial["service"] == str(sunrise_house.pk)
    response = client.post(
        reverse("providers:intelligence_create"),
        {
            "service": sunrise_house.pk,
            "kind": "complaint",
            "date": "01/11/2026",
            "summary": "Relative says call bells go unanswered",
            "severity": "high",
            "status": "open",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == sunrise_house.get_absolute_url()
    entry = Intelligence.objects.get()
    assert entry.author == officer_olivia
    assert entry.history.first().history_user == officer_olivia


def test_list_filters_sort_and_paginate(client_for, officer_olivia):
    for n in range(60):
        ServiceFactory(name=f"Home {n:02d}", regulator_rating="good" if n % 2 else "inadequate")
    client = client_for(officer_olivia)
    first = client.get(reverse("providers:service_list"), {"sort": "name"})
    assert first.context["table"].page.paginator.count == 60
    assert len(first.context["table"].page.object_list) == 50
    rated = client.get(reverse("providers:service_list"), {"regulator_rating": "inadequate"})
    assert rated.context["table"].page.paginator.count == 30
    desc = client.get(reverse("providers:service_list"), {"sort": "-name"})
    assert desc.context["table"].page.object_list[0].record.name == "Home 59"


def test_htmx_filter_returns_only_the_results(client_for, officer_olivia, sunrise_house):
    response = client_for(officer_olivia).get(
        reverse("providers:service_list"), {"q": "Sunrise"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert 'id="results"' in page
    assert "<html" not in page
    assert "Sunrise House" in page


def test_service_list_exports_csv_and_xlsx_with_all_register_fields(
    client_for, officer_olivia, sunrise_house, oak_lodge_home
):
    client = client_for(officer_olivia)
    response = client.get(reverse("providers:service_list"), {"_export": "csv"})
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["Name"] for r in rows} == {"Sunrise House", "Oak Lodge"}
    assert rows[0]["Last inspected"] == "2025-03-14"
    assert "Regulator id" in rows[0]
    xlsx = client.get(reverse("providers:service_list"), {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3


def test_provider_user_export_contains_only_own_services(
    client_for, provider_pat, sunrise_house, oak_lodge_home
):
    response = client_for(provider_pat).get(reverse("providers:service_list"), {"_export": "csv"})
    assert "Oak Lodge" not in response.content.decode()
    assert "Sunrise House" in response.content.decode()


def test_lists_say_what_to_do_when_empty(client_for, officer_olivia):
    page = client_for(officer_olivia).get(reverse("providers:contract_list")).content.decode()
    assert "No contracts match" in page


def test_contract_page_lists_services_covered(client_for, officer_olivia, sunrise_house):
    contract = ContractFactory(provider=sunrise_house.provider, services=[sunrise_house])
    page = client_for(officer_olivia).get(contract.get_absolute_url()).content.decode()
    assert "Sunrise House" in page


def test_provider_user_home_lists_their_services(
    client_for, provider_pat, sunrise_house, oak_lodge_home
):
    page = client_for(provider_pat).get("/").content.decode()
    assert "Sunrise House" in page and "Oak Lodge" not in page


def test_intelligence_list_filter_by_service_includes_provider_wide_entries(
    client_for, officer_olivia, sunrise_house, sunrise
):
    own = IntelligenceFactory(service=sunrise_house, summary="About the house")
    wide = IntelligenceFactory(service=None, provider=sunrise, summary="About the provider")
    IntelligenceFactory(summary="Elsewhere")
    response = client_for(officer_olivia).get(
        reverse("providers:intelligence_list"), {"service": sunrise_house.pk}
    )
    records = {row.record for row in response.context["table"].page.object_list}
    assert records == {own, wide}


def test_dates_are_en_gb_even_when_the_browser_asks_for_us_english(
    client_for, officer_olivia, sunrise_house
):
    client = client_for(officer_olivia)
    url = reverse("providers:service_edit", args=[sunrise_house.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'value="14/03/2025"' in page
    detail = client.get(sunrise_house.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en-US")
    assert "14 March 2025" in detail.content.decode()


def test_administrator_manages_users_and_roles_in_the_admin(client, admin_alex, provider_pat):
    admin_alex.is_staff = admin_alex.is_superuser = True
    admin_alex.save()
    client.force_login(admin_alex)
    page = client.get(reverse("admin:qaf_user_change", args=[provider_pat.pk]))
    assert page.status_code == 200
    data = {
        "username": "pat",
        "first_name": "Pat",
        "last_name": "Jones",
        "email": "pat@x.example",
        "roles": ["officer"],
        "provider": provider_pat.provider_id,
        "is_active": "on",
        "date_joined_0": "01/01/2026",
        "date_joined_1": "09:00:00",
    }
    response = client.post(reverse("admin:qaf_user_change", args=[provider_pat.pk]), data)
    assert response.status_code == 200  # refused: a provider user cannot hold a staff role
    assert "cannot also hold a council staff role" in response.content.decode()
    provider_pat.refresh_from_db()
    assert provider_pat.roles == []
