"""The access log (SPEC §10): who opened a confidential intelligence entry (page or API) and
who downloaded evidence, shown to the administrator, filtered, downloaded, through the API."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from providers.evidence import AccessKind, DownloadLog
from qaf.privacy.purge import delete_record
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db

LOG = reverse("privacy:access_log")


def test_opening_a_confidential_entry_is_logged_and_an_ordinary_one_is_not(
    client_for, api_for, officer_olivia, partner_pia, safeguarding_at_sunrise, meeting_at_sunrise
):
    page = client_for(officer_olivia).get(
        safeguarding_at_sunrise.get_absolute_url(), REMOTE_ADDR="198.51.100.4"
    )
    assert page.status_code == 200
    api = api_for(partner_pia).get(
        reverse("api:intelligence-detail", args=[safeguarding_at_sunrise.pk])
    )
    assert api.status_code == 200
    assert client_for(officer_olivia).get(meeting_at_sunrise.get_absolute_url()).status_code == 200
    rows = list(DownloadLog.objects.order_by("pk"))
    assert [(r.user, r.kind, r.intelligence) for r in rows] == [
        (officer_olivia, AccessKind.INTELLIGENCE_VIEW, safeguarding_at_sunrise),
        (partner_pia, AccessKind.INTELLIGENCE_VIEW, safeguarding_at_sunrise),
    ]
    assert rows[0].ip_address == "198.51.100.4"
    assert rows[0].provider == safeguarding_at_sunrise.service.provider
    assert rows[0].label == "Organisational safeguarding enquiry on 01 October 2026, Sunrise House"


def test_a_provider_user_refused_an_entry_leaves_no_log(
    client_for, provider_pat, safeguarding_at_sunrise
):
    response = client_for(provider_pat).get(safeguarding_at_sunrise.get_absolute_url())
    assert response.status_code == 404
    assert not DownloadLog.objects.exists()


@pytest.fixture
def log(officer_olivia, officer_owen, sunrise, safeguarding_at_sunrise):
    evidence = EvidenceFactory(provider=sunrise, title="Fire policy", uploaded_by=officer_owen)
    viewed = DownloadLog.objects.create(
        kind=AccessKind.INTELLIGENCE_VIEW,
        user=officer_olivia,
        intelligence=safeguarding_at_sunrise,
        provider=sunrise,
        label="Organisational safeguarding enquiry on 1 October 2026, Sunrise House",
    )
    downloaded = DownloadLog.objects.create(
        kind=AccessKind.EVIDENCE_DOWNLOAD,
        user=officer_owen,
        evidence=evidence,
        provider=sunrise,
        label="Fire policy (fire.pdf), Sunrise Care Ltd",
    )
    last_year = timezone.now() - timedelta(days=365)
    DownloadLog.objects.filter(pk=downloaded.pk).update(at=last_year)
    return {"viewed": viewed, "downloaded": downloaded, "evidence": evidence}


def test_the_administrator_filters_the_log_by_person_kind_and_dates(
    client_for, admin_alex, officer_olivia, officer_owen, log
):
    client = client_for(admin_alex)
    everything = client.get(LOG)
    assert everything.status_code == 200
    assert [r.record for r in everything.context["table"].page.object_list] == [
        log["viewed"],
        log["downloaded"],
    ]
    by_owen = client.get(LOG, {"user": officer_owen.pk})
    assert [r.record for r in by_owen.context["table"].page.object_list] == [log["downloaded"]]
    views = client.get(LOG, {"kind": "intelligence_view"})
    assert [r.record for r in views.context["table"].page.object_list] == [log["viewed"]]
    today = timezone.localdate().strftime("%d/%m/%Y")
    this_week = client.get(LOG, {"date_from": today, "date_to": today})
    assert [r.record for r in this_week.context["table"].page.object_list] == [log["viewed"]]
    bad = client.get(LOG, {"date_from": "31/02/2026"})
    assert bad.status_code == 200 and b"Enter a valid date" in bad.content


def test_the_download_has_the_filtered_rows(client_for, admin_alex, officer_owen, log):
    response = client_for(admin_alex).get(LOG, {"kind": "evidence_download", "_export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["When", "Who", "What", "Record", "Provider", "IP address"]
    assert [row[1:5] for row in rows[1:]] == [
        [
            "Owen " + officer_owen.last_name,
            "Evidence file downloaded",
            "Fire policy (fire.pdf), Sunrise Care Ltd",
            "Sunrise Care Ltd",
        ]
    ]


def test_the_api_lists_the_log_for_the_administrator_only(api_for, admin_alex, officer_olivia, log):
    url = reverse("api:access-log-list")
    assert api_for(officer_olivia).get(url).status_code == 403
    response = api_for(admin_alex).get(url, {"user": officer_olivia.pk})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["kind"] == "intelligence_view" and row["user_name"].startswith("Olivia")


def test_the_log_outlives_the_record_it_names(client_for, admin_alex, log):
    delete_record(log["evidence"])
    row = DownloadLog.objects.get(pk=log["downloaded"].pk)
    assert row.evidence is None and row.label == "Fire policy (fire.pdf), Sunrise Care Ltd"
    page = client_for(admin_alex).get(LOG)
    assert b"Fire policy (fire.pdf), Sunrise Care Ltd (deleted)" in page.content


def test_the_page_shows_when_in_the_councils_time(client_for, admin_alex, log):
    summer_noon = datetime(2026, 7, 1, 11, 0, tzinfo=UTC)  # 12:00 in London (BST)
    DownloadLog.objects.filter(pk=log["viewed"].pk).update(at=summer_noon)
    page = client_for(admin_alex).get(LOG).content.decode()
    assert "1 Jul 2026 12:00" in page
    assert "1 Jul 2026 11:00" not in page
