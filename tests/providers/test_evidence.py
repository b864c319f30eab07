"""The evidence library (SPEC §6, §9, §10): what is accepted, who uploads, who downloads.

Pat (Sunrise Care) uploads Sunrise's evidence; Quinn (Oak Lodge) must never see it. Olivia, a
quality officer, uploads for a provider; Pia (partner) reads but never uploads; Alex, the
administrator, is the only one who can fetch a file that is not (yet) clean.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import socket
import struct
import threading
import zipfile
import zlib
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from providers import services
from providers.models import DownloadLog, Evidence, ScanStatus
from providers.tasks import scan_evidence
from qaf.files import (
    REFUSED_LEGACY_OFFICE,
    REFUSED_MACROS,
    REFUSED_NESTED,
    REFUSED_TYPE,
    REFUSED_UNSAFE,
    UploadRefused,
    check_upload,
    download_name,
)
from qaf.virus import ClamdScanner, ScanError, ScannerUnavailable

# Built in two halves so this file is not itself flagged by a virus scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

# --- files as their makers write them -------------------------------------------------------


def pdf(*, trailer: bytes = b"<< /Root 1 0 R /Size 3 >>") -> bytes:
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n" + trailer + b"\nstartxref\n0\n%%EOF\n"
    )


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack("!I", len(data)) + body + struct.pack("!I", zlib.crc32(body))

    header = struct.pack("!IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"This program cannot be run"


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def content_types(main: str = WORD_MAIN, part: str = "/word/document.xml", extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="{part}" ContentType="{main}"/>{extra}</Types>'
    )


def docx(extra: dict[str, bytes] | None = None, *, types: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types or content_types())
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(
            "word/document.xml", "<w:document><w:body><w:p>Fire risk</w:p></w:body></w:document>"
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Staff", "Trained"])
    workbook.active.append(["Amy", "2026-01-12"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods(*, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )  # a ZipInfo is stored uncompressed, as ODF requires
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
        archive.writestr("content.xml", "<office:document-content/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(content: bytes, name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.QAF_VIRUS_SCANNER = "none"
    return tmp_path


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


# --- the content checks (qaf.files) ---------------------------------------------------------


class TestContentChecks:
    def test_a_pdf_is_accepted_with_its_sha256_and_size(self):
        content = pdf()
        checked = check_upload(upload(content))
        assert (checked.kind, checked.content_type, checked.extension) == (
            "pdf",
            "application/pdf",
            ".pdf",
        )
        assert checked.size == len(content)
        assert checked.sha256 == hashlib.sha256(content).hexdigest()

    def test_a_pdf_that_is_really_an_exe_is_refused(self):
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(exe(), "minutes.pdf"))
        assert refused.value.reason == REFUSED_TYPE

    def test_a_png_called_pdf_is_a_png(self):
        checked = check_upload(upload(png(), "report.pdf"))
        assert (checked.kind, checked.extension, checked.content_type) == (
            "png",
            ".png",
            "image/png",
        )

    def test_jpeg_gif_and_tiff_by_signature(self):
        assert check_upload(upload(b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 20)).kind == "jpeg"
        assert check_upload(upload(b"GIF89a\x01\x00\x01\x00" + b"\x00" * 10)).kind == "gif"
        assert check_upload(upload(b"II*\x00\x08\x00\x00\x00" + b"\x00" * 10)).kind == "tiff"

    def test_an_encrypted_pdf_is_refused(self):
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(pdf(trailer=b"<< /Root 1 0 R /Encrypt 5 0 R /Size 6 >>")))
        assert refused.value.code == "encrypted"
        assert "password" in refused.value.reason

    def test_a_truncated_pdf_is_refused(self):
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(pdf()[:-20]))
        assert refused.value.code == "damaged"

    def test_a_word_document(self):
        checked = check_upload(upload(docx(), "policy.docx"))
        assert checked.kind == "docx" and checked.extension == ".docx"

    def test_a_word_document_with_macros_is_refused(self):
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macros"})))
        assert refused.value.reason == REFUSED_MACROS

    def test_a_macro_enabled_content_type_is_refused_even_without_the_part(self):
        types = content_types(main="application/vnd.ms-word.document.macroEnabled.main+xml")
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(docx(types=types), "policy.docm"))
        assert refused.value.reason == REFUSED_MACROS

    def test_a_zip_without_the_main_part_is_not_a_word_document(self):
        types = content_types(part="/word/missing.xml")
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(docx(types=types)))
        assert refused.value.reason == REFUSED_TYPE

    def test_a_real_excel_workbook_and_an_opendocument_spreadsheet(self):
        assert check_upload(upload(xlsx(), "training.xlsx")).kind == "xlsx"
        assert check_upload(upload(ods(), "training.ods")).kind == "ods"

    def test_opendocument_with_basic_macros_is_refused(self):
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(ods(extra={"Basic/Standard/Module1.xml": b"<script/>"})))
        assert refused.value.reason == REFUSED_MACROS

    def test_a_plain_zip_is_refused(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("setup.exe", exe())
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(buffer.getvalue(), "documents.zip"))
        assert refused.value.reason == REFUSED_TYPE

    def test_a_zip_bomb_is_refused_by_its_expansion_ratio(self):
        bomb = docx({"word/media/image1.png": b"\x00" * (20 * 1024 * 1024)})
        assert len(bomb) < 100 * 1024  # 20 MB of zeros packs into a few KB
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(bomb, "policy.docx"))
        assert refused.value.code == "expansion"
        assert "expands more than 100 times" in refused.value.reason

    def test_a_file_expanding_past_ten_times_the_limit_is_refused(self, settings):
        settings.QAF_UPLOAD_MAX_BYTES = 200 * 1024
        # Five parts of 900 KB, each under the ratio check's 1 MB floor: 4.5 MB > 2 MB.
        parts = {f"word/media/part{i}.bin": b"\x00" * (900 * 1024) for i in range(5)}
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(docx(parts), "policy.docx"))
        assert refused.value.reason == "The file expands to more than 2 MB when unpacked"

    def test_a_nested_archive_is_refused(self):
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as archive:
            archive.writestr("payload.exe", exe())
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(docx({"word/media/inner.bin": inner.getvalue()})))
        assert refused.value.reason == REFUSED_NESTED

    def test_a_chart_workbook_embedded_in_a_document_is_accepted_and_checked(self):
        chart = docx({"word/embeddings/Microsoft_Excel_Worksheet.xlsx": xlsx()})
        assert check_upload(upload(chart, "report.docx")).kind == "docx"

        macro_workbook = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(xlsx())) as source,
            zipfile.ZipFile(macro_workbook, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            for info in source.infolist():
                target.writestr(info.filename, source.read(info))
            target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macros")
        hidden = docx({"word/embeddings/Microsoft_Excel_Worksheet.xlsx": macro_workbook.getvalue()})
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(hidden, "report.docx"))
        assert refused.value.reason == REFUSED_MACROS

    @pytest.mark.parametrize("name", ["../../etc/cron.d/evil", "/etc/passwd", "word\\..\\x.xml"])
    def test_unsafe_names_inside_an_archive_are_refused(self, name):
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(docx({name: b"x"})))
        assert refused.value.reason == REFUSED_UNSAFE

    def test_an_encrypted_zip_part_is_refused(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", content_types())
            archive.writestr("word/document.xml", "<w:document/>")
            archive.writestr("word/secret.xml", b"not really encrypted")
        # zipfile cannot write encrypted parts: set the "encrypted" flag in the central directory.
        data = bytearray(buffer.getvalue())
        entry = data.rfind(b"word/secret.xml") - 46  # its central directory header
        assert data[entry : entry + 4] == b"PK\x01\x02"
        data[entry + 8] |= 0x1
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(bytes(data)))
        assert refused.value.code == "encrypted"

    def test_legacy_office_files_are_refused_with_what_to_do(self):
        cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(cfb, "policy.doc"))
        assert refused.value.reason == REFUSED_LEGACY_OFFICE

    def test_text_in_utf8_or_windows_1252_is_csv_or_txt_by_its_name(self):
        assert check_upload(upload("Name,Fee\nCafé,£5\n".encode(), "fees.csv")).kind == "csv"
        assert check_upload(upload("Café note £5\r\n".encode("cp1252"), "note.log")).kind == "txt"
        # A text file called .exe is still text, stored and served as .txt.
        checked = check_upload(upload(b"just words\n", "notes.exe"))
        assert (checked.kind, checked.extension) == ("txt", ".txt")

    @pytest.mark.parametrize(
        "content",
        [
            b"name,value\nA,1\x00\n",
            b"name\x01value\n",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            b"\xef\xbb\xbf  <svg onload=alert(1)>",
            b"{\\rtf1\\ansi evil}",
            "a,b\n".encode("utf-16"),
        ],
        ids=["nul", "control", "html", "svg", "rtf", "utf16"],
    )
    def test_text_that_is_not_plain_text_is_refused(self, content):
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(content, "data.csv"))
        assert refused.value.reason == REFUSED_TYPE

    def test_too_large_is_refused_before_reading(self, settings):
        settings.QAF_UPLOAD_MAX_BYTES = 1000
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload(b"x" * 1001, "notes.txt"))
        assert refused.value.reason == "The file is larger than 1000 bytes"

        settings.QAF_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
        big = io.BytesIO(b"x" * 100)  # no .size: counted while streaming
        with pytest.raises(UploadRefused) as refused:
            check_upload(big, max_bytes=50)
        assert refused.value.code == "size"

    def test_the_default_limit_is_50_mb(self, settings):
        assert settings.QAF_UPLOAD_MAX_BYTES == 50 * 1024 * 1024
        big = upload(b"x")
        big.size = 50 * 1024 * 1024 + 1
        with pytest.raises(UploadRefused) as refused:
            check_upload(big)
        assert refused.value.reason == "The file is larger than 50 MB"

    def test_an_empty_file_is_refused(self):
        with pytest.raises(UploadRefused) as refused:
            check_upload(io.BytesIO(b""))
        assert refused.value.code == "empty"

    def test_download_names_keep_the_stem_and_take_the_detected_extension(self):
        assert download_name("Fire risk (2026).pdf", ".pdf") == "Fire risk (2026).pdf"
        assert download_name("report.pdf", ".png") == "report.png"
        assert download_name('..\\..\\evil"; name=x.html', ".txt") == "evil_ name_x.txt"
        assert download_name("", ".pdf") == "unnamed.pdf"


# --- the ClamAV client against a clamd-speaking server ---------------------------------------


class FakeClamd:
    """A tiny clamd on 127.0.0.1: answers PING and INSTREAM as ClamAV does, finding EICAR."""

    def __init__(self, *, stream_max: int = 10 * 1024 * 1024, unix_path: Path | None = None):
        self.stream_max = stream_max
        self.received: list[bytes] = []
        if unix_path is not None:  # as clamd's LocalSocket
            self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.server.bind(str(unix_path))
            self.address = str(unix_path)
        else:  # as clamd's TCPSocket
            self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.server.bind(("127.0.0.1", 0))
            self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.server.listen(5)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):  # the client gave up: next one
                self._handle(conn)

    @staticmethod
    def _exactly(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = conn.recv(size - len(data))
            if not part:
                raise OSError("client went away")
            data += part
        return data

    def _handle(self, conn: socket.socket) -> None:
        command = b""
        while not command.endswith(b"\0"):
            command += self._exactly(conn, 1)
        if command == b"zPING\0":
            conn.sendall(b"PONG\0")
            return
        if command != b"zINSTREAM\0":
            conn.sendall(b"UNKNOWN COMMAND\0")
            return
        data = b""
        while True:
            (size,) = struct.unpack("!L", self._exactly(conn, 4))
            if size == 0:
                break
            if len(data) + size > self.stream_max:
                conn.sendall(b"INSTREAM size limit exceeded. ERROR\0")
                return
            data += self._exactly(conn, size)
        self.received.append(data)
        if EICAR in data:
            conn.sendall(b"stream: Eicar-Signature FOUND\0")
        else:
            conn.sendall(b"stream: OK\0")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd(settings):
    server = FakeClamd()
    settings.QAF_VIRUS_SCANNER = "clamd"
    settings.QAF_CLAMD_SOCKET = server.address
    settings.QAF_CLAMD_TIMEOUT = 5
    yield server
    server.close()


def _closed_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"127.0.0.1:{port}"


class TestClamdClient:
    def test_a_clean_stream_and_eicar_over_a_real_socket(self, clamd):
        scanner = ClamdScanner(clamd.address, timeout=5)
        assert scanner.ping()
        big = b"policy text " * 20_000  # several INSTREAM chunks
        assert not scanner.scan(io.BytesIO(big)).infected
        assert clamd.received[-1] == big
        result = scanner.scan(io.BytesIO(b"prefix " + EICAR))
        assert result.infected and result.signature == "Eicar-Signature"

    def test_clamd_on_a_unix_socket(self, tmp_path):
        server = FakeClamd(unix_path=tmp_path / "clamd.ctl")
        try:
            scanner = ClamdScanner(server.address, timeout=5)
            assert scanner.address.startswith("/") and scanner.ping()
            assert scanner.scan(io.BytesIO(EICAR)).infected
        finally:
            server.close()

    def test_an_unreachable_clamd_is_unavailable(self):
        scanner = ClamdScanner(_closed_port(), timeout=2)
        assert not scanner.ping()
        with pytest.raises(ScannerUnavailable):
            scanner.scan(io.BytesIO(b"hello"))
        with pytest.raises(ScannerUnavailable):
            ClamdScanner("/nonexistent/clamd.ctl").scan(io.BytesIO(b"hello"))

    def test_clamd_refusing_a_stream_over_its_limit_is_no_verdict(self):
        server = FakeClamd(stream_max=100)
        try:
            with pytest.raises(ScanError) as error:
                ClamdScanner(server.address, timeout=5).scan(io.BytesIO(b"x" * 200_000))
            assert "size limit exceeded" in str(error.value)
        finally:
            server.close()


# --- adding evidence: pages, API, scan ------------------------------------------------------


def _add(provider, actor, content=None, name="fire-risk.pdf", title="Fire risk assessment"):
    return services.add_evidence(
        provider=provider,
        title=title,
        evidence_date=date(2026, 3, 1),
        upload=upload(content or pdf(), name),
        actor=actor,
    )


@pytest.fixture
def clean_evidence(sunrise, provider_pat):
    evidence = _add(sunrise, provider_pat)
    services.scan_evidence(evidence.pk)
    evidence.refresh_from_db()
    return evidence


class TestProviderUploadsOverTheApi:
    def test_pat_uploads_sunrise_evidence_pending_then_clean(
        self, api_for, provider_pat, sunrise, media, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as queued:
            response = api_for(provider_pat).post(
                reverse("api:evidence-list"),
                {
                    "file": upload(pdf(), "fire-risk.pdf"),
                    "title": "Fire",
                    "evidence_date": "2026-03-01",
                },
                format="multipart",
            )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["scan_status"] == "pending"
        assert body["provider"] == sunrise.pk
        assert body["content_type"] == "application/pdf" and body["extension"] == ".pdf"
        assert body["original_name"] == "fire-risk.pdf" and "file" not in body
        assert len(queued) == 1  # the scan, queued once the upload is committed

        evidence = Evidence.objects.get(pk=body["id"])
        assert evidence.uploaded_by == provider_pat
        assert scan_evidence.apply(args=[evidence.pk]).get() == ScanStatus.CLEAN
        evidence.refresh_from_db()
        assert evidence.scan_status == ScanStatus.CLEAN and evidence.scanned_at is not None
        detail = api_for(provider_pat).get(reverse("api:evidence-detail", args=[evidence.pk]))
        assert detail.json()["scan_status"] == "clean"

    def test_eicar_is_quarantined_by_clamd(self, api_for, provider_pat, clamd):
        response = api_for(provider_pat).post(
            reverse("api:evidence-list"),
            {"file": upload(EICAR, "eicar.txt"), "title": "Test", "evidence_date": "2026-03-01"},
            format="multipart",
        )
        assert response.status_code == 201 and response.json()["scan_status"] == "pending"
        evidence = Evidence.objects.get(pk=response.json()["id"])

        assert services.scan_evidence(evidence.pk) == ScanStatus.QUARANTINED
        evidence.refresh_from_db()
        assert evidence.scan_status == ScanStatus.QUARANTINED and evidence.scanned_at
        assert clamd.received == [EICAR]
        latest = evidence.history.order_by("-history_id").first()
        assert latest.history_change_reason == "Virus scan (clamd): found Eicar-Signature"

    def test_a_clean_file_is_clean_by_clamd_and_a_second_scan_changes_nothing(
        self, sunrise, provider_pat, clamd
    ):
        evidence = _add(sunrise, provider_pat)
        assert services.scan_evidence(evidence.pk) == ScanStatus.CLEAN
        assert services.scan_evidence(evidence.pk) == ScanStatus.CLEAN
        assert len(clamd.received) == 1

    def test_clamd_down_keeps_the_file_waiting_and_the_sweep_scans_it_later(
        self, sunrise, provider_pat, settings
    ):
        evidence = _add(sunrise, provider_pat)
        settings.QAF_VIRUS_SCANNER = "clamd"
        settings.QAF_CLAMD_SOCKET = _closed_port()
        with pytest.raises(ScannerUnavailable):
            services.scan_evidence(evidence.pk)
        evidence.refresh_from_db()
        assert evidence.scan_status == ScanStatus.PENDING
        assert services.scan_waiting_evidence(now=timezone.now() + timedelta(hours=1)) == 0

        server = FakeClamd()
        try:
            settings.QAF_CLAMD_SOCKET = server.address
            # Too recent for the sweep (its own task may still be retrying) ...
            assert services.scan_waiting_evidence() == 0
            # ... and picked up once it has waited a while.
            assert services.scan_waiting_evidence(now=timezone.now() + timedelta(hours=1)) == 1
        finally:
            server.close()
        evidence.refresh_from_db()
        assert evidence.scan_status == ScanStatus.CLEAN

    def test_a_provider_user_cannot_upload_for_another_provider(
        self, api_for, provider_pat, oak_lodge
    ):
        response = api_for(provider_pat).post(
            reverse("api:evidence-list"),
            {
                "file": upload(pdf()),
                "title": "Fire",
                "evidence_date": "2026-03-01",
                "provider": oak_lodge.pk,
            },
            format="multipart",
        )
        assert response.status_code == 400
        assert "provider" in response.json()
        assert not Evidence.objects.exists()

    def test_staff_upload_for_a_named_provider(self, api_for, officer_olivia, oak_lodge):
        api = api_for(officer_olivia)
        data = {"file": upload(pdf()), "title": "Visit photos", "evidence_date": "2026-03-01"}
        missing = api.post(reverse("api:evidence-list"), data, format="multipart")
        assert missing.status_code == 400 and "provider" in missing.json()

        data = {**data, "file": upload(png(), "photo.png"), "provider": oak_lodge.pk}
        response = api.post(reverse("api:evidence-list"), data, format="multipart")
        assert response.status_code == 201, response.content
        assert response.json()["provider"] == oak_lodge.pk
        assert response.json()["content_type"] == "image/png"

    @pytest.mark.parametrize("user", ["partner_pia", "board_bea", "admin_alex"])
    def test_partners_the_board_and_the_administrator_cannot_upload(
        self, request, api_for, user, sunrise, media
    ):
        response = api_for(request.getfixturevalue(user)).post(
            reverse("api:evidence-list"),
            {
                "file": upload(pdf()),
                "title": "Fire",
                "evidence_date": "2026-03-01",
                "provider": sunrise.pk,
            },
            format="multipart",
        )
        assert response.status_code == 403
        assert not Evidence.objects.exists() and not stored_files(media)

    @pytest.mark.parametrize(
        ("content", "name", "reason"),
        [
            (exe(), "minutes.pdf", REFUSED_TYPE),
            (docx({"word/vbaProject.bin": b"x"}), "policy.docx", REFUSED_MACROS),
            (docx({"word/media/a.bin": b"\x00" * (20 * 1024 * 1024)}), "policy.docx", None),
        ],
        ids=["exe", "macros", "bomb"],
    )
    def test_a_refused_file_is_a_400_with_the_reason_and_saves_nothing(
        self, api_for, provider_pat, media, content, name, reason
    ):
        response = api_for(provider_pat).post(
            reverse("api:evidence-list"),
            {"file": upload(content, name), "title": "Fire", "evidence_date": "2026-03-01"},
            format="multipart",
        )
        assert response.status_code == 400
        message = response.json()["file"][0]
        assert message == reason if reason else "expands" in message
        assert not Evidence.objects.exists() and not stored_files(media)

    def test_too_large_is_a_400(self, api_for, provider_pat, settings, media):
        settings.QAF_UPLOAD_MAX_BYTES = 100
        response = api_for(provider_pat).post(
            reverse("api:evidence-list"),
            {"file": upload(pdf(), "big.pdf"), "title": "Fire", "evidence_date": "2026-03-01"},
            format="multipart",
        )
        assert response.status_code == 400
        assert response.json()["file"] == ["The file is larger than 100 bytes"]
        assert not stored_files(media)

    def test_nothing_is_left_when_the_row_cannot_be_saved(
        self, sunrise, provider_pat, media, monkeypatch
    ):
        def fail(*args, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(Evidence, "save", fail)
        with pytest.raises(RuntimeError):
            _add(sunrise, provider_pat)
        assert not stored_files(media)
        monkeypatch.undo()
        assert not Evidence.objects.exists()

    def test_the_stored_name_is_random_and_not_the_original(self, sunrise, provider_pat, media):
        first = _add(sunrise, provider_pat, name="Safeguarding log - J Smith.pdf")
        second = _add(sunrise, provider_pat, name="Safeguarding log - J Smith.pdf")
        for evidence in (first, second):
            stored = Path(evidence.file.name)
            assert stored.parent == Path("evidence") / str(sunrise.pk)
            assert stored.suffix == ".pdf" and len(stored.stem) == 32
            assert "Smith" not in evidence.file.name
            assert (media / evidence.file.name).read_bytes() == pdf()
        assert first.file.name != second.file.name
        assert first.original_name == "Safeguarding log - J Smith.pdf"

    def test_lists_are_scoped_and_filter(
        self, api_for, provider_pat, provider_quinn, officer_olivia, sunrise, oak_lodge
    ):
        ours = _add(sunrise, provider_pat)
        services.scan_evidence(ours.pk)
        theirs = _add(oak_lodge, provider_quinn)

        def ids(user, query=""):
            response = api_for(user).get(reverse("api:evidence-list") + query)
            assert response.status_code == 200
            return {row["id"] for row in response.json()["results"]}

        assert ids(provider_pat) == {ours.pk}
        assert ids(provider_quinn) == {theirs.pk}
        assert ids(officer_olivia) == {ours.pk, theirs.pk}
        assert ids(officer_olivia, f"?provider={oak_lodge.pk}") == {theirs.pk}
        assert ids(officer_olivia, "?scan_status=clean") == {ours.pk}
        assert ids(officer_olivia, "?date_from=2026-03-02") == set()
        detail = reverse("api:evidence-detail", args=[ours.pk])
        assert api_for(provider_quinn).get(detail).status_code == 404


class TestDownloads:
    def test_pat_downloads_an_attachment_and_it_is_logged(
        self, client_for, provider_pat, clean_evidence
    ):
        response = client_for(provider_pat).get(
            reverse("providers:evidence_download", args=[clean_evidence.pk]),
            REMOTE_ADDR="203.0.113.7",
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="fire-risk.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == pdf()
        log = DownloadLog.objects.get()
        assert (log.user, log.evidence, log.ip_address) == (
            provider_pat,
            clean_evidence,
            "203.0.113.7",
        )

    def test_the_api_download_is_the_same_attachment_and_logged(
        self, api_for, officer_olivia, clean_evidence
    ):
        url = reverse("api:evidence-download", args=[clean_evidence.pk])
        assert url == f"/api/v1/evidence/{clean_evidence.pk}/download/"
        response = api_for(officer_olivia).get(url, HTTP_ACCEPT="application/pdf")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == pdf()
        assert DownloadLog.objects.get().user == officer_olivia

    def test_a_renamed_png_downloads_as_png(self, client_for, sunrise, provider_pat):
        evidence = _add(sunrise, provider_pat, content=png(), name="report.pdf")
        services.scan_evidence(evidence.pk)
        response = client_for(provider_pat).get(evidence.get_download_url())
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'attachment; filename="report.png"'

    def test_another_providers_user_gets_404_and_no_log(
        self, client_for, api_for, provider_quinn, clean_evidence
    ):
        assert client_for(provider_quinn).get(clean_evidence.get_download_url()).status_code == 404
        api_url = reverse("api:evidence-download", args=[clean_evidence.pk])
        assert api_for(provider_quinn).get(api_url).status_code == 404
        assert not DownloadLog.objects.exists()

    @pytest.mark.parametrize("status", [ScanStatus.PENDING, ScanStatus.QUARANTINED])
    def test_only_the_administrator_downloads_a_file_that_is_not_clean(
        self, request, client_for, api_for, sunrise, provider_pat, status
    ):
        evidence = _add(sunrise, provider_pat)
        Evidence.objects.filter(pk=evidence.pk).update(scan_status=status)
        api_url = reverse("api:evidence-download", args=[evidence.pk])
        for name in ["provider_pat", "officer_olivia", "manager_maya", "partner_pia"]:
            user = request.getfixturevalue(name)
            assert client_for(user).get(evidence.get_download_url()).status_code == 404, name
            assert api_for(user).get(api_url).status_code == 404, name
        admin = request.getfixturevalue("admin_alex")
        assert client_for(admin).get(evidence.get_download_url()).status_code == 200
        assert api_for(admin).get(api_url).status_code == 200
        assert list(DownloadLog.objects.values_list("user__username", flat=True)) == [
            "alex",
            "alex",
        ]

    def test_anonymous_is_sent_to_sign_in(self, client, clean_evidence):
        response = client.get(clean_evidence.get_download_url())
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestLibraryPages:
    def test_pats_empty_library_says_what_to_do_and_the_nav_links_it(
        self, client_for, provider_pat
    ):
        response = client_for(provider_pat).get(reverse("providers:evidence_library"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Your organisation has not uploaded any evidence yet" in page
        assert 'enctype="multipart/form-data"' in page
        assert any(
            item["label"] == "Evidence library" and item["active"]
            for item in response.context["nav_items"]
        )

    def test_pat_uploads_from_the_page(self, client_for, provider_pat, sunrise, media):
        client = client_for(provider_pat)
        url = reverse("providers:evidence_library")
        response = client.post(
            url,
            {
                "title": "Training matrix",
                "evidence_date": "12/3/2026",
                "file": upload(xlsx(), "m.xlsx"),
            },
        )
        assert response.status_code == 302 and response["Location"] == url
        evidence = Evidence.objects.get()
        assert evidence.provider == sunrise and evidence.evidence_date == date(2026, 3, 12)
        assert evidence.extension == ".xlsx" and evidence.scan_status == ScanStatus.PENDING
        page = client.get(url).content.decode()
        assert "Training matrix" in page and "Waiting for scan" in page
        assert "Excel spreadsheet" in page
        assert evidence.get_download_url() not in page  # not downloadable until clean

    def test_a_refused_file_shows_the_reason_and_saves_nothing(
        self, client_for, provider_pat, media
    ):
        response = client_for(provider_pat).post(
            reverse("providers:evidence_library"),
            {"title": "Minutes", "evidence_date": "12/3/2026", "file": upload(exe(), "m.pdf")},
        )
        assert response.status_code == 200
        assert REFUSED_TYPE in response.content.decode()
        assert response.context["form"].errors["file"] == [REFUSED_TYPE]
        assert not Evidence.objects.exists() and not stored_files(media)

    def test_staff_see_a_providers_library_and_officers_upload_for_it(
        self, client_for, officer_olivia, sunrise, clean_evidence
    ):
        client = client_for(officer_olivia)
        url = reverse("providers:provider_evidence", args=[sunrise.pk])
        page = client.get(url).content.decode()
        assert "Fire risk assessment" in page and clean_evidence.get_download_url() in page
        response = client.post(
            url,
            {"title": "Visit photo", "evidence_date": "1/3/2026", "file": upload(png(), "p.png")},
        )
        assert response.status_code == 302
        assert Evidence.objects.filter(provider=sunrise, uploaded_by=officer_olivia).count() == 1
        provider_page = client.get(sunrise.get_absolute_url()).content.decode()
        assert url in provider_page

    def test_a_partner_reads_but_cannot_upload(self, client_for, partner_pia, sunrise, media):
        client = client_for(partner_pia)
        url = reverse("providers:provider_evidence", args=[sunrise.pk])
        response = client.get(url)
        assert response.status_code == 200 and response.context["form"] is None
        posted = client.post(
            url, {"title": "X", "evidence_date": "1/3/2026", "file": upload(pdf())}
        )
        assert posted.status_code == 403
        assert not Evidence.objects.exists() and not stored_files(media)

    def test_quinn_cannot_see_sunrises_library_or_its_files(
        self, client_for, provider_quinn, sunrise, clean_evidence
    ):
        client = client_for(provider_quinn)
        url = reverse("providers:provider_evidence", args=[sunrise.pk])
        assert client.get(url).status_code == 404
        own = client.get(reverse("providers:evidence_library")).content.decode()
        assert "Fire risk assessment" not in own

    def test_staff_see_every_providers_evidence_and_queries_do_not_grow(
        self,
        client_for,
        officer_olivia,
        sunrise,
        oak_lodge,
        provider_pat,
        provider_quinn,
        django_assert_max_num_queries,
    ):
        _add(sunrise, provider_pat, title="Sunrise policy")
        _add(oak_lodge, provider_quinn, title="Oak policy")
        client = client_for(officer_olivia)
        with django_assert_max_num_queries(8) as few:
            page = client.get(reverse("providers:evidence_library")).content.decode()
        assert "Sunrise policy" in page and "Oak policy" in page and "Oak Lodge Ltd" in page
        for i in range(10):
            _add(oak_lodge, provider_quinn, title=f"More {i}")
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(reverse("providers:evidence_library"))


def test_the_library_pages_newest_first(client_for, provider_pat, settings, monkeypatch):
    from providers import views
    from tests.factories import EvidenceFactory

    monkeypatch.setattr(views, "EVIDENCE_PAGE_SIZE", 2)
    for n in range(3):
        EvidenceFactory(provider=provider_pat.provider, uploaded_by=provider_pat, title=f"File {n}")
    client = client_for(provider_pat)
    first = client.get("/evidence/").content.decode()
    assert "File 2" in first and "File 1" in first and "File 0" not in first
    assert 'aria-label="Pages of evidence"' in first
    assert 'href="?page=2" rel="next"' in first
    second = client.get("/evidence/?page=2").content.decode()
    assert "File 0" in second and "File 2" not in second
    assert 'href="?page=1" rel="prev"' in second


# --- which files may be linked ----------------------------------------------------------------


@pytest.mark.django_db
def test_linkable_files_are_the_providers_own_clean_ones_and_the_forms_offer_those(
    sunrise, oak_lodge
):
    from providers.forms import AttachEvidenceForm
    from tests.factories import EvidenceFactory

    clean = EvidenceFactory(provider=sunrise, title="Clean")
    EvidenceFactory(provider=sunrise, title="Waiting", scan_status=ScanStatus.PENDING)
    EvidenceFactory(provider=sunrise, title="Infected", scan_status=ScanStatus.QUARANTINED)
    EvidenceFactory(provider=oak_lodge, title="Someone else's")
    assert list(Evidence.objects.linkable_for(sunrise.pk)) == [clean]
    offered = AttachEvidenceForm(provider_id=sunrise.pk).fields["evidence"].queryset
    assert list(offered) == [clean]


# --- the real ClamAV (tests/clamav.py) ------------------------------------------------------


@pytest.mark.django_db
def test_eicar_evidence_is_quarantined_by_the_real_clamd(sunrise, provider_pat, real_clamd):
    from tests.clamav import EICAR as EICAR_FILE

    evidence = _add(sunrise, provider_pat, EICAR_FILE, name="eicar.txt")
    assert evidence.scan_status == ScanStatus.PENDING
    assert services.scan_evidence(evidence.pk) == ScanStatus.QUARANTINED
    clean = _add(sunrise, provider_pat)
    assert services.scan_evidence(clean.pk) == ScanStatus.CLEAN


def test_scan_now_refuses_eicar_with_the_real_clamd(real_clamd):
    from tests.clamav import EICAR as EICAR_FILE

    with pytest.raises(UploadRefused, match="virus scan found Eicar-Test-Signature") as refused:
        check_upload(io.BytesIO(EICAR_FILE), name="eicar.txt", scan_now=True)
    assert refused.value.code == "virus"
    assert check_upload(io.BytesIO(pdf()), name="ok.pdf", scan_now=True).kind == "pdf"


@pytest.mark.django_db
def test_evidence_and_imports_pass_through_the_one_upload_check(monkeypatch, sunrise, provider_pat):
    import qaf.files
    from providers.imports import files as import_files

    seen = []
    real = qaf.files.check_upload

    def spy(upload, **kwargs):
        seen.append(kwargs.get("scan_now", False))
        return real(upload, **kwargs)

    monkeypatch.setattr(services, "check_upload", spy)
    monkeypatch.setattr(import_files, "check_upload", spy)
    _add(sunrise, provider_pat)
    import_files.check_file(io.BytesIO(b"a,b\n1,2\n"), name="table.csv")
    # Evidence waits in quarantine for the worker's scan; an import is scanned before use.
    assert seen == [False, True]
