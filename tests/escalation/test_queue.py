"""The escalation queue (issue 11 item 3): the open cases with stage, days in stage, next
deadline, next board meeting, concern level and commissioning status; sortable, filterable,
downloadable; the council's staff only."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from escalation.models import (
    AgendaItem,
    BoardMeeting,
    ConcernLevel,
    EscalationCase,
    Level,
    MeetingKind,
    Stage,
)
from escalation.queue import queue_rows
from providers.models import CommissioningStatus
from tests.factories import ServiceFactory

TODAY = date(2026, 12, 3)
URL = "/escalations/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=timezone.get_current_timezone())):
        yield


def _case(service, officer, stage=Stage.INFORMAL, entered=TODAY, **dates) -> EscalationCase:
    return EscalationCase.objects.create(
        service=service,
        stage=stage,
        stage_entered_on=entered,
        opened_on=entered,
        opened_by=officer,
        concerns="Medicines errors",
        **dates,
    )


def _meeting(manager, day: date, status="planned") -> BoardMeeting:
    return BoardMeeting.objects.create(
        starts_at=timezone.make_aware(datetime.combine(day, time(10))),
        kind=MeetingKind.SCHEDULED,
        status=status,
        created_by=manager,
    )


def _on_agenda(meeting, case, manager):
    from django.contrib.contenttypes.models import ContentType

    return AgendaItem.objects.create(
        meeting=meeting,
        subject_type=ContentType.objects.get_for_model(EscalationCase),
        subject_id=case.pk,
        order=1,
        added_by=manager,
    )


@pytest.fixture
def cases(sunrise_house, sunrise_lodge, oak_lodge_home, officer_olivia, manager_maya):
    informal = _case(sunrise_house, officer_olivia, entered=TODAY - timedelta(days=3))
    board_case = _case(
        sunrise_lodge,
        officer_olivia,
        Stage.BOARD,
        entered=TODAY - timedelta(days=40),
        referred_on=TODAY - timedelta(days=40),
        board_review_due=date(2027, 5, 24),
    )
    warning = _case(
        oak_lodge_home,
        officer_olivia,
        Stage.FINAL_WARNING,
        entered=TODAY - timedelta(days=200),
        board_review_due=TODAY - timedelta(days=1),
        improvement_due=date(2027, 2, 1),
    )
    closed = _case(
        ServiceFactory(name="Closed Court"),
        officer_olivia,
        Stage.CLOSED,
        entered=TODAY - timedelta(days=500),
        closed_on=TODAY - timedelta(days=10),
        closed_at_stage=Stage.FORMAL,
        close_reason="Improved",
    )
    return {"informal": informal, "board": board_case, "warning": warning, "closed": closed}


def test_the_queue_lists_open_cases_with_their_columns(cases, manager_maya):
    rows = {row.pk: row for row in queue_rows(manager_maya)}
    assert set(rows) == {cases["informal"].pk, cases["board"].pk, cases["warning"].pk}
    assert rows[cases["informal"].pk].days_in_stage == 3
    assert rows[cases["board"].pk].days_in_stage == 40
    # The next deadline is the earliest clock, whichever it is; none for a case without one.
    assert rows[cases["warning"].pk].next_deadline == TODAY - timedelta(days=1)
    assert rows[cases["board"].pk].next_deadline == date(2027, 5, 24)
    assert rows[cases["informal"].pk].next_deadline is None
    assert rows[cases["informal"].pk].concern_level == Level.ONE


def test_the_next_meeting_is_the_first_coming_one_with_the_case_on_its_agenda(cases, manager_maya):
    later = _meeting(manager_maya, TODAY + timedelta(days=30))
    sooner = _meeting(manager_maya, TODAY + timedelta(days=9))
    held = _meeting(manager_maya, TODAY - timedelta(days=9), status="held")
    _meeting(manager_maya, TODAY + timedelta(days=2))  # coming, but the case is not on it
    for meeting in (later, sooner, held):
        _on_agenda(meeting, cases["board"], manager_maya)
    rows = {row.pk: row for row in queue_rows(manager_maya)}
    assert timezone.localdate(rows[cases["board"].pk].next_meeting) == TODAY + timedelta(days=9)
    assert rows[cases["informal"].pk].next_meeting is None


def test_the_page_shows_each_column_in_words(cases, client_for, board_bea):
    ConcernLevel.objects.create(service=cases["warning"].service, level=Level.THREE)
    cases["warning"].service.__class__.objects.filter(pk=cases["warning"].service_id).update(
        commissioning_status=CommissioningStatus.SUSPENDED
    )
    page = client_for(board_bea).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Escalation queue" in text
    assert "Sunrise House" in text and "Oak Lodge" in text
    assert "Closed Court" not in text
    assert "Final warning" in text and "Referred to the board" in text
    assert "2 Dec 2026" in text and "Overdue" in text  # the warning's missed board review
    assert ">Suspended<" in text  # the short word in the narrow column


def test_sorting_by_days_in_stage_and_by_stage(cases, client_for, manager_maya):
    client = client_for(manager_maya)
    by_days = client.get(URL, {"sort": "days_in_stage"}).context["table"].rows
    assert [row.record.pk for row in by_days] == [
        cases["informal"].pk,
        cases["board"].pk,
        cases["warning"].pk,
    ]
    by_stage = client.get(URL, {"sort": "-stage"}).context["table"].rows
    assert [row.record.stage for row in by_stage] == [
        Stage.FINAL_WARNING,
        Stage.BOARD,
        Stage.INFORMAL,
    ]
    by_deadline = client.get(URL, {"sort": "next_deadline"}).context["table"].rows
    assert by_deadline[0].record.pk == cases["warning"].pk


def test_filters(cases, client_for, manager_maya):
    client = client_for(manager_maya)

    def shown(**params):
        return {row.record.pk for row in client.get(URL, params).context["table"].rows}

    assert shown(stage=["board", "final_warning"]) == {cases["board"].pk, cases["warning"].pk}
    assert shown(overdue="on") == {cases["warning"].pk}
    assert shown(q="sunrise") == {cases["informal"].pk, cases["board"].pk}
    assert shown(q="oak lodge ltd") == {cases["warning"].pk}
    meeting = _meeting(manager_maya, TODAY + timedelta(days=9))
    _on_agenda(meeting, cases["informal"], manager_maya)
    assert shown(on_agenda="on") == {cases["informal"].pk}
    ConcernLevel.objects.create(service=cases["board"].service, level=Level.TWO)
    assert shown(concern_level=["2"]) == {cases["board"].pk}
    assert shown(concern_level=["1"]) == {cases["informal"].pk, cases["warning"].pk}


def test_a_bad_filter_is_a_message_not_an_error(cases, client_for, manager_maya):
    page = client_for(manager_maya).get(URL, {"stage": "nonsense", "sort": "1;drop"})
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()


def test_the_download_has_every_open_case(cases, client_for, partner_pia):
    response = client_for(partner_pia).get(URL, {"_export": "csv", "sort": "days_in_stage"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Service",
        "Provider",
        "Stage",
        "Days in stage",
        "Next deadline",
        "Board meeting",
        "Concern",
        "Placements",
    ]
    assert [r[0] for r in rows[1:]] == ["Sunrise House", "Sunrise Lodge", "Oak Lodge"]
    assert rows[3][2:5] == ["Final warning", "200", "2026-12-02"]


def test_the_fast_download_matches_the_tables_own(cases, rf, manager_maya):
    from django_tables2.export import TableExport

    from escalation.queue import QueueTable
    from qaf.exports import ValuesExport

    request = rf.get(URL)
    request.user = manager_maya
    data = queue_rows(manager_maya).order_by("pk")
    ours = ValuesExport("csv", QueueTable(data, request=request)).export()
    assert ours == TableExport("csv", QueueTable(data, request=request)).export()


def test_provider_users_never_see_the_queue(cases, client_for, provider_pat, api_for):
    assert client_for(provider_pat).get(URL).status_code == 403
    assert client_for(provider_pat).get(URL, {"_export": "csv"}).status_code == 403


def test_an_empty_queue_says_how_a_case_starts(client_for, manager_maya):
    page = client_for(manager_maya).get(URL)
    assert "opens a case from a service&#x27;s page" in page.content.decode()


def test_the_navigation_offers_the_queue_to_staff(client_for, officer_olivia, provider_pat):
    assert reverse("escalation:case_queue") in client_for(officer_olivia).get("/").content.decode()


def test_a_clock_counts_only_at_the_stages_it_runs(sunrise_house, officer_olivia, manager_maya):
    """After the Letter of Termination the final warning's six months are history, not a
    deadline; while under the final warning they are."""
    ended = _case(
        sunrise_house,
        officer_olivia,
        Stage.TERMINATION,
        board_review_due=TODAY - timedelta(days=100),
        improvement_due=TODAY - timedelta(days=30),
    )
    [row] = queue_rows(manager_maya)
    assert row.pk == ended.pk and row.next_deadline is None
    EscalationCase.objects.filter(pk=ended.pk).update(stage=Stage.FINAL_WARNING)
    [row] = queue_rows(manager_maya)
    assert row.next_deadline == TODAY - timedelta(days=100)
    EscalationCase.objects.filter(pk=ended.pk).update(
        stage=Stage.RECTIFICATION_NOTICE, sustainability_review_due=TODAY + timedelta(days=5)
    )
    [row] = queue_rows(manager_maya)
    assert row.next_deadline == TODAY - timedelta(days=100)  # the board's clock still runs
    EscalationCase.objects.filter(pk=ended.pk).update(stage=Stage.FORMAL)
    [row] = queue_rows(manager_maya)
    assert row.next_deadline == TODAY + timedelta(days=5)
