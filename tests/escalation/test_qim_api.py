"""``/api/v1/quality-improvement-meetings/``: scoped lists and details (provider B never sees
A's: 404), arranging, the steps with 403/409 and their reasons, a stale notes body refused, and
an action marked done."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from escalation import qim_services as services
from escalation.models import QimAction, QimStatus, QualityImprovementMeeting
from tests.escalation.qim_support import BEFORE, MEETING_DAY, arrange, at, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def case(sunrise_house, officer_olivia):
    return open_case(sunrise_house, by=officer_olivia)


@pytest.fixture
def invited(case, officer_olivia, officer_owen):
    qim = arrange(case, by=officer_olivia, chair=officer_owen)
    services.issue_invitation(qim, actor=officer_olivia, today=BEFORE)
    return qim


def _url(name: str, *args) -> str:
    return reverse(f"api:quality-improvement-meeting-{name}", args=args)


NOTES = {
    "attendees_council": "Owen",
    "attendees_provider": "Sam Reed",
    "points": {"2": "Medicines errors"},
    "actions": [
        {"item": 6, "text": "Send the plan", "action_by": "provider", "due_on": "2026-12-20"},
        {"item": 8, "text": "Update the memo", "action_by": "council", "due_on": "2026-12-31"},
    ],
}


def test_arranging_through_the_api(api_for, case, officer_olivia, officer_owen, partner_pia):
    body = {"case": case.pk, "starts_at": "2026-12-17T10:30:00", "chair": officer_owen.pk}
    assert api_for(partner_pia).post(_url("list"), body, format="json").status_code == 403
    response = api_for(officer_olivia).post(_url("list"), body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "planned" and data["chair"] == officer_owen.pk
    assert [item["number"] for item in data["agenda"]] == list(range(1, 12))
    assert data["agenda"][2]["seed_number"] == 4


def test_the_chair_must_be_of_the_quality_team(api_for, case, officer_olivia, board_bea):
    body = {"case": case.pk, "starts_at": "2026-12-17T10:30:00", "chair": board_bea.pk}
    response = api_for(officer_olivia).post(_url("list"), body, format="json")
    assert response.status_code == 409 and "quality assurance team" in response.json()["detail"]


def test_provider_users_see_only_their_own(
    api_for, invited, provider_pat, provider_quinn, officer_olivia
):
    mine = api_for(provider_pat).get(_url("list")).json()["results"]
    assert [row["id"] for row in mine] == [invited.pk]
    assert mine[0]["invitation_issued_by"] is None  # the council's working
    assert api_for(provider_quinn).get(_url("list")).json()["results"] == []
    assert api_for(provider_quinn).get(_url("detail", invited.pk)).status_code == 404
    assert api_for(provider_pat).get(_url("detail", invited.pk)).status_code == 200


def test_the_steps_and_their_refusals(api_for, invited, officer_olivia, provider_pat):
    api = api_for(officer_olivia)
    # Not held yet: the position is refused with the reason.
    response = api.post(
        _url("decide-position", invited.pk),
        {"position": "no_action", "share_with_people": False, "reason": "Improved"},
        format="json",
    )
    assert response.status_code == 409 and "Invitation issued" in response.json()["detail"]
    assert (
        api_for(provider_pat)
        .post(_url("record-notes", invited.pk), NOTES, format="json")
        .status_code
        == 403
    )
    with time_machine.travel(at(MEETING_DAY, 12, 0), tick=False):
        response = api.post(
            _url("record-notes", invited.pk), {**NOTES, "version": invited.version}, format="json"
        )
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["status"] == QimStatus.HELD
        assert [a["text"] for a in data["actions"]] == ["Send the plan", "Update the memo"]
        assert data["agenda"][1]["key_points"] == "Medicines errors"
        # The same body again, at the version read before: refused, nothing added.
        stale = api.post(
            _url("record-notes", invited.pk), {**NOTES, "version": invited.version}, format="json"
        )
        assert stale.status_code == 409 and "Someone else" in stale.json()["detail"]
        assert QimAction.objects.count() == 2
    response = api.post(
        _url("decide-position", invited.pk),
        {"position": "no_action", "share_with_people": False, "reason": "Improved"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["position"] == "no_action"


def test_completing_an_action(api_for, invited, officer_olivia, provider_pat):
    services.record_notes(
        invited,
        actor=officer_olivia,
        attendees_council="Owen",
        actions=[
            {"item": 6, "text": "Plan", "action_by": "provider", "due_on": date(2026, 12, 20)}
        ],
        today=MEETING_DAY,
    )
    action = QimAction.objects.get()
    url = _url("complete-action", invited.pk)
    assert api_for(provider_pat).post(url, {"action": action.pk}, format="json").status_code == 403
    response = api_for(officer_olivia).post(url, {"action": action.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["actions"][0]["status"] == "done"
    again = api_for(officer_olivia).post(url, {"action": action.pk}, format="json")
    assert again.status_code == 409 and "done already" in again.json()["detail"]


def test_cancel_needs_a_reason(api_for, invited, officer_olivia):
    url = _url("cancel", invited.pk)
    response = api_for(officer_olivia).post(url, {}, format="json")
    assert response.status_code == 409 and "Say why" in response.json()["detail"]
    assert api_for(officer_olivia).post(url, {"reason": "Ill"}, format="json").status_code == 200
    assert QualityImprovementMeeting.objects.get().status == QimStatus.CANCELLED


def test_the_list_reads_the_same_number_of_times_for_1_or_5_meetings(
    api_for, invited, case, officer_olivia, officer_owen, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_for(officer_olivia)
    with CaptureQueriesContext(connection) as one:
        assert api.get(_url("list")).status_code == 200
    for day in range(1, 5):
        arrange(case, by=officer_olivia, chair=officer_owen, day=date(2027, 1, day))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(_url("list")).json()["results"]) == 5
