"""The concern level in the API: ``services`` carry ``concern_level`` (null for provider
users), ``/api/v1/concern-levels/`` with its steps and ``/api/v1/concern-suggestions/``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation import concern_services as concern
from escalation.models import SuggestionStatus
from tests.escalation.support import board_decides_concern, waiting_suggestion
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_services_carry_the_concern_level_for_staff_only(
    api_for, sunrise_house, officer_olivia, provider_pat, manager_maya
):
    url = f"/api/v1/services/{sunrise_house.pk}/"
    assert api_for(officer_olivia).get(url).json()["concern_level"] == 1
    concern.decide(sunrise_house, actor=manager_maya, level=2, reason="Complaints")
    assert api_for(officer_olivia).get(url).json()["concern_level"] == 2
    listed = api_for(officer_olivia).get("/api/v1/services/").json()["results"]
    assert listed[0]["concern_level"] == 2
    assert api_for(provider_pat).get(url).json()["concern_level"] is None
    assert api_for(provider_pat).get("/api/v1/concern-levels/").status_code == 403
    assert (
        api_for(provider_pat).get(f"/api/v1/concern-levels/{sunrise_house.pk}/").status_code == 403
    )


def test_a_manager_decides_through_the_api(api_for, sunrise_house, manager_maya, officer_olivia):
    url = f"/api/v1/concern-levels/{sunrise_house.pk}/decide/"
    refused = api_for(officer_olivia).post(url, {"level": 2, "reason": "x"})
    assert refused.status_code == 403
    assert "Only quality managers" in refused.json()["detail"]
    api = api_for(manager_maya)
    assert api.post(url, {"level": 2}).status_code == 400
    too_far = api.post(url, {"level": 3, "reason": "Inadequate"})
    assert too_far.status_code == 409
    assert "propose it instead" in too_far.json()["detail"]
    done = api.post(url, {"level": 2, "reason": "Two serious complaints", "from_level": 1})
    assert done.status_code == 200
    body = done.json()
    assert (body["service"], body["level"], body["proposal"]) == (sunrise_house.pk, 2, None)
    assert body["decisions"][0]["reason"] == "Two serious complaints"
    assert body["decisions"][0]["decided_by"] == manager_maya.get_full_name()
    assert body["decisions"][0]["kind"] == "decided"
    stale = api.post(url, {"level": 1, "reason": "Resolved", "from_level": 1})
    assert stale.status_code == 409


def test_the_board_decides_through_the_api(
    api_for, sunrise_house, manager_maya, manager_mo, board_bea
):
    base = f"/api/v1/concern-levels/{sunrise_house.pk}"
    proposed = api_for(manager_maya).post(f"{base}/propose/", {"level": 3, "reason": "Inadequate"})
    assert proposed.status_code == 200
    assert proposed.json()["proposal"]["level"] == 3
    assert proposed.json()["proposal"]["proposed_by"] == manager_maya.get_full_name()
    early = api_for(manager_mo).post(f"{base}/approve/", {})
    assert early.status_code == 409
    assert "board has not decided to approve" in early.json()["detail"]
    board_decides_concern(sunrise_house, "approve", bea=board_bea, maya=manager_maya)
    rejected = api_for(manager_mo).post(f"{base}/reject/", {})
    assert rejected.status_code == 409  # the board approved: no decision not to
    approved = api_for(manager_mo).post(f"{base}/approve/", {"comment": "Agreed"})
    assert approved.status_code == 200
    assert approved.json()["level"] == 3
    assert approved.json()["decisions"][0]["kind"] == "approved"
    again = api_for(manager_mo).post(f"{base}/approve/", {})
    assert again.status_code == 409
    assert again.json()["detail"] == "No move is proposed."


def test_lists_filter_by_level_and_what_waits(api_for, sunrise_house, sunrise_lodge, manager_maya):
    concern.decide(sunrise_house, actor=manager_maya, level=2, reason="Complaints")
    suggestion = waiting_suggestion(sunrise_lodge, level=3)
    api = api_for(manager_maya)

    def ids(query):
        return [
            row["service"] for row in api.get(f"/api/v1/concern-levels/{query}").json()["results"]
        ]

    assert ids("?level=2") == [sunrise_house.pk]
    assert ids("?level=1") == [sunrise_lodge.pk]
    assert ids("?suggestion_waiting=true") == [sunrise_lodge.pk]
    row = api.get(f"/api/v1/concern-levels/{sunrise_lodge.pk}/").json()
    assert row["suggestion"]["id"] == suggestion.pk
    assert row["suggestion"]["reasons"] == suggestion.reasons

    listed = api.get("/api/v1/concern-suggestions/?status=waiting").json()["results"]
    assert [s["id"] for s in listed] == [suggestion.pk]
    url = f"/api/v1/concern-suggestions/{suggestion.pk}/dismiss/"
    assert api.post(url, {"reason": ""}).status_code == 400
    dismissed = api.post(url, {"reason": "Under appeal"})
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == SuggestionStatus.DISMISSED
    assert api.post(url, {"reason": "Again"}).status_code == 409


def test_the_concern_levels_list_reads_the_same_number_of_queries_for_5_and_50(
    api_for, manager_maya
):
    api = api_for(manager_maya)

    def add(n):
        for _ in range(n):
            service = ServiceFactory()
            waiting_suggestion(service)
            concern.propose(ServiceFactory(), actor=manager_maya, level=3, reason="x")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/concern-levels/").status_code == 200
        return len(ctx.captured_queries)

    add(5)
    few = count()
    add(45)
    assert count() == few


def test_the_api_puts_a_proposed_move_on_an_agenda(
    api_for, sunrise_house, manager_maya, officer_olivia, board_bea
):
    from django.utils import timezone

    from escalation import board_services

    planned = board_services.arrange(
        actor=manager_maya, starts_at=timezone.now() + timezone.timedelta(days=5), place="R1"
    )
    url = f"/api/v1/concern-levels/{sunrise_house.pk}/add-to-agenda/"
    nothing = api_for(manager_maya).post(url, {"meeting": planned.pk})
    assert nothing.status_code == 409 and nothing.json()["detail"] == "No move is proposed."
    concern.propose(sunrise_house, actor=manager_maya, level=3, reason="Inadequate")
    assert api_for(officer_olivia).post(url, {"meeting": planned.pk}).status_code == 403
    assert api_for(board_bea).post(url, {"meeting": planned.pk}).status_code == 200
    assert planned.agenda.get().subject.pk == sunrise_house.pk
