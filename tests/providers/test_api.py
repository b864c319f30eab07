"""The register API (SPEC §9): names and values, scoping, and bad input answered with reasons."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from providers.models import Contract, Intelligence, Service
from tests.factories import PASSWORD, IntelligenceFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_token_auth_gives_a_token_that_authenticates(officer_olivia, sunrise_house):
    anonymous = APIClient()
    response = anonymous.post("/api/v1/auth/token/", {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = anonymous.get("/api/v1/services/")
    assert listing.status_code == 200
    assert [s["name"] for s in listing.json()["results"]] == ["Sunrise House"]


def test_wrong_password_gets_no_token(officer_olivia):
    response = APIClient().post("/api/v1/auth/token/", {"username": "olivia", "password": "wrong"})
    assert response.status_code == 400
    assert "token" not in response.json()


def test_anonymous_requests_are_told_to_authenticate():
    response = APIClient().get("/api/v1/services/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_service_carries_the_spec_field_names(api_for, officer_olivia, sunrise_house):
    body = api_for(officer_olivia).get(f"/api/v1/services/{sunrise_house.pk}/").json()
    assert body["regulated"] is True
    assert body["regulator"] == "CQC"
    assert body["regulator_rating"] == "good"
    assert body["last_inspection_date"] == "2025-03-14"
    assert body["registered_manager"] is True
    assert body["service_type"] == "care_home"
    assert body["client_group"] == "adults"
    assert body["commissioning_status"] == "open"
    provider = api_for(officer_olivia).get(f"/api/v1/providers/{sunrise_house.provider_id}/")
    assert provider.json()["sponsorship_licence"] == "not_held"


def test_provider_user_sees_only_its_own_services(
    api_for, provider_pat, sunrise_house, sunrise_lodge, oak_lodge_home
):
    api = api_for(provider_pat)
    names = {s["name"] for s in api.get("/api/v1/services/").json()["results"]}
    assert names == {"Sunrise House", "Sunrise Lodge"}
    assert api.get(f"/api/v1/services/{oak_lodge_home.pk}/").status_code == 404
    assert api.get(f"/api/v1/providers/{oak_lodge_home.provider_id}/").status_code == 404
    providers = api.get("/api/v1/providers/").json()["results"]
    assert [p["name"] for p in providers] == ["Sunrise Care Ltd"]


def test_confidential_intelligence_never_reaches_a_provider_user(
    api_for, provider_pat, safeguarding_at_sunrise, meeting_at_sunrise
):
    api = api_for(provider_pat)
    entries = api.get("/api/v1/intelligence/").json()["results"]
    assert [e["id"] for e in entries] == [meeting_at_sunrise.pk]
    assert api.get(f"/api/v1/intelligence/{safeguarding_at_sunrise.pk}/").status_code == 404
    search = api.get("/api/v1/intelligence/", {"search": "pressure care"}).json()
    assert search["count"] == 0


def test_provider_wide_intelligence_reaches_provider_users_unless_confidential(
    api_for, provider_pat, sunrise, officer_olivia
):
    shared = IntelligenceFactory(service=None, provider=sunrise, summary="Annual review")
    IntelligenceFactory(
        service=None,
        provider=sunrise,
        kind="whistleblowing",
        confidential=True,
        summary="Staff concern",
    )
    entries = api_for(provider_pat).get("/api/v1/intelligence/").json()["results"]
    assert [e["id"] for e in entries] == [shared.pk]


def test_creating_a_service_needs_only_provider_name_and_type(api_for, officer_olivia, sunrise):
    response = api_for(officer_olivia).post(
        "/api/v1/services/",
        {"provider": sunrise.pk, "name": "Sunrise Day Centre", "service_type": "day_service"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["regulated"] is False
    assert body["regulator_rating"] == "not_rated"
    assert body["commissioning_status"] == "open"
    assert body["client_group"] == "adults"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "service_type": "castle"}, "service_type"),
        ({"service_type": "care_home"}, "name"),
        ({"name": "X"}, "service_type"),
        ({"name": "X", "service_type": "care_home", "capacity": "many"}, "capacity"),
        ({"name": "X", "service_type": "care_home", "capacity": -3}, "capacity"),
        ({"name": "X", "service_type": "care_home", "regulated": "perhaps"}, "regulated"),
        ({"name": "X", "service_type": "care_home", "regulated": True}, "regulator"),
        (
            {"name": "X", "service_type": "care_home", "regulator_rating": "good"},
            "regulator_rating",
        ),
        (
            {"name": "X", "service_type": "care_home", "last_inspection_date": "14/03/2022"},
            "last_inspection_date",
        ),
        (
            {"name": "X", "service_type": "care_home", "market_risk_reasons": ["cheap"]},
            "market_risk_reasons",
        ),
        ({"name": "X", "service_type": "care_home", "postcode": "nowhere"}, "postcode"),
    ],
)
def test_bad_service_input_is_a_400_with_a_reason_and_saves_nothing(
    api_for, officer_olivia, sunrise, payload, field
):
    response = api_for(officer_olivia).post(
        "/api/v1/services/", {"provider": sunrise.pk, **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert response.json()[field]  # a reason, per field (or per list item)
    assert not Service.objects.exists()


def test_an_unknown_provider_id_is_a_400(api_for, officer_olivia):
    response = api_for(officer_olivia).post(
        "/api/v1/services/",
        {"provider": 999999, "name": "X", "service_type": "care_home"},
        format="json",
    )
    assert response.status_code == 400
    assert "provider" in response.json()


def test_a_contract_cannot_cover_another_providers_service(
    api_for, officer_olivia, sunrise, oak_lodge_home
):
    response = api_for(officer_olivia).post(
        "/api/v1/contracts/",
        {
            "reference": "AVC-1",
            "provider": sunrise.pk,
            "start_date": "2026-04-01",
            "services": [oak_lodge_home.pk],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "Oak Lodge" in response.json()["services"][0]
    assert not Contract.objects.exists()


def test_a_contract_cannot_end_before_it_starts(api_for, officer_olivia, sunrise):
    response = api_for(officer_olivia).post(
        "/api/v1/contracts/",
        {
            "reference": "AVC-2",
            "provider": sunrise.pk,
            "start_date": "2026-04-01",
            "end_date": "2026-03-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "end_date" in response.json()


def test_whistleblowing_logged_through_the_api_is_confidential(
    api_for, officer_olivia, sunrise_house
):
    response = api_for(officer_olivia).post(
        "/api/v1/intelligence/",
        {
            "service": sunrise_house.pk,
            "kind": "whistleblowing",
            "date": "2026-11-01",
            "summary": "Night staffing",
            "confidential": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["confidential"] is True
    assert response.json()["author"] == str(officer_olivia)
    assert Intelligence.objects.get().confidential is True


def test_intelligence_needs_a_subject_and_a_known_kind(api_for, officer_olivia):
    response = api_for(officer_olivia).post(
        "/api/v1/intelligence/",
        {"kind": "gossip", "date": "2026-11-01", "summary": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "kind" in response.json()


def test_commissioning_status_is_read_only(api_for, officer_olivia, sunrise_house):
    response = api_for(officer_olivia).patch(
        f"/api/v1/services/{sunrise_house.pk}/",
        {"commissioning_status": "suspended"},
        format="json",
    )
    assert response.status_code == 200
    sunrise_house.refresh_from_db()
    assert sunrise_house.commissioning_status == "open"


def test_a_stale_update_is_refused_with_409_and_changes_nothing(
    api_for, officer_olivia, officer_owen, sunrise_house
):
    version = sunrise_house.version
    first = api_for(officer_olivia).patch(
        f"/api/v1/services/{sunrise_house.pk}/",
        {"capacity": 45, "version": version},
        format="json",
    )
    assert first.status_code == 200
    assert first.json()["version"] == version + 1
    second = api_for(officer_owen).patch(
        f"/api/v1/services/{sunrise_house.pk}/",
        {"capacity": 50, "version": version},
        format="json",
    )
    assert second.status_code == 409
    assert "Someone else saved a change" in second.json()["detail"]
    sunrise_house.refresh_from_db()
    assert sunrise_house.capacity == 45


def test_an_invalid_patch_leaves_the_row_as_it_was(api_for, officer_olivia, sunrise_house):
    response = api_for(officer_olivia).patch(
        f"/api/v1/services/{sunrise_house.pk}/",
        {"capacity": 5, "council_funded_people": 9},
        format="json",
    )
    assert response.status_code == 400
    sunrise_house.refresh_from_db()
    assert (sunrise_house.capacity, sunrise_house.council_funded_people) == (40, 10)


def test_a_service_stays_with_its_provider(api_for, officer_olivia, sunrise_house, oak_lodge):
    api_for(officer_olivia).patch(
        f"/api/v1/services/{sunrise_house.pk}/", {"provider": oak_lodge.pk}, format="json"
    )
    sunrise_house.refresh_from_db()
    assert sunrise_house.provider.name == "Sunrise Care Ltd"


def test_filters_narrow_the_list(api_for, officer_olivia, sunrise_house, oak_lodge_home):
    ServiceFactory(name="Rated Inadequate", regulator_rating="inadequate")
    api = api_for(officer_olivia)
    by_rating = api.get("/api/v1/services/", {"regulator_rating": "inadequate"}).json()
    assert [s["name"] for s in by_rating["results"]] == ["Rated Inadequate"]
    by_provider = api.get("/api/v1/services/", {"provider": oak_lodge_home.provider_id}).json()
    assert [s["name"] for s in by_provider["results"]] == ["Oak Lodge"]
    bad = api.get("/api/v1/services/", {"regulator_rating": "splendid"})
    assert bad.status_code == 400


def test_provider_user_cannot_filter_by_another_providers_id(
    api_for, provider_pat, sunrise_house, oak_lodge_home
):
    response = api_for(provider_pat).get(
        "/api/v1/services/", {"provider": oak_lodge_home.provider_id}
    )
    assert response.status_code == 400


def test_openapi_schema_and_docs_are_served(client, officer_olivia):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/v1/providers/",
        "/api/v1/services/",
        "/api/v1/contracts/",
        "/api/v1/intelligence/",
        "/api/v1/auth/token/",
    ):
        assert path in text
    assert client.get("/api/docs/").status_code == 200
