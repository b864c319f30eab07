import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def heartbeat() -> str:
    """A no-op that shows in the worker log that beat and the worker are alive."""
    logger.info("QAF heartbeat")
    return "ok"
