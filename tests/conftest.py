"""Named people of the test stories (STYLE habit 11).

- Sunrise Care Ltd runs Sunrise House and Sunrise Lodge; Pat (provider_pat) works there.
- Oak Lodge Ltd runs Oak Lodge; Quinn (provider_quinn) works there.
- Olivia and Owen are quality officers, Maya and Mo managers, Bea sits on the board,
  Pia is a partner from the safeguarding team (read-only), Alex administers the system.
"""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from providers.models import IntelligenceKind, IntelligenceStatus
from qaf.models import Role
from tests.factories import (
    IntelligenceFactory,
    ProviderFactory,
    ServiceFactory,
    UserFactory,
)
from tests.support import LATE_SUMMER_EVENING

# clamav_daemon / real_clamd: a real ClamAV for the virus-scan tests.
pytest_plugins = ["tests.clamav", "tests.ordering"]


@pytest.fixture
def sunrise(db):
    return ProviderFactory(name="Sunrise Care Ltd")


@pytest.fixture
def oak_lodge(db):
    return ProviderFactory(name="Oak Lodge Ltd")


@pytest.fixture
def sunrise_house(sunrise):
    return ServiceFactory(provider=sunrise, name="Sunrise House")


@pytest.fixture
def sunrise_lodge(sunrise):
    return ServiceFactory(provider=sunrise, name="Sunrise Lodge")


@pytest.fixture
def oak_lodge_home(oak_lodge):
    return ServiceFactory(provider=oak_lodge, name="Oak Lodge")


def _staff(username, first, roles):
    return UserFactory(username=username, first_name=first, roles=roles)


@pytest.fixture
def officer_olivia(db):
    return _staff("olivia", "Olivia", [Role.OFFICER])


@pytest.fixture
def officer_owen(db):
    return _staff("owen", "Owen", [Role.OFFICER])


@pytest.fixture
def manager_maya(db):
    return _staff("maya", "Maya", [Role.MANAGER])


@pytest.fixture
def manager_mo(db):
    return _staff("mo", "Mo", [Role.MANAGER])


@pytest.fixture
def board_bea(db):
    return _staff("bea", "Bea", [Role.BOARD])


@pytest.fixture
def partner_pia(db):
    return _staff("pia", "Pia", [Role.PARTNER])


@pytest.fixture
def admin_alex(db):
    return _staff("alex", "Alex", [Role.ADMIN])


@pytest.fixture
def provider_pat(sunrise):
    return UserFactory(username="pat", first_name="Pat", roles=[], provider=sunrise)


@pytest.fixture
def provider_quinn(oak_lodge):
    return UserFactory(username="quinn", first_name="Quinn", roles=[], provider=oak_lodge)


@pytest.fixture
def safeguarding_at_sunrise(sunrise_house, officer_olivia):
    return IntelligenceFactory(
        service=sunrise_house,
        kind=IntelligenceKind.SAFEGUARDING_ENQUIRY,
        status=IntelligenceStatus.OPEN,
        confidential=True,
        author=officer_olivia,
        summary="Organisational enquiry into pressure care",
    )


@pytest.fixture
def meeting_at_sunrise(sunrise_house, officer_olivia):
    return IntelligenceFactory(
        service=sunrise_house,
        kind=IntelligenceKind.CONTRACT_MEETING,
        author=officer_olivia,
        summary="Quarterly contract meeting",
    )


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a test client logged in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    """``api_for(user)``: a DRF client authenticated as ``user`` (session-less)."""

    def make(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    return make


# Whether Django's content type cache holds every model with ids that exist outside any test's
# transaction: true once loaded, false again after a transactional test flushed the database.
_content_types_loaded = False


@pytest.fixture(autouse=True)
def _fresh_content_type_cache(request):
    """A transactional test flushes the database and content types come back with new ids;
    Django's per-process cache of them would then point at rows that no longer exist: it is
    cleared around every such test.

    A test in a transaction reads every content type into the cache at its start, in its outer
    transaction, unless the cache already holds them all: one missing from the table would
    otherwise be made by the first ``get_for_model`` wherever that happens to run, and inside a
    savepoint that a refused step rolls back (a 409 from the API) the cache would keep the id of
    a row that is gone. Loaded from rows that already existed, the cache stays right for the
    next test (nothing flushed them), so it is loaded once, not for each of thousands of tests."""
    global _content_types_loaded
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames
        for name in ("transactional_db", "live_server", "django_db_serialized_rollback")
    )
    if transactional:
        _content_types_loaded = False
        ContentType.objects.clear_cache()
        yield
        ContentType.objects.clear_cache()
        return
    if (marker is not None or "db" in request.fixturenames) and not _content_types_loaded:
        ContentType.objects.clear_cache()
        request.getfixturevalue("db")
        before = ContentType.objects.count()
        ContentType.objects.get_for_models(*apps.get_models(), for_concrete_models=False)
        # Rows made now vanish with this test's transaction: then load again next time.
        _content_types_loaded = ContentType.objects.count() == before
    yield
    if not _content_types_loaded:
        ContentType.objects.clear_cache()


@pytest.fixture(params=["now", "late-summer-evening"])
def any_time_of_day(request):
    """Run the test twice: now, and at 23:30 UTC on a summer day with the machine's zone UTC
    (as on servers and CI), when London is already on the next day. A test or code that takes
    ``date.today()`` or ``created_at.date()`` for the council's date fails the second run."""
    if request.param == "now":
        yield
        return
    with time_machine.travel(LATE_SUMMER_EVENING, tick=True):
        yield
