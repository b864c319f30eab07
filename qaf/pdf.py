"""PDFs with WeasyPrint, safely: no network, no file paths from content.

The URL fetcher serves only our own static files (read through the staticfiles storages, not
by path) and ``data:`` URIs; anything else (http, file paths, a URL smuggled into a report's
text) is refused, so a document cannot make the server fetch or read anything. The rendered PDF
is saved through the default storage (local or S3, ``QAF_STORAGE``), like every stored file.
Charts are SVG made on the server (qaf.charts).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import mimetypes
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone

logger = logging.getLogger(__name__)


class RefusedURL(ValueError):
    pass


STATIC_SCHEME = "qaf-static:"


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeURLFetcher(URLFetcher):
        """Serves ``qaf-static:<path>`` from our static files and ``data:`` URIs; refuses
        everything else."""

        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(STATIC_SCHEME):
                relative = url.removeprefix(STATIC_SCHEME).lstrip("/")
                data = None if ".." in PurePosixPath(relative).parts else static_bytes(relative)
                if data is not None:
                    mime = mimetypes.guess_type(relative)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, data, {"Content-Type": mime})
            logger.warning("PDF: refused to fetch %s", url[:200])
            raise RefusedURL(url)

    return SafeURLFetcher


def static_bytes(relative: str) -> bytes | None:
    """One of our static files, read through the storages Django's staticfiles app uses: the
    finders' (the static folders of the code, in every image and checkout, as development
    serves them; a stale ``collectstatic`` copy is never preferred), then the collected files'
    (``STORAGES["staticfiles"]``, wherever it keeps them). Never a path built from the
    document's content."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    candidates = []
    for finder in finders.get_finders():
        # A finder holds a storage per static folder (FileSystemFinder, which may give the
        # folder a prefix) or per app (AppDirectoriesFinder).
        for storage in getattr(finder, "storages", {}).values():
            prefix = getattr(storage, "prefix", None)
            if not prefix:
                candidates.append((storage, relative))
            elif relative.startswith(f"{prefix}/"):
                candidates.append((storage, relative.removeprefix(f"{prefix}/")))
    candidates.append((staticfiles_storage, relative))
    for storage, name in candidates:
        try:
            if storage.exists(name):
                with storage.open(name, "rb") as handle:
                    return handle.read()
        except (SuspiciousFileOperation, OSError, ValueError):
            continue
    return None


def render_pdf(template: str, context: dict) -> bytes:
    """Render a Django template to PDF bytes. Templates load our own assets with
    ``qaf-static:css/pdf.css``-style URLs; nothing else is fetched."""
    from weasyprint import HTML

    html = render_to_string(
        template,
        {
            "council_name": settings.COUNCIL_NAME,
            "service_name": settings.COUNCIL_SERVICE_NAME,
            "generated_at": timezone.localtime(),
            **context,
        },
    )
    return HTML(
        string=html, base_url=STATIC_SCHEME + "/", url_fetcher=_fetcher_class()()
    ).write_pdf(font_config=_font_config())


@functools.cache
def _font_config():
    """One font configuration per worker process. Without it WeasyPrint makes a new one for
    every document, and memory outside Python grows by about 0.25 MB a render and never comes
    back (bench/bench_report.py, docs/performance.md). Our stylesheet has no @font-face, so
    nothing accumulates in the shared one."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_document(document) -> None:
    """Produce a pending Document's PDF once; a ready document is never rendered again."""
    from qaf.models import Document

    if document.status == Document.Status.READY:
        return
    try:
        source = document.source
        # A source object may add what its template needs (e.g. a review's scores).
        extra = source.document_context() if hasattr(source, "document_context") else {}
        context = {"document": document, "source": source, **extra, **document.context}
        pdf = render_pdf(document.template, context)
    except Exception as exc:
        logger.exception("Document %s failed to render", document.pk)
        Document.objects.filter(pk=document.pk).update(
            status=Document.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    name = f"{document.kind}-{document.pk}.pdf"
    document.file.save(name, ContentFile(pdf), save=False)
    Document.objects.filter(
        pk=document.pk,
        status__in=[
            Document.Status.PENDING,
            Document.Status.FAILED,
        ],
    ).update(
        file=document.file.name,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        status=Document.Status.READY,
        rendered_at=timezone.now(),
        error="",
    )


def fit_title(title: str) -> str:
    """A document's title as it fits its column: titles are made from names people typed (a
    service's, a request's), which together can be longer than any one of them."""
    from qaf.models import Document

    limit = Document._meta.get_field("title").max_length
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def provider_emails(provider_id: int) -> list[str]:
    """The addresses a provider's documents go to: its active users'."""
    from qaf.models import User

    return list(
        User.objects.filter(provider_id=provider_id, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
    )


def issue_document(
    source,
    *,
    kind: str,
    title: str,
    template: str,
    actor,
    service=None,
    provider=None,
    recipients: list[str] = (),
    context: dict | None = None,
    visible_to_provider: bool = True,
):
    """Store a document as pending and render it in the worker once the transaction commits
    (SPEC §7): stored once, with its date and recipients; a correction is a new document."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from qaf.models import Document
    from qaf.tasks import render_document as render_task

    service = service if service is not None else getattr(source, "service", None)
    if provider is None and service is not None:
        provider = service.provider
    # No provider: a council-wide document (the Managed Placements Memo), which the caller
    # issues with visible_to_provider=False (a constraint refuses anything else).
    document = Document.objects.create(
        kind=kind,
        title=fit_title(title),
        provider=provider,
        service=service,
        source_type=ContentType.objects.get_for_model(type(source)),
        source_id=source.pk,
        template=template,
        context=context or {},
        visible_to_provider=visible_to_provider,
        recipients=list(recipients),
        issued_by=actor,
    )
    transaction.on_commit(lambda: render_task.delay(document.pk))
    return document
