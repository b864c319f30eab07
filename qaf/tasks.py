import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def heartbeat() -> str:
    """A no-op that shows in the worker log that beat and the worker are alive."""
    logger.info("QAF heartbeat")
    return "ok"


@shared_task(
    name="qaf.render_document", autoretry_for=(OSError,), retry_backoff=True, max_retries=3
)
def render_document(document_id: int) -> str:
    """Render one issued document's PDF in the worker (WeasyPrint is slow and memory-hungry)."""
    from qaf.models import Document
    from qaf.pdf import render_document as render

    document = Document.objects.get(pk=document_id)
    render(document)
    document.refresh_from_db(fields=["status"])
    return document.status
