"""Escalation cases under real parallel requests against a live server (each on its own thread
and database connection): two people opening a case for the same service make one (the others
are told why, 409); two people acting on the board's decision at once use it once (one notice,
one letter); and a second session holding the service's lock keeps another from opening."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from escalation import case_services as cases
from escalation.models import EscalationCase, Stage
from qaf.models import Document
from tests.escalation.case_support import decided, referred, seated
from tests.support import other_session, send_in_parallel, wait_until

PARALLEL = 8

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _tokens(*users) -> list[str]:
    return [Token.objects.create(user=user).key for user in users]


def test_opening_at_once_makes_one_case(live_server, sunrise_house, officer_olivia, manager_maya):
    url = f"{live_server.url}/api/v1/escalations/"
    body = {"service": sunrise_house.pk, "concerns": "Medicines errors"}
    statuses = send_in_parallel(
        "POST", url, _tokens(officer_olivia, manager_maya), [body] * PARALLEL
    )
    assert sorted(statuses) == [201] + [409] * (PARALLEL - 1)
    assert EscalationCase.objects.filter(service=sunrise_house).count() == 1


def test_acting_on_the_boards_decision_at_once_uses_it_once(
    live_server, sunrise_house, officer_olivia, manager_maya, board_bea
):
    members = seated(board_bea, manager_maya)
    today = timezone.localdate()
    case = referred(sunrise_house, officer_olivia, manager_maya, today=today)
    decided(case, members, manager_maya, Stage.RECTIFICATION_NOTICE, day=today)
    url = f"{live_server.url}/api/v1/escalations/{case.pk}/advance/"
    statuses = send_in_parallel(
        "POST",
        url,
        _tokens(officer_olivia, manager_maya),
        [{"to": "rectification_notice"}] * PARALLEL,
    )
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    case.refresh_from_db()
    assert case.stage == Stage.RECTIFICATION_NOTICE
    assert case.moves.filter(to_stage=Stage.RECTIFICATION_NOTICE).count() == 1
    assert Document.objects.about(case).filter(kind="rectification_notice").count() == 1


def test_the_constraint_stops_a_second_open_case_from_another_session(
    sunrise_house, officer_olivia
):
    """Whatever a session does behind the service's lock, the database keeps one open case:
    a row inserted from another session is refused by the constraint once the first commits."""
    first = cases.open_case(sunrise_house, actor=officer_olivia, concerns="First")
    errors: list[Exception] = []

    def insert_behind_the_lock():
        with other_session() as other, other.cursor() as cursor:
            try:
                cursor.execute(
                    "INSERT INTO escalation_escalationcase (version, created_at, updated_at, "
                    "stage, stage_entered_on, opened_on, concerns, contact_kind, contact_with, "
                    "contact_outcome, headline_concerns, recommendations, market_risk_notes, "
                    "people_supported_notes, closed_at_stage, close_reason, opened_by_id, "
                    "service_id) VALUES (1, now(), now(), 'formal', %s, %s, 'x', '', '', '', "
                    "'', '', '', '', '', '', %s, %s)",
                    [first.opened_on, first.opened_on, officer_olivia.pk, sunrise_house.pk],
                )
            except Exception as exc:  # noqa: BLE001 - the refusal is what we look for
                errors.append(exc)

    thread = threading.Thread(target=insert_behind_the_lock)
    thread.start()
    thread.join(timeout=60)
    wait_until(lambda: errors, "the second insert was refused")
    assert "one_open_escalation_case_per_service" in str(errors[0])
    assert isinstance(errors[0], IntegrityError) or "unique" in str(errors[0]).lower()
    assert EscalationCase.objects.filter(service=sunrise_house).count() == 1
