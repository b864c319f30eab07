"""Validation the outside probe found too loose (issue 8): ids given as 1.5, anyone named a
review's officer, dates such as 0001-01-01 and 9999-12-31."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers.models import Contract, Intelligence, Service
from qaf.models import Role
from qaf.validators import plausible_date_range
from reviews import services as workflow
from reviews.models import InformationRequest, Review
from tests.factories import UserFactory
from tests.providers.test_evidence import pdf
from tests.security.schema_tools import (
    body_properties,
    fill_path,
    load_schema,
    operations,
    raw_client,
)

pytestmark = pytest.mark.django_db


def _integer_fields(schema, operation) -> dict[str, bool]:
    """The body's writable whole-number fields (ids included): name -> is it a list of them."""
    _, fields = body_properties(schema, operation)
    found = {}
    for name, spec in fields.items():
        if spec.get("readOnly"):
            continue
        if spec.get("type") == "integer":
            found[name] = False
        elif spec.get("type") == "array" and spec.get("items", {}).get("type") == "integer":
            found[name] = True
    return found


def test_a_whole_number_field_given_a_fraction_is_a_400_naming_it(
    api_world, officer_olivia, manager_maya, provider_pat, sunrise
):
    """An id of 1.5 was taken as id 1. The fraction is added to a real id (the provider's),
    so that truncating it would find an object and let the request through."""
    schema = load_schema()
    users = [officer_olivia, manager_maya, provider_pat]
    checked = 0
    for path, method, operation in operations(schema):
        if method not in {"post", "put", "patch"}:
            continue
        media_type, _ = body_properties(schema, operation)
        for name, is_list in _integer_fields(schema, operation).items():
            bad = sunrise.pk + 0.5
            answers = []
            for user in users:
                api = raw_client(user)
                url = fill_path(path, api_world)
                value = [bad] if is_list else bad
                if media_type == "multipart/form-data":
                    response = getattr(api, method)(url, {name: str(bad)}, format="multipart")
                else:
                    response = getattr(api, method)(url, {name: value}, format="json")
                answers.append(response)
                assert response.status_code < 500
            named = [
                r.json()[name]
                for r in answers
                if r.status_code == 400 and isinstance(r.json(), dict) and name in r.json()
            ]
            assert named, (method, path, name, [r.status_code for r in answers])
            assert all("does not exist" not in str(errors) for errors in named), (
                method,
                path,
                name,
                named,
            )
            checked += 1
    assert checked >= 12


def test_an_id_given_as_a_fraction_plans_nothing(api_for, officer_olivia, sunrise_house):
    response = api_for(officer_olivia).post(
        "/api/v1/reviews/", {"service": sunrise_house.pk + 0.5}, format="json"
    )
    assert response.status_code == 400
    assert "Incorrect type" in response.json()["service"][0]
    assert not Review.objects.exists()
    # A whole number written as 3.0 is still the number 3 (JSON does not tell them apart).
    response = api_for(officer_olivia).post(
        "/api/v1/reviews/", {"service": float(sunrise_house.pk)}, format="json"
    )
    assert response.status_code == 201


# --- Who may carry out a review ---------------------------------------------------------------


@pytest.fixture
def people(officer_olivia, manager_maya, board_bea, partner_pia, admin_alex, provider_pat):
    inactive = UserFactory(username="ivy", roles=[Role.OFFICER], is_active=False)
    return {
        "officer": (officer_olivia, True),
        "manager": (manager_maya, True),
        "board member": (board_bea, False),
        "partner": (partner_pia, False),
        "administrator": (admin_alex, False),
        "provider user": (provider_pat, False),
        "officer who has left": (inactive, False),
    }


def test_only_an_active_officer_or_manager_may_be_named_a_reviews_officer(
    people, sunrise_house, officer_olivia, api_for, client
):
    for who, (user, allowed) in people.items():
        # The model, and so the service both pages and API call.
        review = Review(service=sunrise_house, officer=user)
        if allowed:
            review.full_clean()
        else:
            with pytest.raises(ValidationError) as refused:
                review.full_clean()
            assert "officer" in refused.value.message_dict, who
            with pytest.raises(ValidationError):
                workflow.plan_review(sunrise_house, actor=officer_olivia, officer=user)
        # The API.
        response = api_for(officer_olivia).post(
            "/api/v1/reviews/", {"service": sunrise_house.pk, "officer": user.pk}, format="json"
        )
        assert response.status_code == (201 if allowed else 400), who
        if not allowed:
            assert "officer" in response.json(), who
    # The page: never a review planned with a board member as its officer.
    client.force_login(officer_olivia)
    before = Review.objects.count()
    response = client.post(
        reverse("reviews:review_plan", args=[sunrise_house.pk]),
        {"kind": "full", "officer": people["board member"][0].pk, "announced": "yes"},
    )
    assert response.status_code == 200
    # The form offers only officers and managers: anyone else is not one of its choices.
    assert response.context["form"].errors["officer"]
    assert Review.objects.count() == before


def test_an_officer_who_has_left_does_not_block_their_reviews(
    sunrise_house, officer_olivia, manager_maya
):
    review = workflow.plan_review(sunrise_house, actor=manager_maya, officer=officer_olivia)
    officer_olivia.is_active = False
    officer_olivia.save()
    review = Review.objects.get(pk=review.pk)
    review.full_clean()  # the officer named before is not checked again
    workflow.cancel(review, actor=manager_maya, reason="Service closed")
    # Naming them again is refused.
    review = Review.objects.get(pk=review.pk)
    review.officer = manager_maya
    review.full_clean()
    with pytest.raises(ValidationError):
        Review(service=sunrise_house, officer=officer_olivia).full_clean()


# --- Dates people type --------------------------------------------------------------------


@pytest.fixture
def valid_bodies(sunrise, sunrise_house, officer_olivia, settings, tmp_path):
    """A body each create would accept, so that the date is the only thing wrong."""
    settings.MEDIA_ROOT = tmp_path
    settings.QAF_VIRUS_SCANNER = "none"
    return {
        "/api/v1/contracts/": {
            "reference": "C-NEW",
            "provider": sunrise.pk,
            "start_date": "2026-04-01",
        },
        "/api/v1/intelligence/": {
            "service": sunrise_house.pk,
            "kind": "contract_meeting",
            "date": "2026-11-01",
            "summary": "Met the manager",
        },
        "/api/v1/services/": {
            "provider": sunrise.pk,
            "name": "New Service",
            "service_type": "care_home",
            "regulated": True,
            "regulator": "CQC",
        },
        "/api/v1/reviews/": {"service": sunrise_house.pk, "kind": "full"},
        "/api/v1/information-requests/": {"service": sunrise_house.pk, "items": ["Rota"]},
        "/api/v1/evidence/": {"provider": sunrise.pk, "title": "Policy"},
    }


@pytest.mark.parametrize("typed", ["0001-01-01", "1899-12-31", "9999-12-31"])
def test_a_date_outside_the_plausible_range_is_a_400_naming_it(
    api_world, valid_bodies, officer_olivia, typed
):
    schema = load_schema()
    api = raw_client(officer_olivia)
    counts = [m.objects.count() for m in (Contract, Intelligence, Service, Review)]
    requests = InformationRequest.objects.count()
    checked = 0
    for path, method, operation in operations(schema):
        if method not in {"post", "put", "patch"}:
            continue
        media_type, fields = body_properties(schema, operation)
        for name, spec in fields.items():
            if spec.get("format") != "date" or spec.get("readOnly"):
                continue
            url = fill_path(path, api_world)
            body = (
                {**valid_bodies.get(path, {}), name: typed} if method == "post" else {name: typed}
            )
            if name == "completed_on":
                body.update(historic=True, rating="green")
            if media_type == "multipart/form-data":
                body["file"] = SimpleUploadedFile("policy.pdf", pdf())
                response = api.post(url, body, format="multipart")
            else:
                response = getattr(api, method)(url, body, format="json")
            assert response.status_code == 400, (method, path, name, response.content[:300])
            assert name in response.json(), (method, path, name, response.json())
            assert "Enter a date between" in str(response.json()[name])
            checked += 1
    assert checked >= 10
    assert counts == [m.objects.count() for m in (Contract, Intelligence, Service, Review)]
    assert requests == InformationRequest.objects.count()


def test_the_plausible_range_is_100_years_back_and_10_ahead_and_forms_say_so(
    client, officer_olivia, sunrise_house
):
    earliest, latest = plausible_date_range(date(2026, 12, 3))
    assert (earliest, latest) == (date(1926, 1, 1), date(2036, 12, 31))
    client.force_login(officer_olivia)
    response = client.post(
        reverse("providers:intelligence_create"),
        {
            "service": sunrise_house.pk,
            "kind": "contract_meeting",
            "date": "1/1/0001",
            "summary": "Met the manager",
            "severity": "medium",
        },
    )
    assert response.status_code == 200
    assert "Enter a date between" in response.content.decode()
    response = client.post(
        reverse("reviews:review_plan", args=[sunrise_house.pk]),
        {
            "kind": "full",
            "officer": officer_olivia.pk,
            "announced": "yes",
            "visit_date": "31/12/9999",
        },
    )
    assert response.status_code in (200, 400)
    assert "Enter a date between" in response.content.decode()
    assert not Review.objects.filter(service=sunrise_house).exists()
