"""Upload checks for every file QAF accepts (SPEC §10): an allow-list of types recognised by
their content, a size limit, archive-bomb and macro refusals, and the sha256 of what was read.

``check_upload(upload)`` reads the file (twice at most: once streaming for the size, hash and
the byte-level checks, once more through ``zipfile`` for the Office and OpenDocument formats)
and returns a ``CheckedFile`` with the detected type, or raises ``UploadRefused`` with a
sentence to show the uploader. The file's name and the browser's content type are never
trusted: a PNG called ``report.pdf`` is a PNG, stored and served as ``.png``.

Accepted (``ACCEPTED``):

- PDF (``%PDF-`` header, ``%%EOF`` near the end; refused when encrypted)
- Word, Excel and PowerPoint (.docx, .xlsx, .pptx): a ZIP whose ``[Content_Types].xml`` names
  the main part of that format, which must be present; refused with macros (``vbaProject.bin``,
  macro-enabled content types) or ActiveX controls. Charts embed a workbook as a nested OOXML
  package under ``embeddings/``: that one nesting is allowed, and checked the same way.
- OpenDocument text, spreadsheet and presentation (.odt, .ods, .odp): a ZIP whose first entry
  is the stored ``mimetype``; refused with Basic or script macros, or encrypted.
- PNG, JPEG, GIF and TIFF images, by their signatures.
- Text: CSV when the name ends in .csv, else plain text (.txt): valid UTF-8 (a byte-order mark
  allowed) or Windows-1252, with no NUL or other control bytes, and not HTML, XML, SVG, RTF or
  PostScript (which are text but not documents we can safely hand on).

Not accepted, on purpose: legacy Office (.doc, .xls, .ppt) and .msg emails (OLE containers
that carry macros and cannot be checked here; encrypted new Office files are OLE containers
too), archives (.zip, .7z, .rar), HTML and SVG, executables, HEIC and WebP images. Users are
told to save Word and Excel files as .docx/.xlsx or PDF, and emails as PDF.

Every ZIP-based file is unpacked (streaming, nothing written) to check it: refused when it
declares or expands to more than ``EXPANSION_FACTOR`` times the size limit, when one part
expands more than ``MAX_RATIO`` to 1, with more than ``MAX_ENTRIES`` parts, with encrypted
parts, unusual compression, duplicate or unsafe names (absolute, ``..``, backslashes) or a
nested archive (other than the OOXML embedding above).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import logging
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings

from qaf.virus import ScanError, Scanner, get_scanner

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
HEAD_BYTES = 8 * 1024
TAIL_BYTES = 4 * 1024
# ZIP containers (zip-bomb guards).
EXPANSION_FACTOR = 10  # unpacked total at most 10x the upload limit (500 MB by default)
MAX_RATIO = 100  # one part may expand at most 100:1 ...
RATIO_FLOOR = 1024 * 1024  # ... once it is over 1 MB (tiny parts compress wildly)
MAX_ENTRIES = 10_000
MAX_NESTING = 1  # an OOXML chart workbook inside a document; never deeper
XML_PART_LIMIT = 1024 * 1024  # [Content_Types].xml, manifest.xml, mimetype read at most this


@dataclass(frozen=True)
class FileKind:
    label: str  # shown in lists: "PDF", "Word document"
    content_type: str
    extension: str


OOXML = "application/vnd.openxmlformats-officedocument"
ODF = "application/vnd.oasis.opendocument"

ACCEPTED: dict[str, FileKind] = {
    "pdf": FileKind("PDF", "application/pdf", ".pdf"),
    "docx": FileKind("Word document", f"{OOXML}.wordprocessingml.document", ".docx"),
    "xlsx": FileKind("Excel spreadsheet", f"{OOXML}.spreadsheetml.sheet", ".xlsx"),
    "pptx": FileKind("PowerPoint presentation", f"{OOXML}.presentationml.presentation", ".pptx"),
    "odt": FileKind("OpenDocument text", f"{ODF}.text", ".odt"),
    "ods": FileKind("OpenDocument spreadsheet", f"{ODF}.spreadsheet", ".ods"),
    "odp": FileKind("OpenDocument presentation", f"{ODF}.presentation", ".odp"),
    "png": FileKind("PNG image", "image/png", ".png"),
    "jpeg": FileKind("JPEG image", "image/jpeg", ".jpg"),
    "gif": FileKind("GIF image", "image/gif", ".gif"),
    "tiff": FileKind("TIFF image", "image/tiff", ".tif"),
    "csv": FileKind("CSV", "text/csv", ".csv"),
    "txt": FileKind("Text", "text/plain", ".txt"),
}
_BY_EXTENSION = {kind.extension: kind for kind in ACCEPTED.values()}

# The main part's content type in [Content_Types].xml -> our kind.
_OOXML_MAIN = {
    f"{OOXML}.wordprocessingml.document.main+xml": "docx",
    f"{OOXML}.spreadsheetml.sheet.main+xml": "xlsx",
    f"{OOXML}.presentationml.presentation.main+xml": "pptx",
}
_OOXML_KINDS = frozenset(_OOXML_MAIN.values())
_ODF_MIMETYPES = {f"{ODF}.text": "odt", f"{ODF}.spreadsheet": "ods", f"{ODF}.presentation": "odp"}

REFUSED_TYPE = (
    "The file is not a type we accept: upload a PDF, Word, Excel, PowerPoint, OpenDocument, "
    "image (PNG, JPEG, GIF or TIFF) or text (CSV or TXT) file"
)
REFUSED_LEGACY_OFFICE = (
    "Older Office files (.doc, .xls, .ppt), Outlook messages and password-protected Office "
    "files are not accepted: save it as .docx, .xlsx or PDF, without a password"
)
REFUSED_MACROS = (
    "Files with macros are not accepted: save it without macros (as .docx, .xlsx or .pptx) "
    "and upload it again"
)
REFUSED_ACTIVEX = "Files with ActiveX controls are not accepted: save it as PDF and upload that"
REFUSED_ENCRYPTED = (
    "The file is protected by a password: remove the password (or save a copy as PDF) and "
    "upload it again"
)
REFUSED_DAMAGED = "The file is damaged or incomplete: save it again and upload the new copy"
REFUSED_UNSAFE = "The file contains parts with unsafe names and cannot be accepted"
REFUSED_NESTED = "The file contains another archive inside it and cannot be accepted"
REFUSED_TOO_MANY_PARTS = f"The file has more than {MAX_ENTRIES:,} parts inside it"
REFUSED_EMPTY = "The selected file is empty"
REFUSED_VIRUS = "The virus scan found {signature} in the file: it has not been accepted"
REFUSED_SCANNER = (
    "The file could not be checked for viruses just now: nothing has been saved, try again in "
    "a few minutes"
)

# Signatures of files that are certainly not text (and not one of ours).
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE: .doc, .xls, .ppt, .msg, encrypted OOXML
_ARCHIVES = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"PK\x07\x08",
    b"\x1f\x8b\x08",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"MSCF",  # cabinet
)
_MARKUP = (b"<!doctype", b"<html", b"<?xml", b"<svg", b"<script", b"{\\rtf", b"%!ps")
# C0 controls other than tab, line feed, vertical tab, form feed, carriage return.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
# "/Encrypt" as a key (not "/EncryptMetadata"): in the trailer or an xref stream's dictionary,
# both plain text even when every other object is compressed.
_PDF_ENCRYPT = re.compile(rb"/Encrypt(?![A-Za-z])")
_OVERRIDE = re.compile(rb"<(?:\w+:)?(?:Override|Default)\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb'(\w+)\s*=\s*["\']([^"\']*)["\']')


class UploadRefused(Exception):
    """The upload is not accepted; ``reason`` is a sentence for the person who sent it."""

    def __init__(self, reason: str, code: str = "refused"):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class CheckedFile:
    kind: str  # a key of ACCEPTED
    content_type: str
    extension: str  # with the dot: ".pdf"
    size: int
    sha256: str

    @property
    def label(self) -> str:
        return ACCEPTED[self.kind].label


def max_upload_bytes() -> int:
    return settings.QAF_UPLOAD_MAX_BYTES


def human_size(size: int) -> str:
    """50 MB, 1.5 MB, 200 KB: sizes as people read them (1 MB = 1,048,576 bytes, as Windows)."""
    mb = size / (1024 * 1024)
    if mb >= 1:
        return f"{mb:.0f} MB" if mb >= 10 else f"{mb:.1f}".removesuffix(".0") + " MB"
    kb = size / 1024
    return f"{kb:.0f} KB" if kb >= 1 else f"{size} bytes"


def type_label(extension: str) -> str:
    """A stored file's type in words, from its (detected) extension."""
    kind = _BY_EXTENSION.get(extension.lower())
    return kind.label if kind else extension.lstrip(".").upper()


def random_name(extension: str) -> str:
    """A stored file name that says nothing of the upload: random, with the detected extension."""
    return f"{uuid.uuid4().hex}{extension}"


_UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w .()\-]+")


def display_name(name: str) -> str:
    """The uploader's file name without any folder part or control characters (for lists)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:255] or "unnamed"


def download_name(original_name: str, extension: str) -> str:
    """A safe name to offer a download under: the original stem, tidied, with the extension
    of the detected type (never the uploader's), e.g. ``Fire risk (2026).pdf``."""
    stem = display_name(original_name)
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    stem = _UNSAFE_NAME_CHARACTERS.sub("_", stem).strip(" ._")[:100] or "evidence"
    return f"{stem}{extension}"


# --- the check ----------------------------------------------------------------------------


def check_upload(
    upload: IO[bytes],
    *,
    name: str = "",
    max_bytes: int | None = None,
    kinds: frozenset[str] | set[str] | None = None,
    refused_type: str | None = None,
    scan_now: bool = False,
    scanner: Scanner | None = None,
) -> CheckedFile:
    """The detected type, size and sha256 of ``upload`` (a seekable binary file), or
    ``UploadRefused``. Every upload QAF accepts comes through here: evidence, answers and
    comments (``providers.services.add_evidence``) and the register imports.

    ``name`` (the uploader's file name) only tells CSV from plain text; ``kinds`` narrows the
    allow-list (the imports take ``{"csv", "txt", "xlsx"}``), and ``refused_type`` is then the
    sentence for any type refused (else each refusal says what to do with its own type).
    The size limit is the ``QAF_UPLOAD_MAX_BYTES`` setting unless ``max_bytes`` says otherwise.

    ``scan_now`` also has the virus scanner (``qaf.virus``, ClamAV) read the file before it is
    accepted: for a file used at once, like an import. A virus, or a scanner that gives no
    verdict, refuses it (``code`` "virus" or "scanner"). Evidence is not scanned here: it is
    stored waiting in quarantine and scanned by the worker (``providers.services``).
    """
    limit = max_bytes if max_bytes is not None else max_upload_bytes()
    allowed = frozenset(kinds) if kinds is not None else frozenset(ACCEPTED)
    name = name or getattr(upload, "name", "") or ""
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(limit)

    scan = _Stream(name)
    upload.seek(0)
    size = 0
    digest = hashlib.sha256()
    while chunk := upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            upload.seek(0)
            raise _too_large(limit)
        digest.update(chunk)
        scan.feed(chunk)
        if scan.kind in {"", "cfb"} or (scan.kind in ACCEPTED and scan.kind not in allowed):
            break  # refused by its first bytes: no need to read the rest
    upload.seek(0)
    if size == 0:
        raise UploadRefused(REFUSED_EMPTY, "empty")
    try:
        if scan.kind in ACCEPTED and scan.kind not in allowed:
            raise UploadRefused(REFUSED_TYPE, "type")  # a PDF or an image where a table is asked
        kind = scan.finish()
        if kind == "zip":
            kind = _check_zip(upload, budget=_Budget(limit * EXPANSION_FACTOR), depth=0)
            upload.seek(0)
        if kind not in allowed:
            raise UploadRefused(REFUSED_TYPE, "type")
    except UploadRefused as exc:
        if exc.code == "type" and refused_type:
            raise UploadRefused(refused_type, "type") from exc
        raise
    if scan_now:
        _scan_now(upload, scanner or get_scanner())
    found = ACCEPTED[kind]
    return CheckedFile(kind, found.content_type, found.extension, size, digest.hexdigest())


def _scan_now(upload: IO[bytes], scanner: Scanner) -> None:
    """Refuse ``upload`` unless the scanner calls it clean (nothing is accepted unscanned)."""
    upload.seek(0)
    try:
        result = scanner.scan(upload)
    except ScanError as exc:
        logger.warning("Upload refused: the virus scanner gave no verdict (%s)", exc)
        raise UploadRefused(REFUSED_SCANNER, "scanner") from exc
    finally:
        upload.seek(0)
    if result.infected:
        logger.warning("Upload refused: the virus scanner found %s", result.signature)
        raise UploadRefused(REFUSED_VIRUS.format(signature=result.signature or "a virus"), "virus")


def _too_large(limit: int) -> UploadRefused:
    return UploadRefused(f"The file is larger than {human_size(limit)}", "size")


def _sniff(head: bytes) -> str:
    """The candidate kind from the first bytes: a kind, "zip", "text" or "" (refused)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(_CFB):
        return "cfb"
    if head.startswith(_ARCHIVES) or b"\x00" in head:
        return ""
    stripped = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if stripped.startswith(_MARKUP):
        return ""
    return "text"


class _Stream:
    """Byte-level checks made while the file streams past once: the type from the head, then
    for text the encodings and control bytes, for PDF the encryption key and the end marker."""

    def __init__(self, name: str):
        self.name = name
        self.tail = b""
        self.kind: str | None = None
        self.utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self.utf8_ok = True
        self.cp1252_ok = True
        self.control = False
        self.encrypted = False

    def feed(self, chunk: bytes) -> None:
        if self.kind is None:
            self.kind = _sniff(chunk[:HEAD_BYTES])
        if self.kind == "text":
            self._text(chunk)
        elif self.kind == "pdf" and not self.encrypted:
            # Overlap with the last bytes so a key split across two chunks is still seen.
            self.encrypted = bool(_PDF_ENCRYPT.search(self.tail[-16:] + chunk))
        self.tail = (self.tail + chunk)[-TAIL_BYTES:]

    def _text(self, chunk: bytes) -> None:
        if _CONTROL_BYTES.search(chunk):
            self.control = True
        if self.utf8_ok:
            try:
                self.utf8.decode(chunk)
            except UnicodeDecodeError:
                self.utf8_ok = False
        if self.cp1252_ok and any(byte in chunk for byte in _CP1252_UNDEFINED):
            self.cp1252_ok = False

    def finish(self) -> str:
        kind = self.kind or ""
        if kind == "cfb":
            raise UploadRefused(REFUSED_LEGACY_OFFICE, "type")
        if kind == "text":
            if self.utf8_ok:
                try:
                    self.utf8.decode(b"", final=True)
                except UnicodeDecodeError:
                    self.utf8_ok = False
            if self.control or not (self.utf8_ok or self.cp1252_ok):
                raise UploadRefused(REFUSED_TYPE, "type")
            return "csv" if self.name.lower().endswith((".csv", ".tsv")) else "txt"
        if kind == "pdf":
            if self.encrypted:
                raise UploadRefused(REFUSED_ENCRYPTED, "encrypted")
            if b"%%EOF" not in self.tail:
                raise UploadRefused(REFUSED_DAMAGED, "damaged")
        if not kind:
            raise UploadRefused(REFUSED_TYPE, "type")
        return kind


# --- ZIP containers -------------------------------------------------------------------------


class _Budget:
    """Bytes a container (and what is nested in it) may still expand to."""

    def __init__(self, total: int):
        self.total = total
        self.left = total

    def check(self, amount: int) -> None:
        """Refuse when ``amount`` more bytes would not fit (without spending them)."""
        if amount > self.left:
            raise UploadRefused(
                f"The file expands to more than {human_size(self.total)} when unpacked",
                "expansion",
            )

    def spend(self, amount: int) -> None:
        self.check(amount)
        self.left -= amount


def _check_zip(source: IO[bytes], *, budget: _Budget, depth: int) -> str:
    """The kind of an Office or OpenDocument file, after unpacking every part to check it."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadRefused(REFUSED_DAMAGED, "damaged") from exc
    with archive:
        infos = archive.infolist()
        _check_entries(infos, budget)
        names = {info.filename for info in infos}
        if "[Content_Types].xml" in names:
            kind = _ooxml_kind(archive, names)
        elif infos and infos[0].filename == "mimetype":
            kind = _odf_kind(archive, names)
        else:
            raise UploadRefused(REFUSED_TYPE, "type")
        for info in infos:
            _unpack(archive, info, budget=budget, depth=depth, kind=kind)
    return kind


def _check_entries(infos: list[zipfile.ZipInfo], budget: _Budget) -> None:
    if len(infos) > MAX_ENTRIES:
        raise UploadRefused(REFUSED_TOO_MANY_PARTS, "expansion")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if _unsafe(name) or name.lower() in seen:
            raise UploadRefused(REFUSED_UNSAFE, "unsafe")
        seen.add(name.lower())
        if info.flag_bits & 0x1:
            raise UploadRefused(REFUSED_ENCRYPTED, "encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRefused(REFUSED_DAMAGED, "damaged")
    if infos and min(info.header_offset for info in infos) != 0:
        raise UploadRefused(REFUSED_DAMAGED, "damaged")  # data hidden before the first part
    # What the archive says about itself first (cheap); then what it really unpacks to.
    budget.check(sum(info.file_size for info in infos))


def _unsafe(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return True
    parts = PurePosixPath(name).parts
    return ".." in parts or ":" in parts[0] or any(not ch.isprintable() for ch in name)


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as part:
        data = part.read(XML_PART_LIMIT + 1)
    if len(data) > XML_PART_LIMIT:
        raise UploadRefused(REFUSED_DAMAGED, "damaged")
    return data


def _ooxml_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    lowered = {name.lower() for name in names}
    if any(PurePosixPath(name).name in {"vbaproject.bin", "vbadata.xml"} for name in lowered):
        raise UploadRefused(REFUSED_MACROS, "macros")
    content_types = _read_part(archive, "[Content_Types].xml")
    low = content_types.lower()
    if b"macroenabled" in low or b"vbaproject" in low:
        raise UploadRefused(REFUSED_MACROS, "macros")
    if b"activex" in low or any(
        name.startswith(("word/activex/", "xl/activex/", "ppt/activex/")) for name in lowered
    ):
        raise UploadRefused(REFUSED_ACTIVEX, "macros")
    for element in _OVERRIDE.findall(content_types):
        attributes = {k.lower(): v for k, v in _ATTRIBUTE.findall(element)}
        kind = _OOXML_MAIN.get(attributes.get(b"contenttype", b"").decode("ascii", "replace"))
        part = attributes.get(b"partname", b"").decode("utf-8", "replace").lstrip("/").lower()
        if kind and part in lowered:
            return kind
    raise UploadRefused(REFUSED_TYPE, "type")


def _odf_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    first = archive.infolist()[0]
    mimetype = _read_part(archive, "mimetype").decode("ascii", "replace").strip()
    kind = _ODF_MIMETYPES.get(mimetype)
    if first.compress_type != zipfile.ZIP_STORED or kind is None:
        raise UploadRefused(REFUSED_TYPE, "type")
    if "META-INF/manifest.xml" not in names or "content.xml" not in names:
        raise UploadRefused(REFUSED_DAMAGED, "damaged")
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        raise UploadRefused(REFUSED_MACROS, "macros")
    if b"encryption-data" in _read_part(archive, "META-INF/manifest.xml"):
        raise UploadRefused(REFUSED_ENCRYPTED, "encrypted")
    return kind


def _unpack(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, budget: _Budget, depth: int, kind: str
) -> None:
    """Decompress one part (verifying its CRC and real size) and refuse nested archives,
    except a chart's workbook embedded in an Office file, which is checked in its turn."""
    ratio_limit = max(RATIO_FLOOR, MAX_RATIO * max(info.compress_size, 1))
    try:
        with archive.open(info) as part, contextlib.ExitStack() as stack:
            chunk = part.read(CHUNK)
            nested = None
            if chunk.startswith(_ARCHIVES):
                if not _may_nest(info.filename, kind, depth):
                    raise UploadRefused(REFUSED_NESTED, "nested")
                nested = stack.enter_context(tempfile.SpooledTemporaryFile(8 * 1024 * 1024))
            size = 0
            while chunk:
                size += len(chunk)
                if size > ratio_limit:
                    raise UploadRefused(
                        f"The file expands more than {MAX_RATIO} times when unpacked and "
                        "cannot be accepted",
                        "expansion",
                    )
                budget.spend(len(chunk))
                if nested is not None:
                    nested.write(chunk)
                chunk = part.read(CHUNK)
            if size != info.file_size:
                raise UploadRefused(REFUSED_DAMAGED, "damaged")
            if nested is not None:
                nested.seek(0)
                if _check_zip(nested, budget=budget, depth=depth + 1) not in _OOXML_KINDS:
                    raise UploadRefused(REFUSED_NESTED, "nested")
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise UploadRefused(REFUSED_DAMAGED, "damaged") from exc


def _may_nest(name: str, kind: str, depth: int) -> bool:
    return kind in _OOXML_KINDS and depth < MAX_NESTING and "/embeddings/" in name
