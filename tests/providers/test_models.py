"""The register's rules, as the model and the database enforce them for forms, API and imports."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from providers.models import (
    Intelligence,
    IntelligenceKind,
    Service,
    check_contract_services,
    normalise_postcode,
)
from tests.factories import IntelligenceFactory, ProviderFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ba11aa", "BA1 1AA"), ("sw1a 1aa", "SW1A 1AA"), (" M1  1AE ", "M1 1AE"), ("", "")],
)
def test_postcodes_are_stored_in_one_form(typed, stored):
    assert normalise_postcode(typed) == stored


def test_a_postcode_that_is_not_a_uk_postcode_is_refused():
    provider = ProviderFactory.build(postcode="12345")
    with pytest.raises(ValidationError) as exc:
        provider.full_clean()
    assert "postcode" in exc.value.message_dict


def test_unregulated_service_cannot_carry_a_regulator_rating():
    service = ServiceFactory.build(
        provider=ProviderFactory(),
        regulated=False,
        regulator="",
        regulator_id="",
        regulator_rating="inadequate",
        last_inspection_date=None,
    )
    with pytest.raises(ValidationError) as exc:
        service.full_clean()
    assert exc.value.message_dict["regulator_rating"] == [
        "A service that is not regulated has no regulator rating"
    ]


def test_the_database_also_refuses_a_rated_unregulated_service():
    service = ServiceFactory(regulated=True, regulator_rating="good")
    with pytest.raises(IntegrityError), transaction.atomic():
        Service.objects.filter(pk=service.pk).update(regulated=False)


def test_out_of_area_service_needs_its_host_authority():
    service = ServiceFactory.build(provider=ProviderFactory(), out_of_area=True, host_authority="")
    with pytest.raises(ValidationError) as exc:
        service.full_clean()
    assert "host_authority" in exc.value.message_dict


def test_council_funded_people_cannot_exceed_capacity():
    service = ServiceFactory.build(
        provider=ProviderFactory(), capacity=10, council_funded_people=11
    )
    with pytest.raises(ValidationError) as exc:
        service.full_clean()
    assert "council_funded_people" in exc.value.message_dict


def test_inspection_date_cannot_be_in_the_future():
    service = ServiceFactory.build(
        provider=ProviderFactory(), last_inspection_date=timezone.localdate() + timedelta(1)
    )
    with pytest.raises(ValidationError) as exc:
        service.full_clean()
    assert "last_inspection_date" in exc.value.message_dict


def test_cqc_location_id_format_is_checked():
    service = ServiceFactory.build(provider=ProviderFactory(), regulator_id="ABC")
    with pytest.raises(ValidationError) as exc:
        service.full_clean()
    assert "regulator_id" in exc.value.message_dict


@pytest.mark.parametrize(
    "kind", ["safeguarding_concern", "safeguarding_enquiry", "safeguarding_audit", "whistleblowing"]
)
def test_safeguarding_and_whistleblowing_entries_are_always_confidential(kind):
    entry = Intelligence(
        service=ServiceFactory(),
        kind=kind,
        date=date(2026, 1, 5),
        summary="x",
        status="open" if kind == "safeguarding_enquiry" else "",
        outcome="satisfactory" if kind == "safeguarding_audit" else "",
        confidential=False,
    )
    entry.full_clean()
    assert entry.confidential is True


def test_the_database_refuses_a_non_confidential_whistleblowing_entry():
    entry = IntelligenceFactory(kind=IntelligenceKind.WHISTLEBLOWING, confidential=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Intelligence.objects.filter(pk=entry.pk).update(confidential=False)


def test_intelligence_is_about_a_service_or_a_provider_not_both():
    service = ServiceFactory()
    entry = Intelligence(
        service=service, provider=service.provider, kind="other", date=date(2026, 1, 5), summary="x"
    )
    with pytest.raises(ValidationError) as exc:
        entry.full_clean()
    assert "service" in exc.value.message_dict


@pytest.mark.parametrize(
    ("kind", "fields", "error_field"),
    [
        ("complaint", {}, "status"),
        ("safeguarding_enquiry", {}, "status"),
        ("safeguarding_audit", {}, "outcome"),
        ("professional_feedback", {}, "feedback"),
        ("other", {"status": "open"}, "status"),
        ("other", {"outcome": "satisfactory"}, "outcome"),
        ("other", {"serious_unresolved": True}, "serious_unresolved"),
    ],
)
def test_kind_specific_fields(kind, fields, error_field):
    entry = Intelligence(
        service=ServiceFactory(), kind=kind, date=date(2026, 1, 5), summary="x", **fields
    )
    with pytest.raises(ValidationError) as exc:
        entry.full_clean()
    assert error_field in exc.value.message_dict


def test_provider_wide_intelligence_applies_to_every_service_of_the_provider():
    provider = ProviderFactory()
    first, second = ServiceFactory(provider=provider), ServiceFactory(provider=provider)
    elsewhere = ServiceFactory()
    wide = IntelligenceFactory(service=None, provider=provider)
    assert list(Intelligence.objects.applying_to(first)) == [wide]
    assert list(Intelligence.objects.applying_to(second)) == [wide]
    assert list(Intelligence.objects.applying_to(elsewhere)) == []


def test_a_contract_covers_only_its_providers_services():
    provider = ProviderFactory()
    other = ServiceFactory(name="Elsewhere House")
    with pytest.raises(ValidationError) as exc:
        check_contract_services(provider, [ServiceFactory(provider=provider), other])
    assert "Elsewhere House" in str(exc.value)
