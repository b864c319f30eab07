"""The nightly retention purge: every record past its period (privacy.retention) is deleted
with everything that goes with it, its history rows and its files.

A record is deleted with Django's ``Collector``, so what cascades from it (a review's answers,
notes and comments) is known before anything is deleted. For each collected row: the rows
that point at it generically (its notices, the evidence uses it made, the documents issued
from it, themselves collected with their files) go too; its django-simple-history rows go
(including the "deleted" row the delete itself writes); and its files are deleted through
their field's storage once the transaction commits, so a failure never loses a file of a row
that stays. A record something still protects (a review an information request refers to) is
kept and counted as such. Runs as the ``retention_purge`` job (risk.jobs: lock and run record).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models.deletion import Collector, ProtectedError, RestrictedError

from qaf.privacy.retention import RECORD_TYPES, RecordType

logger = logging.getLogger(__name__)

BATCH = 500


def preview(today: date) -> dict[str, int]:
    """How many records of each type the purge would delete today (nothing is deleted)."""
    return {record_type.name: record_type.expired(today).count() for record_type in RECORD_TYPES}


def purge(today: date) -> dict[str, int]:
    """Delete every record past its period; the counts per type (``<type>`` deleted,
    ``<type>_kept`` still referenced, ``files`` deleted)."""
    counts: dict[str, int] = defaultdict(int)
    for record_type in RECORD_TYPES:
        _purge_type(record_type, today, counts)
    return dict(counts)


def _purge_type(record_type: RecordType, today: date, counts: dict[str, int]) -> None:
    counts[record_type.name] += 0
    model = record_type.expired(today).model
    last = 0
    while True:
        # By primary key ranges: a record kept (protected) is not met again.
        ids = list(
            record_type.expired(today)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return
        last = ids[-1]
        for obj in model._base_manager.filter(pk__in=ids).order_by("pk"):
            try:
                counts["files"] += delete_record(obj)
            except (ProtectedError, RestrictedError):
                counts[f"{record_type.name}_kept"] += 1
                continue
            counts[record_type.name] += 1


def delete_record(obj: models.Model) -> int:
    """Delete ``obj`` with what cascades from it, the rows that refer to them generically,
    their history rows and (on commit) their files. Returns the number of files deleted.
    Raises ProtectedError when something still protects it (nothing is deleted then)."""
    with transaction.atomic():
        collector = Collector(using=DEFAULT_DB_ALIAS)
        collector.collect([obj])
        _collect_generic(collector)
        collected = {
            model: [o.pk for o in instances] for model, instances in collector.data.items()
        }
        files = _files(collector)
        collector.delete()
        for model, pks in collected.items():
            history = _history_model(model)
            if history is not None:
                history._base_manager.filter(**{f"{model._meta.pk.attname}__in": pks}).delete()
        transaction.on_commit(lambda: _delete_files(files))
    return len(files)


def _collect_generic(collector: Collector) -> None:
    """Add the rows that point at a collected row through a content type and an id: the
    documents issued from it (and their files), its notices and the evidence uses it made."""
    from providers.evidence import EvidenceUse
    from qaf.models import Document, Notification

    seen: set[type[models.Model]] = set()
    while True:
        todo = [model for model in collector.data if model not in seen]
        if not todo:
            return
        for model in todo:
            seen.add(model)
            pks = [o.pk for o in collector.data[model]]
            content_type = ContentType.objects.get_for_model(model)
            documents = Document.objects.filter(source_type=content_type, source_id__in=pks)
            if model is not Document and documents.exists():
                collector.collect(list(documents))
            for generic in (
                Notification.objects.filter(content_type=content_type, object_id__in=pks),
                EvidenceUse.objects.filter(content_type=content_type, object_id__in=pks),
            ):
                if generic.exists():
                    collector.collect(list(generic))


def _file_fields(model) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _files(collector: Collector) -> list[tuple]:
    """(storage, name) of every file of a collected row, fast-deleted ones included."""
    files = []
    for model, instances in collector.data.items():
        for field in _file_fields(model):
            stored = (getattr(o, field.name) for o in instances)
            files += [(f.storage, f.name) for f in stored]
    for queryset in collector.fast_deletes:
        for field in _file_fields(queryset.model):
            files += [
                (field.storage, name) for name in queryset.values_list(field.attname, flat=True)
            ]
    return [(storage, name) for storage, name in files if name]


def _delete_files(files: list[tuple]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except Exception:  # a file left behind is logged; the rows are gone either way
            logger.exception("Retention purge: could not delete the file %s", name)


def _history_model(model):
    """The django-simple-history model of ``model``, if it keeps history."""
    manager = getattr(model, "history", None)
    return getattr(manager, "model", None) if manager is not None else None


def run_purge(today: date | None = None, triggered_by=None, wait: bool = False):
    """The purge as a job: under its advisory lock, recorded as a JobRun (risk.jobs)."""
    from risk.jobs import RETENTION_PURGE, run_job

    return run_job(RETENTION_PURGE, purge, today=today, triggered_by=triggered_by, wait=wait)
