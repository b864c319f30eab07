"""seed_scale: synthetic data at scale for the benchmarks (SPEC §9), valid row by row."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from providers.models import Contract, Intelligence, Provider, Service
from providers.scale import MARKER, OFFICERS
from qaf.models import Role, User
from reviews.models import Review, ReviewStatus
from risk.models import ServiceRisk
from risk.recompute import recompute
from tests.factories import ContractFactory, ServiceFactory

pytestmark = pytest.mark.django_db

N = 300


def _seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_scale", "--services", str(N), "--force", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded():
    return _seed()


def test_counts_and_mix(seeded):
    assert "Loaded 300 synthetic services" in seeded
    assert Service.objects.count() == N
    assert Provider.objects.filter(notes=MARKER).count() == N // 5
    # Every provider runs at least one service.
    assert not Provider.objects.filter(services__isnull=True).exists()
    assert len(set(Service.objects.values_list("service_type", flat=True))) >= 6
    assert set(Service.objects.values_list("regulator_rating", flat=True)) == {
        "outstanding",
        "good",
        "requires_improvement",
        "inadequate",
        "not_rated",
    }
    assert Service.objects.filter(out_of_area=True).exists()
    assert Service.objects.exclude(market_risk_reasons=[]).exists()
    assert Service.objects.filter(regulated=True, registered_manager=False).exists()
    assert Service.objects.filter(regulated=True, registered_manager=None).exists()  # not known
    known = Service.objects.filter(registration_date__isnull=False).count()
    assert 0.75 * N < known < N  # most registration dates known, some not
    reviewed = Service.objects.filter(reviews__status=ReviewStatus.FINAL).distinct().count()
    assert 0.6 * N < reviewed < 0.8 * N  # ~70% have a final review
    assert Review.objects.in_progress().exists()
    kinds = set(Intelligence.objects.values_list("kind", flat=True))
    assert {"safeguarding_audit", "safeguarding_enquiry", "complaint", "contract_meeting"} <= kinds
    assert Intelligence.objects.filter(provider__isnull=False).exists()  # provider-wide
    assert Intelligence.objects.filter(kind="safeguarding_enquiry", status="open").exists()
    officers = User.objects.filter(username__in=OFFICERS)
    assert officers.count() == 5
    assert all(Role.OFFICER in u.roles and not u.has_usable_password() for u in officers)
    assert Service.objects.filter(lead_officer__in=officers).count() > 0.8 * N


def test_every_row_passes_full_clean(seeded):
    for model in (Provider, Service, Review, Intelligence):
        rows = list(model.objects.all())
        assert rows
        for row in rows:
            row.full_clean()


def test_history_rows_are_skipped(seeded):
    assert Service.history.count() == 0
    assert Intelligence.history.count() == 0


def test_recompute_rates_every_service(seeded):
    counts = recompute()
    assert counts.services == N
    assert ServiceRisk.objects.count() == N
    assert set(ServiceRisk.objects.values_list("rating", flat=True)) == {"green", "amber", "red"}
    assert recompute().changed == 0


def _foreign_keys() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f'"
        )
        return set(cursor.fetchall())


def test_a_second_run_needs_reset_and_reset_replaces_only_synthetic_data(seeded):
    foreign_keys = _foreign_keys()
    recompute()
    mine = ServiceFactory(name="Real Service")
    # A contract of a synthetic provider goes with it; the foreign keys come back intact.
    synthetic = Service.objects.filter(provider__notes=MARKER).first()
    ContractFactory(provider=synthetic.provider, services=[synthetic])
    with pytest.raises(CommandError, match="--reset"):
        _seed()
    output = _seed("--reset", "--seed", "7")
    assert "Removed the earlier synthetic data" in output
    assert Service.objects.count() == N + 1
    assert Service.objects.filter(pk=mine.pk).exists()
    assert not Contract.objects.exists()
    assert not ServiceRisk.objects.filter(service__provider__notes=MARKER).exists()
    # The foreign keys dropped for the load are back, the same, and enforced.
    assert _foreign_keys() == foreign_keys
    with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
        Intelligence.objects.create(service_id=10**9, kind="other", date="2024-01-01", summary="x")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_scale", "--services", "10", stdout=io.StringIO())
    assert not Service.objects.exists()
