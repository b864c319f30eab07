"""The QIM's pages: arranging one, the meeting's page (overdue actions flagged), the notes form
(rows added without JavaScript, a stale form refused), the position and the suspension proposal
it opens prefilled, marking an action done, the case panel, and provider users (their own
meeting read only; another provider's is 404)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from escalation import qim_services as services
from escalation.models import QimAction, QimStatus, QualityImprovementMeeting, Suspension
from tests.escalation.qim_support import BEFORE, MEETING_DAY, arrange, at, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def case(sunrise_house, officer_olivia):
    return open_case(sunrise_house, by=officer_olivia)


@pytest.fixture
def qim(case, officer_olivia, officer_owen):
    return arrange(case, by=officer_olivia, chair=officer_owen)


@pytest.fixture
def invited(qim, officer_olivia):
    services.issue_invitation(qim, actor=officer_olivia, today=BEFORE)
    return qim


@pytest.fixture
def held(invited, officer_olivia):
    services.record_notes(
        invited,
        actor=officer_olivia,
        attendees_council="Owen",
        attendees_provider="Sam Reed",
        points={2: "Medicines"},
        actions=[
            {
                "item": 6,
                "text": "Send the action plan",
                "action_by": "provider",
                "due_on": date(2026, 12, 20),
            },
            {
                "item": 8,
                "text": "Update the memo",
                "action_by": "council",
                "due_on": date(2026, 12, 31),
            },
        ],
        today=MEETING_DAY,
    )
    invited.refresh_from_db()
    return invited


def _on(day: date):
    return time_machine.travel(at(day, 12, 0), tick=False)


def test_an_officer_arranges_a_meeting(client_for, case, officer_olivia, officer_owen):
    url = reverse("escalation:qim_arrange", args=[case.pk])
    client = client_for(officer_olivia)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "day": "17/12/2026",
            "time": "10:30",
            "chair": officer_owen.pk,
            "required_attendees": "The Registered Manager",
        },
    )
    qim = QualityImprovementMeeting.objects.get()
    assert response.status_code == 302 and response["Location"] == qim.get_absolute_url()
    assert qim.chair == officer_owen and qim.starts_at == at(MEETING_DAY)


def test_bad_input_is_a_message_not_a_meeting(client_for, case, officer_olivia):
    url = reverse("escalation:qim_arrange", args=[case.pk])
    response = client_for(officer_olivia).post(url, {"day": "31/02/2026", "time": "25:00"})
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert not QualityImprovementMeeting.objects.exists()


def test_the_page_flags_an_overdue_action(client_for, held, officer_olivia):
    # Signed in on the day itself: a session from weeks before has expired.
    with _on(date(2026, 12, 20)):  # due today: not overdue
        page = client_for(officer_olivia).get(held.get_absolute_url()).content.decode()
    assert "Overdue" not in page
    with _on(date(2026, 12, 21)):  # due yesterday
        page = client_for(officer_olivia).get(held.get_absolute_url()).content.decode()
    assert page.count(">Overdue<") == 1 and "1 overdue action" in page


def test_another_action_row_without_javascript(client_for, invited, officer_olivia):
    url = reverse("escalation:qim_notes", args=[invited.pk])
    with _on(MEETING_DAY):
        client = client_for(officer_olivia)
        form = client.get(url).context["form"]
        assert form.row_count == 2
        response = client.post(
            url,
            {"rows": "2", "add_row": "1", "attendees_council": "Owen", "a0_text": "Typed"},
        )
    form = response.context["form"]
    assert response.status_code == 200 and form.row_count == 3
    assert b"Typed" in response.content and b"There is a problem" not in response.content
    invited.refresh_from_db()
    assert invited.status == QimStatus.INVITED and not QimAction.objects.exists()


def test_the_notes_form_records_notes_and_actions(client_for, invited, officer_olivia):
    url = reverse("escalation:qim_notes", args=[invited.pk])
    with _on(MEETING_DAY):
        response = client_for(officer_olivia).post(
            url,
            {
                "version": invited.version,
                "rows": "2",
                "attendees_council": "Owen",
                "attendees_provider": "Sam Reed",
                "points_2": "Medicines errors",
                "a0_item": "6",
                "a0_text": "Send the action plan",
                "a0_action_by": "provider",
                "a0_owner_name": "Sam Reed",
                "a0_due_on": "15/1/2027",
            },
        )
    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.status == QimStatus.HELD
    action = QimAction.objects.get()
    assert (action.item, action.who, action.due_on) == (6, "Sam Reed", date(2027, 1, 15))
    assert invited.agenda_notes.get().key_points == "Medicines errors"


def test_a_half_filled_action_row_is_an_error(client_for, invited, officer_olivia):
    url = reverse("escalation:qim_notes", args=[invited.pk])
    with _on(MEETING_DAY):
        response = client_for(officer_olivia).post(
            url, {"rows": "1", "attendees_council": "Owen", "a0_text": "Something"}
        )
    assert response.status_code == 200
    assert b"Give the action&#x27;s date due" in response.content
    assert not QimAction.objects.exists()


def test_two_note_takers_the_second_is_refused(client_for, invited, officer_olivia, officer_owen):
    url = reverse("escalation:qim_notes", args=[invited.pk])
    data = {"version": invited.version, "rows": "1", "attendees_council": "Owen"}
    with _on(MEETING_DAY):
        assert client_for(officer_owen).post(url, data).status_code == 302
        response = client_for(officer_olivia).post(url, {**data, "attendees_council": "Olivia"})
    assert response.status_code == 409
    assert b"Someone else recorded the notes" in response.content
    invited.refresh_from_db()
    assert invited.attendees_council == "Owen"


def test_the_position_opens_the_suspension_proposal_prefilled(client_for, held, manager_maya):
    client = client_for(manager_maya)
    step = reverse("escalation:qim_step", args=[held.pk, "decide-position"])
    response = client.post(
        step, {"position": "suspend", "share_with_people": "yes", "reason": "No assurance"}
    )
    assert response.status_code == 302
    page = client.get(held.get_absolute_url()).content.decode()
    propose = (
        f"{reverse('escalation:suspension_propose', args=[held.case.service_id])}?qim={held.pk}"
    )
    assert propose in page
    form = client.get(propose).context["form"]
    assert form.initial["restriction"] == "no_new_placements"
    assert "No assurance" in form.initial["other_reason"]
    response = client.post(
        propose,
        {
            "restriction": "no_new_placements",
            "reasons": ["other"],
            "other_reason": form.initial["other_reason"],
            "actions_required": "Evidence the medicines audit",
        },
    )
    suspension = Suspension.objects.get()
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.suspension == suspension
    assert propose not in client.get(held.get_absolute_url()).content.decode()


def test_an_officer_marks_an_action_done_on_the_page(client_for, held, officer_olivia):
    action = QimAction.objects.get(item=8)
    url = reverse("escalation:qim_action_complete", args=[held.pk, action.pk])
    client = client_for(officer_olivia)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.done_by == officer_olivia
    assert client.post(url).status_code == 409  # done already: said, nothing changed


def test_the_case_panel(held, officer_olivia, rf):
    with _on(date(2026, 12, 21)):
        html = render_to_string(
            "escalation/qim/_case_panel.html", {"case": held.case, "user": officer_olivia}
        )
    assert "Next QIM deadline:" in html and "20 December 2026" in html
    assert "1 QIM action overdue" in html and "Send the action plan" in html
    assert held.get_absolute_url() in html


def test_provider_users_read_their_own_and_never_anothers(
    client_for, held, officer_olivia, officer_owen, provider_pat, provider_quinn, oak_lodge_home
):
    client = client_for(provider_pat)
    page = client.get(held.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Send the action plan" in text and "Update the memo" not in text
    assert "Mark done" not in text and "Record the notes" not in text
    notes = reverse("escalation:qim_notes", args=[held.pk])
    assert client.get(notes).status_code == 403
    oak = arrange(
        open_case(oak_lodge_home, by=officer_olivia), by=officer_olivia, chair=officer_owen
    )
    services.issue_invitation(oak, actor=officer_olivia, today=BEFORE)
    assert client.get(oak.get_absolute_url()).status_code == 404
    assert client_for(provider_quinn).get(oak.get_absolute_url()).status_code == 200


def _add_actions(qim, by, n: int) -> None:
    for i in range(n):
        QimAction.objects.create(
            qim=qim,
            item=1 + i % 11,
            text=f"Action {i}",
            action_by="council",
            owner=by,
            due_on=date(2026, 12, 1 + i % 28),
            created_by=by,
        )


def test_the_meeting_page_reads_the_same_number_of_times_for_2_or_20_actions(
    client_for, held, officer_olivia, django_assert_max_num_queries
):
    client = client_for(officer_olivia)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(held.get_absolute_url()).status_code == 200
    _add_actions(held, officer_olivia, 18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(held.get_absolute_url()).status_code == 200
