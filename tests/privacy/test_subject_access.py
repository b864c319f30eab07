"""Subject-access exports: every record naming a person, as a ZIP, logged (privacy)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from providers.invitations import Invitation
from providers.models import Service
from qaf.models import Notification
from qaf.privacy.models import SubjectAccessExport
from tests.factories import EvidenceFactory, IntelligenceFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("privacy:subject_access")
SECRET = "f" * 64


@pytest.fixture
def sam(sunrise, sunrise_house, officer_olivia):
    """Sam Jones manages Sunrise House: a provider user, named in an officer's entry."""
    sam = UserFactory(
        username="sam",
        first_name="Sam",
        last_name="Jones",
        email="sam.jones@sunrise.example",
        roles=[],
        provider=sunrise,
    )
    IntelligenceFactory(
        service=sunrise_house, author=officer_olivia, summary="Sam Jones reported two falls."
    )
    IntelligenceFactory(service=sunrise_house, author=officer_olivia, summary="Nobody named.")
    EvidenceFactory(provider=sunrise, uploaded_by=sam, title="Rota")
    Notification.objects.create(
        user=sam,
        kind="request_sent",
        content_type=ContentType.objects.get_for_model(Service),
        object_id=sunrise_house.pk,
        due_date=timezone.localdate(),
        message="An information request is waiting",
    )
    AccessAttempt.objects.create(
        username="sam", ip_address="203.0.113.9", failures_since_start=2, user_agent="Firefox"
    )
    now = timezone.now()
    Invitation.objects.create(
        provider=sunrise,
        email="sam.jones@sunrise.example",
        first_name="Sam",
        last_name="Jones",
        token_hash=SECRET,
        invited_by=officer_olivia,
        created_at=now,
        sent_at=now,
        sent_by=officer_olivia,
        expires_at=now + timedelta(days=7),
        accepted_at=now,
        user=sam,
    )
    return sam


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def test_the_administrator_gets_every_record_naming_the_person_and_the_export_is_logged(
    client_for, admin_alex, sam
):
    response = client_for(admin_alex).post(
        URL, {"name": "  sam   JONES ", "email": "Sam.Jones@sunrise.example", "reference": "SAR-7"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="subject-access-sam')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {
        "README.txt",
        "qaf/user.csv",
        "qaf/historicaluser.csv",
        "qaf/notification.csv",
        "providers/intelligence.csv",
        "providers/evidence.csv",
        "providers/invitation.csv",
        "axes/accessattempt.csv",
    } <= names
    (account,) = _csv(archive, "qaf/user.csv")
    assert account["username"] == "sam" and "password" not in account
    entries = _csv(archive, "providers/intelligence.csv")
    assert [e["summary"] for e in entries] == ["Sam Jones reported two falls."]
    assert [e["title"] for e in _csv(archive, "providers/evidence.csv")] == ["Rota"]
    assert all(SECRET.encode() not in archive.read(name) for name in names)
    readme = archive.read("README.txt").decode()
    assert "Person searched for: sam JONES <Sam.Jones@sunrise.example>" in readme
    assert "providers/intelligence.csv: Intelligence entries, 1 row(s)" in readme

    log = SubjectAccessExport.objects.get()
    assert (log.requested_by, log.subject_name, log.reference) == (admin_alex, "sam JONES", "SAR-7")
    assert log.counts["providers/intelligence.csv"] == 1
    page = client_for(admin_alex).get(URL)
    assert b"sam JONES (Sam.Jones@sunrise.example)" in page.content


def test_a_name_too_short_to_mean_one_person_is_refused_and_nothing_is_logged(
    client_for, admin_alex, officer_olivia
):
    response = client_for(admin_alex).post(URL, {"name": "Al"})
    assert response.status_code == 200
    assert b"at least 3 characters" in response.content
    assert client_for(officer_olivia).post(URL, {"name": "Sam Jones"}).status_code == 403
    assert not SubjectAccessExport.objects.exists()


def test_an_email_address_too_long_to_log_is_refused_and_nothing_is_logged(client_for, admin_alex):
    # 260 characters: a valid address (local part 64, domain labels 63), longer than 254.
    address = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 63]) + ".com"
    response = client_for(admin_alex).post(URL, {"name": "Sam Jones", "email": address})
    assert response.status_code == 200
    assert b"at most 254 characters" in response.content
    assert not SubjectAccessExport.objects.exists()
