"""``/api/v1/reviews/``: historic reviews, planning, workflow steps answering 403/409."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from reviews.models import Review
from risk.models import ServiceRisk
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def test_recording_a_historic_review_re_rates_the_service(
    api_for, officer_olivia, sunrise_house, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(officer_olivia).post(
            "/api/v1/reviews/",
            {
                "service": sunrise_house.pk,
                "kind": "full",
                "historic": True,
                "completed_on": "2025-10-01",
                "rating": "red",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["rating"], body["historic"]) == ("final", "red", True)
    risk = ServiceRisk.objects.get(pk=sunrise_house.pk)
    assert risk.rating == "red"
    assert risk.follow_up_due == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"historic": True, "rating": "red"}, "completed_on"),
        ({"historic": True, "completed_on": "2025-10-01"}, "rating"),
        ({"historic": True, "completed_on": "2025-10-01", "rating": "purple"}, "rating"),
        ({"historic": True, "completed_on": "2099-01-01", "rating": "red"}, "completed_on"),
        ({"kind": "thorough"}, "kind"),
    ],
)
def test_bad_review_input_is_a_400_and_saves_nothing(
    api_for, officer_olivia, sunrise_house, payload, field
):
    response = api_for(officer_olivia).post(
        "/api/v1/reviews/", {"service": sunrise_house.pk, **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Review.objects.exists()


def test_provider_users_and_partners_cannot_record_reviews(
    api_for, provider_pat, partner_pia, sunrise_house
):
    for user in (provider_pat, partner_pia):
        response = api_for(user).post(
            "/api/v1/reviews/",
            {
                "service": sunrise_house.pk,
                "historic": True,
                "completed_on": "2025-10-01",
                "rating": "green",
            },
            format="json",
        )
        assert response.status_code == 403
    assert not Review.objects.exists()


def test_officer_cannot_use_a_service_of_nobody_they_can_see(api_for, officer_olivia):
    response = api_for(officer_olivia).post(
        "/api/v1/reviews/",
        {"service": 999999, "historic": True, "completed_on": "2025-10-01", "rating": "green"},
        format="json",
    )
    assert response.status_code == 400


def test_a_step_not_allowed_in_this_state_is_409_and_changes_nothing(
    api_for, officer_olivia, sunrise_house
):
    review = ReviewFactory(service=sunrise_house, status="planned", rating="", completed_on=None)
    response = api_for(officer_olivia).post(f"/api/v1/reviews/{review.pk}/finalise/")
    assert response.status_code == 409
    assert "planned" in response.json()["detail"]
    review.refresh_from_db()
    assert review.status == "planned"


def test_a_step_not_allowed_for_this_user_is_403(api_for, partner_pia, sunrise_house):
    review = ReviewFactory(service=sunrise_house, status="planned", rating="", completed_on=None)
    response = api_for(partner_pia).post(
        f"/api/v1/reviews/{review.pk}/cancel/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403


def test_cancelling_needs_a_reason(api_for, officer_olivia, sunrise_house):
    review = ReviewFactory(service=sunrise_house, status="planned", rating="", completed_on=None)
    api = api_for(officer_olivia)
    assert api.post(
        f"/api/v1/reviews/{review.pk}/cancel/", {"reason": "  "}, format="json"
    ).status_code in (400, 409)
    ok = api.post(
        f"/api/v1/reviews/{review.pk}/cancel/", {"reason": "Service closed"}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "cancelled"


# The morning of the visit: the hidden date is today, so it is also the date in created_at.
VISIT_MORNING = datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@time_machine.travel(VISIT_MORNING, tick=False)
def test_unannounced_visit_date_is_hidden_from_provider_users_until_recorded(
    api_for, officer_olivia, provider_pat, provider_quinn, sunrise_house
):
    visit_day = timezone.localdate()
    review = ReviewFactory(
        service=sunrise_house,
        status="planned",
        rating="",
        completed_on=None,
        announced=False,
        visit_date=visit_day,
    )
    url = f"/api/v1/reviews/{review.pk}/"
    as_provider = api_for(provider_pat).get(url).json()
    assert as_provider["visit_date"] is None
    assert visit_day.isoformat() not in as_provider.values()  # nor under another name
    assert api_for(officer_olivia).get(url).json()["visit_date"] == visit_day.isoformat()
    assert api_for(provider_quinn).get(url).status_code == 404
    listed = api_for(provider_pat).get("/api/v1/reviews/").json()["results"]
    [row] = [row for row in listed if row["id"] == review.pk]
    assert row["visit_date"] is None
    assert visit_day.isoformat() not in row.values()
    recorded = api_for(officer_olivia).post(f"{url}record-visit/")
    assert recorded.status_code == 200, recorded.json()
    after = api_for(provider_pat).get(url).json()
    assert after["visit_date"] == visit_day.isoformat()
