"""Issue 9 (rule fidelity), through the database: each fact the recompute newly gathers, read
the way the seeds say (000 Appendix A and §6, 004), as an officer would see it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from providers.models import Service
from reviews import information as info
from reviews.models import InformationRequest, Review
from risk.models import PolicyVersion, ServiceRisk
from risk.recompute import recompute
from risk.services import save_policy
from tests.factories import IntelligenceFactory, ReviewFactory, ServiceFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def rated(service: Service, today: date) -> ServiceRisk:
    recompute([service.pk], today=today)
    return ServiceRisk.objects.get(pk=service.pk)


def factor(risk: ServiceRisk, name: str) -> tuple[str, str]:
    found = next(f for f in risk.factors if f["factor"] == name)
    return found["rag"], found["reason"]


@pytest.fixture
def elm_house(sunrise):
    """An out-of-area care home rated Requires improvement by CQC, never reviewed by us."""
    return ServiceFactory(
        provider=sunrise,
        name="Elm House",
        out_of_area=True,
        host_authority="Wiltshire Council",
        regulator_rating="requires_improvement",
        registration_date=date(2024, 5, 2),
    )


# --- Item 1: the out-of-area request cycle runs from the last sent request ------------------


def test_a_sent_request_moves_the_out_of_area_clock(elm_house, officer_olivia):
    request = info.create_request(elm_house, actor=officer_olivia, items=["Staffing rota"])
    info.send_request(request, actor=officer_olivia, today=date(2026, 3, 1))
    risk = rated(elm_house, date(2026, 3, 2))
    # Requires improvement: every 6 months, from the request sent on 1 March 2026.
    assert (risk.information_request_months, risk.information_request_due) == (
        6,
        date(2026, 9, 1),
    )
    assert risk.last_information_request == date(2026, 3, 1)
    assert risk.information_request_overdue is False
    assert rated(elm_house, date(2026, 9, 2)).information_request_overdue is True


def test_a_draft_request_does_not_move_the_clock(elm_house, officer_olivia):
    info.create_request(elm_house, actor=officer_olivia, items=["Staffing rota"])
    risk = rated(elm_house, date(2026, 3, 2))
    assert risk.information_request_due == date(2024, 5, 2)
    assert risk.last_information_request is None
    assert risk.information_request_overdue is True


def test_sending_a_request_re_rates_at_once(
    elm_house, officer_olivia, django_capture_on_commit_callbacks
):
    request = info.create_request(elm_house, actor=officer_olivia, items=["Staffing rota"])
    recompute(today=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        info.send_request(request, actor=officer_olivia)
    risk = ServiceRisk.objects.get(pk=elm_house.pk)
    assert risk.last_information_request == timezone.localdate()
    assert risk.information_request_overdue is False


# --- Item 5: full and focused reviews count differently ---------------------------------------


def test_a_later_focused_review_neither_resets_the_clock_nor_replaces_the_outcome(sunrise_house):
    ReviewFactory(
        service=sunrise_house, kind="full", rating="amber", completed_on=date(2025, 6, 10)
    )
    ReviewFactory(
        service=sunrise_house, kind="focused", rating="green", completed_on=date(2025, 12, 1)
    )
    risk = rated(sunrise_house, date(2026, 1, 5))
    assert factor(risk, "review_outcome") == (
        "amber",
        "The latest full QA review (10 June 2025) was rated Amber",
    )
    assert factor(risk, "review_age")[1] == (
        "The latest full QA review 10 June 2025 is less than 2 years ago"
    )
    assert risk.next_review_due == date(2026, 6, 10)  # Amber: 12 months from the full review
    assert risk.never_reviewed is False
    # The focused review was the follow-up: closed.
    assert risk.follow_up_due is None


def test_only_focused_reviews_leave_the_service_never_fully_reviewed(sunrise_house):
    Service.objects.filter(pk=sunrise_house.pk).update(registration_date=date(2019, 3, 1))
    ReviewFactory(
        service=sunrise_house, kind="focused", rating="amber", completed_on=date(2026, 1, 5)
    )
    risk = rated(sunrise_house, date(2026, 2, 1))
    assert risk.never_reviewed is True
    assert risk.review_overdue is True
    assert factor(risk, "review_outcome")[0] == "n/a"
    assert factor(risk, "review_age") == (
        "red",
        "Never reviewed; on the register since 1 March 2019, more than 5 years ago",
    )
    assert risk.follow_up_due == date(2026, 7, 5)  # the focused review's own follow-up
    assert risk.minimum_contact_met is True


def test_a_planned_focused_review_does_not_stop_the_full_review_being_overdue(sunrise_house):
    ReviewFactory(service=sunrise_house, kind="full", rating="red", completed_on=date(2025, 1, 6))
    ReviewFactory(
        service=sunrise_house, kind="focused", status="planned", rating="", completed_on=None
    )
    risk = rated(sunrise_house, date(2026, 1, 5))
    assert (risk.next_review_due, risk.review_overdue) == (date(2025, 7, 6), True)
    assert (risk.follow_up_due, risk.follow_up_overdue) == (date(2025, 7, 6), False)


# --- Item 6: never reviewed is judged by time on the register ----------------------------------


@pytest.mark.parametrize(
    ("registered", "rag"),
    [
        (date(2020, 11, 24), "red"),  # the day before five years earlier
        (date(2020, 11, 25), "amber"),  # exactly five years
        (date(2023, 11, 26), "green"),  # the day after two years earlier
        (None, "amber"),  # not known
    ],
)
def test_never_reviewed_is_rated_by_the_registration_date(sunrise_house, registered, rag):
    Service.objects.filter(pk=sunrise_house.pk).update(registration_date=registered)
    assert factor(rated(sunrise_house, date(2025, 11, 25)), "review_age")[0] == rag


def test_never_reviewed_and_registration_not_known_says_so(sunrise_house):
    assert factor(rated(sunrise_house, date(2026, 11, 25)), "review_age") == (
        "amber",
        "Never reviewed, and the date it came onto the register is not known",
    )


def test_a_never_reviewed_service_is_due_since_its_registration_date(sunrise_house):
    Service.objects.filter(pk=sunrise_house.pk).update(registration_date=date(2019, 3, 1))
    risk = rated(sunrise_house, date(2026, 11, 25))
    assert (risk.next_review_due, risk.review_overdue) == (date(2019, 3, 1), True)


# --- Item 7: registered manager may be unknown --------------------------------------------------


@pytest.mark.parametrize(
    ("in_post", "expected"),
    [
        (True, ("green", "A registered manager is in post")),
        (False, ("amber", "No registered manager is in post")),
        (None, ("amber", "It is not known whether a registered manager is in post")),
    ],
)
def test_registered_manager_yes_no_not_known(sunrise_house, in_post, expected):
    Service.objects.filter(pk=sunrise_house.pk).update(registered_manager=in_post)
    assert factor(rated(sunrise_house, date(2026, 11, 25)), "registered_manager") == expected


def test_a_new_service_does_not_know_its_registered_manager(sunrise):
    service = Service.objects.create(provider=sunrise, name="Ash Court", service_type="care_home")
    assert service.registered_manager is None


# --- Item 8: out-of-area monitoring follows source 004 --------------------------------------


def test_an_out_of_area_service_has_no_full_review_due_date(elm_house):
    ReviewFactory(service=elm_house, kind="full", rating="green", completed_on=date(2020, 1, 6))
    risk = rated(elm_house, date(2026, 11, 25))
    assert risk.next_review_due is None
    assert risk.review_overdue is False
    assert risk.information_request_months == 6


@pytest.mark.parametrize(
    ("service_type", "direct"),
    [
        ("care_home", True),
        ("care_home_nursing", True),
        ("domiciliary_care", False),
        ("supported_living", False),
    ],
)
def test_direct_monitoring_is_for_out_of_area_care_homes(elm_house, service_type, direct):
    Service.objects.filter(pk=elm_house.pk).update(
        service_type=service_type, council_funded_people=6, capacity=30
    )
    risk = rated(elm_house, date(2026, 11, 25))
    assert risk.direct_monitoring is direct
    assert risk.information_request_months == 6  # the request cycle either way


# --- Item 9: minimum contact counts every contact --------------------------------------------


TODAY = date(2026, 11, 25)


def test_no_contact_is_not_met(sunrise_house):
    assert rated(sunrise_house, TODAY).minimum_contact_met is False


def test_an_answered_information_request_is_contact(sunrise_house, officer_olivia, provider_pat):
    request = info.create_request(sunrise_house, actor=officer_olivia, items=["Staffing rota"])
    info.send_request(request, actor=officer_olivia, today=date(2026, 6, 1))
    assert rated(sunrise_house, TODAY).minimum_contact_met is False  # sent, not answered
    info.answer_item(request.items.get(), actor=provider_pat, response="Attached")
    assert rated(sunrise_house, timezone.localdate()).minimum_contact_met is True


def test_an_answer_long_ago_is_not_recent_contact(sunrise_house, officer_olivia):
    request = InformationRequest.objects.create(
        service=sunrise_house, status="closed", issued_on=date(2025, 10, 1)
    )
    answered = datetime(2025, 11, 25, 23, 30, tzinfo=LONDON)  # late, London time
    request.items.create(text="Rota", status="accepted", answered_at=answered)
    assert rated(sunrise_house, TODAY).minimum_contact_met is False  # 12 months ago exactly
    request.items.update(answered_at=answered + timedelta(days=1))
    assert rated(sunrise_house, TODAY).minimum_contact_met is True


@pytest.mark.parametrize(
    ("status", "recorded", "contact"),
    [
        ("draft", True, True),  # a visit is contact while its report is a draft
        ("visit_done", True, True),
        ("cancelled", True, True),  # it happened, whatever became of the review
        ("planned", False, False),  # a planned visit is not contact yet
    ],
)
def test_a_recorded_visit_is_contact(sunrise_house, status, recorded, contact):
    ReviewFactory(
        service=sunrise_house,
        status=status,
        cancelled_reason="The home closed to visitors",
        rating="",
        completed_on=None,
        visit_date=date(2026, 10, 2),
        visit_recorded_at=timezone.now() if recorded else None,
    )
    assert rated(sunrise_house, TODAY).minimum_contact_met is contact


@pytest.mark.parametrize(
    "kind", ["contract_meeting", "safeguarding_audit", "professional_feedback"]
)
def test_logged_contact_counts(sunrise_house, kind):
    IntelligenceFactory(
        service=sunrise_house,
        kind=kind,
        date=date(2026, 1, 5),
        outcome="satisfactory" if kind == "safeguarding_audit" else "",
        confidential=kind == "safeguarding_audit",
    )
    assert rated(sunrise_house, TODAY).minimum_contact_met is True


def test_a_final_focused_review_is_contact(sunrise_house):
    ReviewFactory(service=sunrise_house, kind="focused", completed_on=date(2026, 1, 5))
    assert rated(sunrise_house, TODAY).minimum_contact_met is True


def contact_every_six_months(admin) -> None:
    """The administrator's policy edit: minimum contact within 6 months, not 12."""
    current = PolicyVersion.current()
    save_policy(
        matrix=current.matrix,
        schedules={**current.schedules, "minimum_contact_months": 6},
        note="Six-monthly contact",
        actor=admin,
        based_on=current,
    )


def test_the_minimum_contact_period_is_the_policy_setting(sunrise_house, admin_alex):
    IntelligenceFactory(service=sunrise_house, kind="contract_meeting", date=date(2026, 3, 1))
    assert rated(sunrise_house, TODAY).minimum_contact_met is True
    contact_every_six_months(admin_alex)
    assert rated(sunrise_house, TODAY).minimum_contact_met is False


def test_an_answer_re_rates_at_once(
    sunrise_house, officer_olivia, provider_pat, django_capture_on_commit_callbacks
):
    request = info.create_request(sunrise_house, actor=officer_olivia, items=["Staffing rota"])
    info.send_request(request, actor=officer_olivia)
    recompute(today=timezone.localdate())
    assert ServiceRisk.objects.get(pk=sunrise_house.pk).minimum_contact_met is False
    with django_capture_on_commit_callbacks(execute=True):
        info.answer_item(request.items.get(), actor=provider_pat, response="Attached")
    assert ServiceRisk.objects.get(pk=sunrise_house.pk).minimum_contact_met is True


def test_a_visit_recorded_through_the_workflow_is_contact(sunrise_house, officer_olivia):
    from reviews import services as review_services

    review = review_services.plan_review(sunrise_house, actor=officer_olivia)
    review_services.record_visit(review, actor=officer_olivia, visit_date=date(2026, 11, 20))
    assert Review.objects.get(pk=review.pk).visit_date == date(2026, 11, 20)
    assert rated(sunrise_house, TODAY).minimum_contact_met is True


# --- What officers read: the service page, the API, the register list ---------------------


def test_the_service_page_of_an_out_of_area_home(client_for, officer_olivia, elm_house):
    request = InformationRequest.objects.create(
        service=elm_house, status="sent", issued_on=date(2026, 3, 1)
    )
    assert request.pk
    recompute([elm_house.pk], today=date(2026, 3, 2))
    page = client_for(officer_olivia).get(elm_house.get_absolute_url()).content.decode()
    assert "Reviewed by the host authority, Wiltshire Council" in page
    assert "Next full review due" not in page
    assert "Every 6 months, by the regulator rating. Last sent 1 March 2026; next due " in page
    assert "1 September 2026" in page
    assert "Never reviewed; on the register since 2 May 2024, less than 2 years ago" in page


def test_the_service_page_warns_of_a_request_never_sent(client_for, officer_olivia, elm_house):
    recompute([elm_house.pk], today=date(2026, 3, 2))
    page = client_for(officer_olivia).get(elm_house.get_absolute_url()).content.decode()
    assert "No information request has been sent to this out-of-area service" in page
    assert "None sent yet: one is due now." in page


def test_the_service_page_says_the_minimum_contact_period_of_the_policy(
    client_for, officer_olivia, sunrise_house, admin_alex
):
    recompute([sunrise_house.pk], today=TODAY)
    client = client_for(officer_olivia)
    assert (
        "no contact recorded in the last 12 months"
        in client.get(sunrise_house.get_absolute_url()).content.decode()
    )
    contact_every_six_months(admin_alex)
    recompute([sunrise_house.pk], today=TODAY)
    page = client.get(sunrise_house.get_absolute_url()).content.decode()
    assert "no contact recorded in the last 6 months" in page
    assert "12 months" not in page


def test_the_service_page_says_not_known(client_for, officer_olivia, sunrise_house):
    Service.objects.filter(pk=sunrise_house.pk).update(registered_manager=None)
    recompute([sunrise_house.pk], today=TODAY)
    page = client_for(officer_olivia).get(sunrise_house.get_absolute_url()).content.decode()
    assert "It is not known whether a registered manager is in post" in page
    assert "Never reviewed, and the date it came onto the register is not known" in page
    assert 'Registered manager in post</dt><dd class="govuk-summary-list__value">Not known' in page
    assert 'Registration date</dt><dd class="govuk-summary-list__value">Not known' in page


def test_the_api_says_not_known_and_takes_null(api_for, officer_olivia, sunrise, elm_house):
    api = api_for(officer_olivia)
    created = api.post(
        "/api/v1/services/",
        {"provider": sunrise.pk, "name": "Ash Court", "service_type": "care_home"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["registered_manager"] is None
    assert body["registration_date"] is None
    patched = api.patch(
        f"/api/v1/services/{elm_house.pk}/",
        {"registered_manager": None, "registration_date": "2019-03-01"},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    recompute([elm_house.pk], today=TODAY)
    body = api.get(f"/api/v1/services/{elm_house.pk}/").json()
    assert body["registered_manager"] is None
    assert body["registration_date"] == "2019-03-01"
    factors = {f["factor"]: f for f in body["risk"]["factors"]}
    assert factors["registered_manager"] == {
        "factor": "registered_manager",
        "rag": "amber",
        "reason": "It is not known whether a registered manager is in post",
    }
    assert factors["review_age"]["reason"] == (
        "Never reviewed; on the register since 1 March 2019, more than 5 years ago"
    )
    assert factors["review_age"]["rag"] == "red"
    schedule = body["schedule"]
    assert schedule["next_review_due"] is None  # the host authority reviews it
    assert schedule["information_request_months"] == 6
    assert schedule["information_request_overdue"] is True
    assert schedule["last_information_request"] is None


def test_a_registration_date_in_the_future_is_refused(api_for, officer_olivia, sunrise_house):
    response = api_for(officer_olivia).patch(
        f"/api/v1/services/{sunrise_house.pk}/",
        {"registration_date": (timezone.localdate() + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "registration_date" in response.json()


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("true", ["Sunrise House"]),
        ("false", ["Sunrise Lodge"]),
        ("unknown", ["Oak Lodge"]),
        ("", ["Oak Lodge", "Sunrise House", "Sunrise Lodge"]),
    ],
)
def test_the_register_filters_by_registered_manager(
    api_for, officer_olivia, sunrise_house, sunrise_lodge, oak_lodge_home, value, names
):
    Service.objects.filter(pk=sunrise_lodge.pk).update(registered_manager=False)
    Service.objects.filter(pk=oak_lodge_home.pk).update(registered_manager=None)
    listing = api_for(officer_olivia).get("/api/v1/services/", {"registered_manager": value})
    assert sorted(s["name"] for s in listing.json()["results"]) == names
