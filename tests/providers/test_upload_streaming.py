"""An evidence upload is streamed, never read into memory whole (issue 12's target: a 50 MB
upload raises the web process's peak RSS by less than 10 MB; bench/bench_upload.py measures
it). These tests hold the properties that make it so, without timing:

- an upload over Django's in-memory limit arrives as a temporary file on disk;
- ``qaf.files.check_upload`` reads it in bounded chunks (never ``read()`` of everything);
- the virus scan streams it to clamd in bounded chunks;
- the stored file is the whole upload (size and sha256), written from the temporary file.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.urls import reverse

from providers import services
from providers.evidence import Evidence
from qaf import files
from qaf.virus import CHUNK as SCAN_CHUNK
from qaf.virus import ClamdScanner
from tests.providers.test_evidence import FakeClamd

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def large_pdf(size: int) -> bytes:
    head = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n3 0 obj\nstream\n"
    tail = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
    return head + b"0 0 m 1 1 l S\n" * ((size - len(head) - len(tail)) // 14) + tail


class Reads(io.BytesIO):
    """A file that records the size asked of every read."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size=-1):
        self.asked.append(size)
        return super().read(size)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = None
    settings.QAF_VIRUS_SCANNER = "none"
    return settings.MEDIA_ROOT


def test_a_large_upload_arrives_on_disk_and_is_stored_whole(client_for, provider_pat, monkeypatch):
    # Django's default: more than 2.5 MB goes to a temporary file as it arrives.
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2621440
    assert (
        "django.core.files.uploadhandler.TemporaryFileUploadHandler"
        in django_settings.FILE_UPLOAD_HANDLERS
    )
    data = large_pdf(4 * MB)
    seen = []
    real = services.check_upload

    def spy(upload, **kwargs):
        seen.append(type(upload))
        return real(upload, **kwargs)

    monkeypatch.setattr(services, "check_upload", spy)
    upload = io.BytesIO(data)
    upload.name = "large.pdf"
    response = client_for(provider_pat).post(
        reverse("providers:evidence_library"),
        {"title": "Large policy", "evidence_date": "1/11/2026", "file": upload},
    )
    assert response.status_code == 302
    assert seen == [TemporaryUploadedFile]
    evidence = Evidence.objects.get(title="Large policy")
    assert (evidence.size, evidence.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    with evidence.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == evidence.sha256


def test_check_upload_reads_in_bounded_chunks():
    upload = Reads(large_pdf(3 * MB))
    checked = files.check_upload(upload, name="large.pdf")
    assert checked.kind == "pdf"
    assert upload.asked and all(0 < size <= files.CHUNK for size in upload.asked)


def test_the_virus_scan_streams_in_bounded_chunks():
    server = FakeClamd(stream_max=8 * MB)
    try:
        data = large_pdf(3 * MB)
        stream = Reads(data)
        result = ClamdScanner(server.address, timeout=5).scan(stream)
    finally:
        server.close()
    assert not result.infected
    assert server.received == [data]
    assert stream.asked and all(0 < size <= SCAN_CHUNK for size in stream.asked)
