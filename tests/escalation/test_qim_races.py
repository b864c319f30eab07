"""Two people recording a QIM's notes at once, or marking the same action done, with real
parallel requests against a live server: one wins, the others are told why (409), and the
meeting keeps one set of notes, one notes PDF and one completion."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from escalation import qim_services as services
from escalation.models import QimAction, QimStatus
from escalation.qim_documents import NOTES_KIND
from qaf.models import Document
from tests.escalation.qim_support import arrange, open_case
from tests.support import send_in_parallel

PARALLEL = 6

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _tokens(*users) -> list[str]:
    return [Token.objects.create(user=user).key for user in users]


@pytest.fixture
def invited(sunrise_house, officer_olivia, officer_owen):
    today = timezone.localdate()
    qim = arrange(
        open_case(sunrise_house, by=officer_olivia),
        by=officer_olivia,
        chair=officer_owen,
        day=today,
    )
    services.issue_invitation(qim, actor=officer_olivia)
    qim.refresh_from_db()
    return qim


def _base(live_server, qim, step: str) -> str:
    return f"{live_server.url}/api/v1/quality-improvement-meetings/{qim.pk}/{step}/"


def test_two_note_takers_at_once_record_one_set_of_notes(
    live_server, invited, officer_olivia, officer_owen
):
    today = timezone.localdate().isoformat()
    bodies = [
        {
            "version": invited.version,
            "attendees_council": f"Note-taker {n}",
            "actions": [
                {"item": 6, "text": f"Action {n}", "action_by": "provider", "due_on": today}
            ],
        }
        for n in range(PARALLEL)
    ]
    url = _base(live_server, invited, "record-notes")
    statuses = send_in_parallel("POST", url, _tokens(officer_olivia, officer_owen), bodies)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    invited.refresh_from_db()
    assert invited.status == QimStatus.HELD
    action = QimAction.objects.get()
    assert invited.attendees_council == f"Note-taker {action.text.split()[-1]}"
    assert Document.objects.filter(kind=NOTES_KIND).count() == 1


def test_two_marking_the_same_action_done_at_once(
    live_server, invited, officer_olivia, officer_owen
):
    services.record_notes(
        invited,
        actor=officer_olivia,
        attendees_council="Owen",
        actions=[
            {"item": 6, "text": "Plan", "action_by": "provider", "due_on": timezone.localdate()}
        ],
    )
    action = QimAction.objects.get()
    url = _base(live_server, invited, "complete-action")
    bodies = [{"action": action.pk}] * PARALLEL
    statuses = send_in_parallel("POST", url, _tokens(officer_olivia, officer_owen), bodies)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    assert action.history.filter(status="done").count() == 1
