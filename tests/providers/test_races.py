"""Edits through the API without a ``version`` (allowed: API clients may omit it) are applied
one after another: eight PATCHes of one service at once, each changing its own field, all land,
and the version counts every one of them.

Olivia (officer) and Owen (officer) edit Sunrise House's record through the API at once.
"""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from providers.models import Service
from tests.support import send_in_parallel

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Each PATCH changes one field of its own: a PATCH that wrote the whole row from a stale read
# would undo another's change.
CHANGES = [
    {"address": "1 New Road"},
    {"capacity": 41},
    {"council_funded_people": 12},
    {"host_authority": "Northshire"},
    {"name": "Sunrise House (renamed)"},
    {"registered_manager": False},
    {"client_group": "adults"},
    {"postcode": "AB1 2CD"},
]


def test_parallel_unversioned_patches_each_land_and_count(
    live_server, sunrise_house, officer_olivia, officer_owen
):
    before = sunrise_house.version
    tokens = [Token.objects.create(user=u).key for u in (officer_olivia, officer_owen)]
    url = f"{live_server.url}/api/v1/services/{sunrise_house.pk}/"
    statuses = send_in_parallel("PATCH", url, tokens, CHANGES)
    assert statuses == [200] * len(CHANGES)
    service = Service.objects.get(pk=sunrise_house.pk)
    for change in CHANGES:
        for field, value in change.items():
            assert getattr(service, field) == value, field
    assert service.version == before + len(CHANGES)
