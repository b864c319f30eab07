"""seed_demo as SPEC §9 describes it."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from providers.models import Contract, Intelligence, Provider, Service
from qaf.models import User

pytestmark = pytest.mark.django_db

USERNAMES = {
    "admin",
    "officer",
    "officer2",
    "manager",
    "manager2",
    "board",
    "board2",
    "board3",
    "partner",
    "provider_a",
    "provider_b",
}


def _seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    return {
        model.__name__: (model.objects.count(), model.history.count())
        for model in (User, Provider, Service, Contract, Intelligence)
    }


def test_seed_demo_builds_the_demo_council_and_prints_the_logins(settings):
    settings.DEBUG = True
    output = _seed("--password", "pw-for-tests-123")
    assert set(User.objects.values_list("username", flat=True)) >= USERNAMES
    assert Provider.objects.count() >= 30
    assert Service.objects.count() >= 100
    assert len(set(Service.objects.values_list("service_type", flat=True))) >= 6
    assert len(set(Service.objects.values_list("regulator_rating", flat=True))) == 5
    assert Intelligence.objects.filter(provider__isnull=False).exists()
    for username in USERNAMES:
        assert username in output
        assert User.objects.get(username=username).check_password("pw-for-tests-123")
    assert "pw-for-tests-123" in output


def test_demo_provider_users_belong_to_two_organisations_with_several_services(settings):
    settings.DEBUG = True
    _seed()
    a = User.objects.get(username="provider_a")
    b = User.objects.get(username="provider_b")
    assert a.provider != b.provider
    assert Service.objects.filter(provider=a.provider).count() >= 2
    assert Service.objects.filter(provider=b.provider).count() >= 2
    assert not a.roles and not b.roles


def test_every_seeded_row_passes_the_models_own_validation(settings):
    settings.DEBUG = True
    _seed()
    for model in (Provider, Service, Intelligence, Contract):
        for obj in model.objects.all():
            obj.full_clean()


def test_running_seed_demo_twice_changes_nothing(settings):
    settings.DEBUG = True
    _seed()
    before = _snapshot()
    output = _seed()
    assert _snapshot() == before
    assert "nothing changed" in output


def test_seed_demo_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        _seed()
    assert not User.objects.exists()
    _seed("--force")
    assert User.objects.filter(username="officer").exists()
