"""Two managers approving the same suspension at once (real concurrent requests against a live
server, each on its own database connection): exactly one approval, one letter, one history
row; the other manager is told why (409). The same for lifting."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from escalation import services
from escalation.models import SuspensionStatus
from qaf.models import Document
from tests.support import send_in_parallel

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PARALLEL = 8


@pytest.fixture
def proposed(sunrise_house, officer_olivia):
    return services.propose(
        sunrise_house,
        actor=officer_olivia,
        restriction="no_new_placements",
        reasons=["serious_complaint"],
        actions_required="Resolve the complaint.",
    )


def _tokens(*users) -> list[str]:
    return [Token.objects.create(user=user).key for user in users]


def test_one_of_two_managers_approving_at_once_wins(
    live_server, proposed, manager_maya, manager_mo
):
    url = f"{live_server.url}/api/v1/suspensions/{proposed.pk}/approve/"
    statuses = send_in_parallel("POST", url, _tokens(manager_maya, manager_mo), [{}] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    proposed.refresh_from_db()
    assert proposed.status == SuspensionStatus.ACTIVE
    assert proposed.history.filter(status=SuspensionStatus.ACTIVE).count() == 1
    assert Document.objects.filter(kind="suspension", source_id=proposed.pk).count() == 1


def test_one_lifting_approval_wins(live_server, proposed, officer_olivia, manager_maya, manager_mo):
    services.approve(proposed, actor=manager_maya)
    services.propose_lift(proposed, actor=officer_olivia, reason="Resolved.")
    url = f"{live_server.url}/api/v1/suspensions/{proposed.pk}/approve-lift/"
    statuses = send_in_parallel("POST", url, _tokens(manager_maya, manager_mo), [{}] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    assert proposed.history.filter(status=SuspensionStatus.LIFTED).count() == 1
    assert Document.objects.filter(kind="suspension_lifted", source_id=proposed.pk).count() == 1
