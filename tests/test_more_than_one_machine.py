"""More than one machine (issue 13 item 11): every file goes through Django's storage API, so an
S3 bucket shared by several web and worker machines works as the local file system does.

The bucket is a real S3 server on a local port (moto's ThreadedMotoServer, started once for the
module) reached by django-storages' S3 backend over HTTP, as a web or worker machine reaches a
council's bucket. Pat uploads through the API, a real Celery worker (its own thread and database
connection, consuming from the real Redis broker) streams the file from the bucket to a real
clamd, renders a report with WeasyPrint into the bucket, and both come back through the download
views; nothing is written under MEDIA_ROOT.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from providers.models import Evidence, ScanStatus
from qaf.celery import app as celery_app
from qaf.models import Document
from qaf.pdf import RefusedURL, _fetcher_class
from qaf.rag import Rag
from reviews import services as reviews
from tests.clamav import EICAR
from tests.factories import small_toolkit
from tests.support import wait_until

REGION = "eu-west-2"
CREDENTIALS = {"aws_access_key_id": "qaf-test", "aws_secret_access_key": "qaf-test-secret"}
PDF = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R /Size 3 >>\nstartxref\n0\n%%EOF\n"
)


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 server on 127.0.0.1 (moto), once for the module: its start takes ~2 s."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per S3 request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(settings, s3_endpoint, tmp_path):
    """A new bucket, made QAF's default storage as ``QAF_STORAGE=s3`` makes it
    (qaf/settings.py); MEDIA_ROOT points at an empty folder that must stay empty."""
    name = f"qaf-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **CREDENTIALS)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    options = {
        **settings.STORAGES["default"].get("OPTIONS", {}),
        "bucket_name": name,
        "endpoint_url": s3_endpoint,
        "region_name": REGION,
        "access_key": CREDENTIALS["aws_access_key_id"],
        "secret_key": CREDENTIALS["aws_secret_access_key"],
        "default_acl": None,
        "file_overwrite": False,
        "max_memory_size": 8 * 1024 * 1024,
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    settings.MEDIA_ROOT = tmp_path / "media-never-used"

    def objects() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        return {
            item["Key"]: client.get_object(Bucket=name, Key=item["Key"])["Body"].read()
            for item in listed
        }

    return objects


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback):
    """A real Celery worker thread on the real Redis broker (as in tests/risk/test_jobs.py)."""
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ):
        yield


def _upload(api, content: bytes, name: str) -> Evidence:
    response = api.post(
        reverse("api:evidence-list"),
        {
            "file": SimpleUploadedFile(name, content),
            "title": name,
            "evidence_date": "2026-03-01",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return Evidence.objects.get(pk=response.json()["id"])


def test_upload_scan_render_and_download_through_an_s3_bucket(
    worker,
    bucket,
    real_clamd,
    api_for,
    client_for,
    sunrise_house,
    officer_olivia,
    provider_pat,
    settings,
    tmp_path,
):
    pat = api_for(provider_pat)
    clean = _upload(pat, PDF, "fire-risk.pdf")
    infected = _upload(pat, EICAR, "eicar.txt")
    assert bucket()[clean.file.name] == PDF  # stored in the bucket under its random name

    # The worker reads each file back from the bucket and streams it to clamd (INSTREAM).
    def scanned() -> bool:
        return not Evidence.objects.filter(scan_status=ScanStatus.PENDING).exists()

    wait_until(scanned, "the worker's virus scans")
    clean.refresh_from_db()
    infected.refresh_from_db()
    assert clean.scan_status == ScanStatus.CLEAN
    assert infected.scan_status == ScanStatus.QUARANTINED

    # A report the officer shares is rendered by the worker, through qaf/pdf.py, into the bucket.
    toolkit = small_toolkit({"Safe": {"S1 Safeguarding": ["Do staff report abuse?"]}})
    review = reviews.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)
    question = reviews.questions_of(review).get()
    reviews.save_answer(review, question, actor=officer_olivia, expected_version=0, score="3")
    reviews.record_visit(review, actor=officer_olivia)
    reviews.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    reviews.share_draft(review, actor=officer_olivia)
    document = Document.objects.get(source_id=review.pk)
    wait_until(
        lambda: Document.objects.filter(pk=document.pk, status=Document.Status.READY).exists(),
        "the worker's rendering of the draft report",
    )
    document.refresh_from_db()
    stored = bucket()[document.file.name]
    assert stored.startswith(b"%PDF-") and hashlib.sha256(stored).hexdigest() == document.sha256

    # Both come back through the permission-checked downloads, read from the bucket.
    browser = client_for(provider_pat)
    download = "providers:evidence_download"
    response = browser.get(reverse(download, args=[clean.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert browser.get(reverse(download, args=[infected.pk])).status_code == 404
    response = browser.get(document.get_absolute_url())
    assert response.status_code == 200 and b"".join(response.streaming_content) == stored

    assert not (tmp_path / "media-never-used").exists()  # nothing on this machine's disk

    # A file lost from the bucket is a 404 with a log line, not a 500.
    default_storage.delete(document.file.name)
    assert browser.get(document.get_absolute_url()).status_code == 404


def test_the_pdf_fetcher_reads_our_static_files_through_storage_and_nothing_else():
    fetcher = _fetcher_class()()
    css = fetcher.fetch("qaf-static:css/pdf.css")
    assert css.headers["Content-Type"] == "text/css" and b"@page" in css.read()
    for url in (
        "qaf-static:../qaf/settings.py",
        "qaf-static:/etc/passwd",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_a_session_is_good_on_any_web_machine(client_for, officer_olivia):
    """Signed in through one machine, the next request may reach another: the session is a row
    in the shared database, not in the first machine's memory (no sticky sessions needed)."""
    cookie = django_settings.SESSION_COOKIE_NAME
    key = client_for(officer_olivia).cookies[cookie].value
    assert Session.objects.filter(session_key=key).exists()
    for cache in caches.all():
        cache.clear()  # what a machine that never saw the sign-in has in memory
    other = Client()
    other.cookies[cookie] = key
    page = other.get(reverse("home"))
    assert page.status_code == 200 and page.wsgi_request.user == officer_olivia


_CHOOSE = """
import importlib, json, os, sys
results = []
for env in json.loads(sys.argv[1]):
    for name in ("QAF_STORAGE", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(env)
    try:
        import qaf.settings as s
        s = importlib.reload(s)
        results.append(s.STORAGES["default"])
    except Exception as exc:
        results.append(str(exc))
print(json.dumps(results))
"""


def test_qaf_storage_s3_chooses_the_bucket_and_refuses_without_one():
    """The setting chooses the backend: S3 with the bucket and endpoint from the environment,
    private and never overwriting; a missing bucket or an unknown value stops the start."""
    cases = [
        {
            "QAF_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "qaf-evidence",
            "AWS_S3_ENDPOINT_URL": "https://s3.council.example",
        },
        {"QAF_STORAGE": "s3"},
        {"QAF_STORAGE": "nfs"},
        {},
    ]
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-c", _CHOOSE, json.dumps(cases)],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "QAF_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    s3, no_bucket, unknown, default = json.loads(result.stdout)
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"]["bucket_name"] == "qaf-evidence"
    assert s3["OPTIONS"]["endpoint_url"] == "https://s3.council.example"
    assert s3["OPTIONS"]["default_acl"] is None and s3["OPTIONS"]["file_overwrite"] is False
    assert no_bucket == "QAF_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"
    assert unknown == "QAF_STORAGE must be local or s3, not 'nfs'"
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"
