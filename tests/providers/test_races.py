"""Edits through the API without a ``version`` (allowed: API clients may omit it) are applied
one after another: eight PATCHes of one service at once, each changing its own field, all land,
and the version counts every one of them.

Olivia (officer) and Owen (officer) edit Sunrise House's record through the API at once.
Maya (manager) uploads a CQC file whose import job two workers are handed at once.
"""

from __future__ import annotations

import threading

import pytest
from django.core.files.base import ContentFile
from django.db import connections
from rest_framework.authtoken.models import Token

from providers.models import ImportJob, ImportStatus, Service
from providers.tasks import process_import
from tests.providers.test_imports import three_locations
from tests.support import send_in_parallel

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Each PATCH changes one field of its own: a PATCH that wrote the whole row from a stale read
# would undo another's change.
CHANGES = [
    {"address": "1 New Road"},
    {"capacity": 41},
    {"council_funded_people": 12},
    {"host_authority": "Northshire"},
    {"name": "Sunrise House (renamed)"},
    {"registered_manager": False},
    {"client_group": "adults"},
    {"postcode": "AB1 2CD"},
]


def test_parallel_unversioned_patches_each_land_and_count(
    live_server, sunrise_house, officer_olivia, officer_owen
):
    before = sunrise_house.version
    tokens = [Token.objects.create(user=u).key for u in (officer_olivia, officer_owen)]
    url = f"{live_server.url}/api/v1/services/{sunrise_house.pk}/"
    statuses = send_in_parallel("PATCH", url, tokens, CHANGES)
    assert statuses == [200] * len(CHANGES)
    service = Service.objects.get(pk=sunrise_house.pk)
    for change in CHANGES:
        for field, value in change.items():
            assert getattr(service, field) == value, field
    assert service.version == before + len(CHANGES)


def test_two_new_versions_of_one_file_at_once_one_wins(
    live_server, sunrise, provider_pat, settings, tmp_path
):
    """Pat and his colleague both replace the infection control policy at the same moment:
    one new version is made, the other is told (409), and the chain stays one line."""
    import threading

    import requests

    from providers.evidence import Evidence
    from tests.factories import EvidenceFactory
    from tests.providers.test_evidence import pdf

    settings.MEDIA_ROOT = tmp_path
    settings.QAF_VIRUS_SCANNER = "none"
    policy = EvidenceFactory(provider=sunrise, uploaded_by=provider_pat)
    token = Token.objects.create(user=provider_pat).key
    url = f"{live_server.url}/api/v1/evidence/{policy.pk}/new-version/"
    barrier = threading.Barrier(4)
    statuses = [0] * 4

    def send(n: int) -> None:
        barrier.wait(timeout=30)
        statuses[n] = requests.post(
            url,
            data={"title": f"v2 by {n}", "evidence_date": "2026-03-01"},
            files={"file": ("policy.pdf", pdf(), "application/pdf")},
            headers={"Authorization": f"Token {token}"},
            timeout=60,
        ).status_code

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [201, 409, 409, 409]
    assert Evidence.objects.filter(previous_version=policy).count() == 1


# --- An import job delivered twice ----------------------------------------------------------


def test_an_import_job_delivered_to_two_workers_at_once_runs_once(manager_maya, settings, tmp_path):
    """Celery delivers at least once: the same job can reach two workers together. One imports
    the file; the other is told the job is running and leaves it, so the summary the manager
    reads is the import's (3 created), not a second pass's (3 unchanged)."""
    settings.MEDIA_ROOT = tmp_path
    job = ImportJob.objects.create(
        kind="cqc",
        file_format="csv",
        created_by=manager_maya,
        file=ContentFile(three_locations().getvalue(), name="directory.csv"),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            outcomes.append(process_import(job.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # The loser either found the job running (and said so) or, arriving after, found it done.
    assert ImportStatus.DONE in outcomes and len(outcomes) == 2
    assert set(outcomes) <= {ImportStatus.DONE, ImportStatus.RUNNING}
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.counts["created"] == 3 and job.counts.get("unchanged", 0) == 0
    assert Service.objects.count() == 3
    assert Service.history.filter(history_type="+").count() == 3
