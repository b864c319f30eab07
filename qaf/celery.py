"""The Celery app: Redis broker (settings.REDIS_URL), schedule in CELERY_BEAT_SCHEDULE."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qaf.settings")

app = Celery("qaf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
