"""Two managers deciding a concern level at once, with real parallel requests against a live
server (each on its own thread and database connection): exactly one wins, the others are
told why (409), and the history has one decision."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from escalation import concern_services as concern
from escalation.models import BoardDecision, ConcernDecision, ConcernLevel, SuggestionStatus
from qaf.models import Role
from tests.escalation.support import board_decides_concern, waiting_suggestion
from tests.factories import UserFactory
from tests.support import send_in_parallel

PARALLEL = 8

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _tokens(*users) -> list[str]:
    return [Token.objects.create(user=user).key for user in users]


def test_two_managers_moving_a_service_to_level_2_at_once_make_one_decision(
    live_server, sunrise_house, manager_maya, manager_mo
):
    suggestion = waiting_suggestion(sunrise_house)
    url = f"{live_server.url}/api/v1/concern-levels/{sunrise_house.pk}/decide/"
    body = {"level": 2, "reason": "As suggested", "suggestion": suggestion.pk}
    statuses = send_in_parallel("POST", url, _tokens(manager_maya, manager_mo), [body] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    assert ConcernLevel.objects.get(pk=sunrise_house.pk).level == 2
    assert ConcernDecision.objects.filter(service=sunrise_house).count() == 1
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED


def test_two_managers_recording_the_boards_approval_at_once_make_one_decision(
    live_server, sunrise_house, manager_maya, manager_mo, board_bea
):
    manager_meg = UserFactory(username="meg", first_name="Meg", roles=[Role.MANAGER])
    concern.propose(sunrise_house, actor=manager_maya, level=3, reason="Rated Inadequate")
    board_decides_concern(sunrise_house, "approve", bea=board_bea, maya=manager_maya)
    url = f"{live_server.url}/api/v1/concern-levels/{sunrise_house.pk}/approve/"
    statuses = send_in_parallel("POST", url, _tokens(manager_mo, manager_meg), [{}] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    row = ConcernLevel.objects.get(pk=sunrise_house.pk)
    assert (row.level, row.proposed_level) == (3, None)
    decisions = ConcernDecision.objects.filter(service=sunrise_house)
    assert decisions.count() == 1
    assert decisions.get().decided_by in (manager_mo, manager_meg)
    assert BoardDecision.objects.filter(used_at__isnull=False).count() == 1
