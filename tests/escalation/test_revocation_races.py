"""Two managers revoking the same service at once (real concurrent requests against a live
server, each on its own database connection): one revocation, one letter, the board's decision
used once, one history row; the others are told why (409). The same for two officers proposing
at once: one proposal."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from escalation.models import BoardDecision, Revocation, RevocationStatus
from qaf.models import Document
from tests.escalation.revocation_support import PLANS, board_decides, with_board
from tests.support import send_in_parallel

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PARALLEL = 6


def _tokens(*users) -> list[str]:
    return [Token.objects.create(user=user).key for user in users]


def test_one_of_two_managers_revoking_at_once_wins(
    live_server, sunrise_house, officer_olivia, board_bea, manager_maya, manager_mo
):
    revocation = with_board(sunrise_house, officer_olivia)
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    url = f"{live_server.url}/api/v1/revocations/{revocation.pk}/revoke/"
    statuses = send_in_parallel("POST", url, _tokens(manager_maya, manager_mo), [PLANS] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    revocation.refresh_from_db()
    assert revocation.status == RevocationStatus.REVOKED
    assert revocation.history.filter(status=RevocationStatus.REVOKED).count() == 1
    assert Document.objects.filter(kind="revocation", source_id=revocation.pk).count() == 1
    assert BoardDecision.objects.filter(used_at__isnull=False).count() == 1


def test_two_proposals_at_once_make_one(live_server, sunrise_house, officer_olivia, manager_maya):
    body = {
        "service": sunrise_house.pk,
        "reasons": ["regulator_proceedings"],
        "details": "CQC intends to cancel the registration.",
        "options_exhausted": "Suspension since March.",
    }
    url = f"{live_server.url}/api/v1/revocations/"
    statuses = send_in_parallel(
        "POST", url, _tokens(officer_olivia, manager_maya), [body] * PARALLEL
    )
    assert sorted(statuses) == [201] + [409] * (PARALLEL - 1)
    assert Revocation.objects.filter(proposed_on=timezone.localdate()).count() == 1
