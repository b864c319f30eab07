"""Early warning where people see it: the service page, the officer's home page, the dashboard
(with its download), the recompute button and the API. Staff only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from providers.models import IntelligenceKind as K
from providers.models import IntelligenceStatus
from risk.early_warning_job import compute
from risk.models import EarlyWarning, PolicyVersion
from tests.factories import IntelligenceFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
API = "/api/v1/early-warnings/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-11-25 12:00 +0000", tick=False):
        yield


@pytest.fixture
def getting_worse(sunrise_house, officer_olivia):
    """Sunrise House, led by Olivia: four complaints in the last month, none before."""
    sunrise_house.registration_date = date(2020, 1, 1)
    sunrise_house.lead_officer = officer_olivia
    sunrise_house.save()
    for days in (3, 10, 20, 30):
        IntelligenceFactory(
            service=sunrise_house,
            kind=K.COMPLAINT,
            status=IntelligenceStatus.OPEN,
            date=TODAY - timedelta(days=days),
        )
    compute(TODAY)
    return sunrise_house


@pytest.fixture
def steady(oak_lodge_home):
    compute(TODAY)
    return oak_lodge_home


def test_the_service_page_shows_the_flag_reason_and_sparkline(
    client_for, officer_olivia, getting_worse
):
    page = client_for(officer_olivia).get(getting_worse.get_absolute_url()).content.decode()
    assert "Getting worse since 25 November 2026" in page
    assert "4 complaints in the last 90 days, against none in the year before" in page
    assert 'class="qaf-chart qaf-sparkline"' in page
    assert "4 entries in the last 13 weeks, 0 in the 52 weeks before" in page  # text alternative
    assert "Check again now" in page


def test_the_page_and_the_reason_give_the_same_rate(client_for, officer_olivia, getting_worse):
    """One entry in the year before is 90/365 = 0.2466 a quarter: 0.2 in the reason's words and
    on the page alike (rounded once, not 0.25 stored and then 0.3 shown)."""
    IntelligenceFactory(
        service=getting_worse,
        kind=K.COMPLAINT,
        status=IntelligenceStatus.CLOSED,
        date=TODAY - timedelta(days=200),
    )
    compute(TODAY)
    page = client_for(officer_olivia).get(getting_worse.get_absolute_url()).content.decode()
    assert "against 0.2 per 90 days over the year before" in page
    assert "1 entry: 0.2 per 90 days" in page
    assert "0.3 per 90 days" not in page


def test_a_service_without_a_flag_says_so(client_for, partner_pia, steady):
    page = client_for(partner_pia).get(steady.get_absolute_url()).content.decode()
    assert "No flag" in page
    assert "No complaints, safeguarding concerns or notices in the last 90 days" in page
    assert "Check again now" not in page  # partners read only


def test_provider_users_never_see_it(client_for, provider_pat, getting_worse):
    page = client_for(provider_pat).get(getting_worse.get_absolute_url())
    assert page.status_code == 200
    assert "Early warning" not in page.content.decode()
    assert "complaints in the last 90 days" not in page.content.decode()


def test_the_officers_home_page_lists_their_services_getting_worse(
    client_for, officer_olivia, officer_owen, getting_worse
):
    page = client_for(officer_olivia).get("/").content.decode()
    assert "My services that may be getting worse" in page
    assert "Sunrise House" in page and "4 complaints in the last 90 days" in page
    other = client_for(officer_owen).get("/").content.decode()
    assert "My services that may be getting worse" not in other


def test_the_dashboard_lists_services_getting_worse(
    client_for, manager_maya, getting_worse, steady
):
    client = client_for(manager_maya)
    page = client.get(reverse("risk:dashboard")).content.decode()
    assert "Services getting worse" in page
    section = page.split('id="getting_worse-heading"')[1].split("</table>")[0]
    assert "Sunrise House" in section and "Oak Lodge" not in section
    assert "qaf-sparkline" in section
    csv = client.get(
        reverse("risk:dashboard"), {"export_table": "getting_worse", "_export": "csv"}
    ).content.decode()
    assert "4 complaints in the last 90 days" in csv
    assert "Oak Lodge" not in csv


def test_an_officer_checks_a_service_again(client_for, officer_olivia, getting_worse):
    IntelligenceFactory(
        service=getting_worse,
        kind=K.WHISTLEBLOWING,
        confidential=True,
        date=TODAY,
    )
    response = client_for(officer_olivia).post(
        reverse("risk:early_warning_recompute", args=[getting_worse.pk]), follow=True
    )
    assert "may be getting worse" in response.content.decode()
    assert EarlyWarning.objects.get(service=getting_worse).recent == 5


def test_who_may_check_again(client_for, partner_pia, provider_pat, officer_olivia, getting_worse):
    url = reverse("risk:early_warning_recompute", args=[getting_worse.pk])
    assert client_for(partner_pia).post(url).status_code == 403
    assert client_for(provider_pat).post(url).status_code == 403
    assert client_for(officer_olivia).get(url).status_code == 405
    missing = reverse("risk:early_warning_recompute", args=[999999])
    assert client_for(officer_olivia).post(missing).status_code == 404


def test_the_api_filters_by_flagged(api_for, board_bea, getting_worse, steady):
    api = api_for(board_bea)
    everything = api.get(API).json()
    assert everything["count"] == 2
    flagged = api.get(API, {"flagged": "true"}).json()["results"]
    assert [w["service"] for w in flagged] == [getting_worse.pk]
    warning = flagged[0]
    assert warning["flagged_since"] == "2026-11-25"
    assert warning["recent_by_kind"] == {"complaint": 4}
    assert warning["reason"].startswith("4 complaints in the last 90 days")
    assert len(warning["weekly"]) == 65
    assert api.get(API, {"flagged": "false"}).json()["count"] == 1
    assert api.get(f"{API}{getting_worse.pk}/").json()["flagged"] is True


def test_the_api_refuses_bad_input_and_provider_users(
    api_for, officer_olivia, provider_pat, getting_worse
):
    api = api_for(officer_olivia)
    assert api.get(API, {"flagged": "sometimes"}).status_code == 400
    assert api.get(f"{API}999999/").status_code == 404
    assert api_for(provider_pat).get(API).status_code == 403
    assert api_for(provider_pat).post(f"{API}{getting_worse.pk}/recompute/").status_code == 403


def test_the_api_recomputes_for_officers_only(api_for, officer_olivia, partner_pia, getting_worse):
    assert api_for(partner_pia).post(f"{API}{getting_worse.pk}/recompute/").status_code == 403
    response = api_for(officer_olivia).post(f"{API}{getting_worse.pk}/recompute/")
    assert response.status_code == 200
    assert response.json()["flagged"] is True


def test_the_administrator_changes_a_threshold_on_the_policy_page(
    client, admin_alex, getting_worse, django_capture_on_commit_callbacks
):
    from tests.test_policy import _post

    client.force_login(admin_alex)
    page = client.get(reverse("risk:policy")).content.decode()
    assert "Early warning" in page and "3 entries" in page and "200%" in page
    refused = _post(client, schedule__early_warning_own_percent=99)
    assert refused.status_code == 200  # a percentage below 100 would flag falling services
    assert refused.context["form"].errors["schedule__early_warning_own_percent"]
    assert PolicyVersion.objects.count() == 1
    with django_capture_on_commit_callbacks():
        assert _post(client, schedule__early_warning_min_entries=5).status_code == 302
    compute(TODAY)
    warning = EarlyWarning.objects.get(service=getting_worse)
    assert not warning.flagged
    assert warning.policy_version.number == 2
    assert "fewer than the 5 that can raise a flag" in warning.reason


def test_the_dashboard_and_register_filter_services_getting_worse(
    client_for, manager_maya, provider_pat, getting_worse, steady
):
    client = client_for(manager_maya)
    dashboard = client.get(reverse("risk:dashboard"), {"getting_worse": "true"})
    assert dashboard.context["totals"]["total"] == 1
    assert "getting_worse=true" in dashboard.context["overdue_url"]
    register = client.get(reverse("providers:service_list"), {"getting_worse": "true"})
    page = register.content.decode()
    assert "Sunrise House" in page and "Oak Lodge" not in page
    # Provider users have no such filter: it is ignored, never a hint about a flag.
    theirs = client_for(provider_pat).get(
        reverse("providers:service_list"), {"getting_worse": "false"}
    )
    assert "Sunrise House" in theirs.content.decode()
    assert "getting_worse" not in theirs.context["filter"].filters
