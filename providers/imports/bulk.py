"""Set-based writes for large imports (STYLE habit 8): COPY in, UPDATE ... FROM, history by SQL.

Django's ``bulk_create``/``bulk_update`` build one parameter per cell in Python, and
``bulk_update`` a CASE per field: at tens of thousands of rows that is most of an import's
time. These helpers stream rows to PostgreSQL with COPY instead, and write the
django-simple-history rows with one ``INSERT ... SELECT`` from the rows just written, so the
history is what a save would have recorded. No model signals are sent: callers re-rate the
services they touched (``risk.signals.mark_services_dirty``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

BATCH = 5000


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def copy_insert(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, now: datetime
) -> list[int]:
    """Insert ``rows`` (``{attname: value}``; the rest take the fields' defaults) and return
    their new primary keys, in order. Ids are drawn from the table's sequence first, so COPY
    (which returns nothing) can write them."""
    if not rows:
        return []
    table = model._meta.db_table
    fields = _columns(model)
    defaults = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = now
        else:
            defaults[field.attname] = field.get_default()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        names = ", ".join(_quote(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {_quote(table)} (id, {names}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *(row.get(f.attname, defaults[f.attname]) for f in fields)))
    return ids


def copy_update(
    model: type[models.Model],
    changes: dict[int, dict[str, Any]],
    *,
    now: datetime,
    bump_version: bool = True,
) -> None:
    """Apply ``{pk: {attname: value}}``: COPY the new values into a temporary table, then one
    ``UPDATE ... FROM`` per set of changed fields. ``version`` goes up by one (an edit that
    started before the import is then refused, not silently undone) and ``updated_at`` is set."""
    if not changes:
        return
    table = _quote(model._meta.db_table)
    by_fields: dict[tuple[str, ...], list[int]] = {}
    for pk, values in changes.items():
        by_fields.setdefault(tuple(sorted(values)), []).append(pk)
    with connection.cursor() as cursor:
        for names, pks in by_fields.items():
            fields = [model._meta.get_field(name) for name in names]
            columns = [f.column for f in fields]
            cursor.execute("DROP TABLE IF EXISTS qaf_import_update")
            quoted = ", ".join(_quote(c) for c in columns)
            cursor.execute(
                f"CREATE TEMPORARY TABLE qaf_import_update AS SELECT id, {quoted} "  # noqa: S608
                f"FROM {table} WITH NO DATA"
            )
            copy_sql = f"COPY qaf_import_update (id, {quoted}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for pk in pks:
                    values = changes[pk]
                    copy.write_row((pk, *(values[f.name] for f in fields)))
            assignments = [f"{_quote(c)} = u.{_quote(c)}" for c in columns]
            if bump_version:
                assignments.append("version = t.version + 1")
            assignments.append("updated_at = %s")
            cursor.execute(
                f"UPDATE {table} AS t SET {', '.join(assignments)} "  # noqa: S608 - our names
                "FROM qaf_import_update AS u WHERE t.id = u.id",
                [now],
            )
            cursor.execute("DROP TABLE qaf_import_update")


def record_history(
    model: type[models.Model],
    pks: Iterable[int],
    *,
    history_type: str,
    user,
    reason: str,
    now: datetime,
) -> None:
    """One django-simple-history row per object, copied from its current row in SQL."""
    pks = list(pks)
    if not pks:
        return
    history = model.history.model
    tracked = {f.attname for f in model.history.model.tracked_fields}
    source = {f.column: f.attname for f in model._meta.concrete_fields}
    targets, selects, params = [], [], []
    for field in history._meta.concrete_fields:
        if field.name == "history_id":
            continue
        targets.append(_quote(field.column))
        if field.column in source and source[field.column] in tracked:
            selects.append(f"s.{_quote(field.column)}")
        elif field.name == "history_date":
            selects.append("%s")
            params.append(now)
        elif field.name == "history_user":
            selects.append("%s")
            params.append(user.pk if user else None)
        elif field.name == "history_change_reason":
            selects.append("%s")
            params.append(reason)
        elif field.name == "history_type":
            selects.append("%s")
            params.append(history_type)
        else:
            raise ValueError(f"Unexpected history column {field.column}")
    sql = (
        f"INSERT INTO {_quote(history._meta.db_table)} ({', '.join(targets)}) "  # noqa: S608
        f"SELECT {', '.join(selects)} FROM {_quote(model._meta.db_table)} AS s "
        "WHERE s.id = ANY(%s) ORDER BY s.id"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(pks), BATCH):
            cursor.execute(sql, [*params, pks[start : start + BATCH]])
