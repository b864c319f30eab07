"""Bulk loading with PostgreSQL: COPY, foreign keys checked once, cascades in SQL, and
``insert_rows`` (one INSERT of many rows, an upsert or "once" with ON CONFLICT).

For loads of hundreds of thousands of rows (``manage.py seed_scale``), where the ORM's
per-row work is most of the time. Nothing here sends model signals or writes history rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models.expressions import RawSQL
from psycopg import sql


def _column_default(f: models.Field, now: datetime):
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return now
    return f.get_default()  # "" for text without a default; None (NOT NULL fails) otherwise


def copy_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[tuple], now: datetime
) -> int:
    """COPY ``rows`` (tuples of the fields ``names``) into the model's table.

    Every other column gets its field's default (``now`` for auto_now fields), so a field
    added to the model later with a default needs no change here; the primary key comes from
    its sequence unless ``names`` gives it.
    """
    meta = model._meta
    given = [meta.get_field(name) for name in names]
    rest = [
        f
        for f in meta.concrete_fields
        if f not in given and not (f.primary_key and isinstance(f, models.AutoField))
    ]
    tail = tuple(_column_default(f, now) for f in rest)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table),
        sql.SQL(", ").join(sql.Identifier(f.column) for f in [*given, *rest]),
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row + tail)
            count += 1
    return count


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` fresh primary keys from the table's sequence (rows then reference them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, n],
        )
        return [row[0] for row in cursor.fetchall()]


def _run_queued_checks(cursor) -> None:
    """ALTER TABLE refuses a table with checks still queued in the transaction: run them now.
    Django's constraints are all deferred again afterwards."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def drop_foreign_keys(*tables: type[models.Model]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys from and to the tables for a bulk load (``add_constraints`` puts
    them back).

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so each row COPYed (or deleted)
    queues one check per foreign key, all run one at a time at commit: about 700,000 checks
    to load 100,000 services and more to delete them, most of the run. Adding a constraint
    back checks every row in one join instead (as pg_restore does). Call both inside one
    transaction: ALTER TABLE holds its lock until commit, so no one else ever sees the tables
    without their constraints, and a failure rolls the drop back.
    """
    with connection.cursor() as cursor:
        _run_queued_checks(cursor)
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' "
            "AND (conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[])) "
            "ORDER BY 1, 2",
            [[m._meta.db_table for m in tables]] * 2,
        )
        constraints = cursor.fetchall()
        for table, name, _ in constraints:
            cursor.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
            )
    return constraints


def add_constraints(constraints: list[tuple[str, str, str]]) -> int:
    with connection.cursor() as cursor:
        _run_queued_checks(cursor)
        for table, name, definition in constraints:
            cursor.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
                )
            )
    return len(constraints)


def _is_history(model: type[models.Model]) -> bool:
    return hasattr(model, "instance_type")  # django-simple-history's historical models


def delete_cascade(
    model: type[models.Model], where: str, params: list, counts: dict, depth: int = 0
) -> None:
    """Delete the rows of ``model`` matching ``where`` (SQL on its table, with ``params``) and,
    first, every row that depends on them through a foreign key or a many-to-many table, as
    the ORM's cascade would but in one statement per table; SET_NULL relations are set to
    NULL. Users are never deleted: one still pointing at a deleted row makes it fail. Adds the
    number of rows deleted per model to ``counts``."""
    if depth > 8:
        raise RuntimeError(f"Relations to {model.__name__} nest too deep to delete in SQL")
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    pk = connection.ops.quote_name(meta.pk.column)
    selected = f"SELECT {pk} FROM {table} WHERE {where}"  # noqa: S608 - quoted names
    for rel in meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        related = rel.related_model
        if _is_history(related) or related._meta.label == settings.AUTH_USER_MODEL:
            continue  # history has no constraint; users are never deleted here
        if rel.many_to_many:
            continue  # the through table's own foreign key is a relation of its own here
        column = connection.ops.quote_name(rel.field.column)
        # A row's link to another of its kind (an evidence file's previous version) is cut
        # rather than followed: following it would only come back to this table.
        if rel.on_delete is models.SET_NULL or (related is model and rel.field.null):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {connection.ops.quote_name(related._meta.db_table)} "  # noqa: S608
                    f"SET {column} = NULL WHERE {column} IN ({selected})",
                    params,
                )
            continue
        delete_cascade(related, f"{column} IN ({selected})", params, counts, depth + 1)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
        if cursor.rowcount:
            counts[meta.verbose_name_plural] = counts.get(meta.verbose_name_plural, 0) + (
                cursor.rowcount
            )


def id_array(ids: Iterable[int]) -> RawSQL:
    """``ids`` for ``field__in=``, sent as one array: ``IN (SELECT unnest(%s::bigint[]))``.

    ``field__in=[...]`` sends one parameter per id. At tens of thousands of ids (an import
    re-rating what it created) psycopg splits a query of that many placeholders in Python and
    PostgreSQL plans as long a list: seconds a query. One array is joined by hash, or by index
    when it is short, like any other set. It goes as the text of an array literal, formatted
    once here: psycopg quoting a list of 56,000 ints takes a quarter of a second a query."""
    literal = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
    return RawSQL("SELECT unnest(%s::bigint[])", [literal])


def _json_value(value):
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def insert_rows(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    conflict: str | None = None,
    update: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> int:
    """INSERT ``rows`` (dicts keyed by column) in one statement, passed as one jsonb document
    and unpacked by ``jsonb_to_recordset``; with ``conflict``, an upsert updating ``update``;
    with ``ignore_conflicts``, rows that break a unique constraint are skipped. Returns the
    number of rows written.

    Not ``bulk_create``: on PostgreSQL, Django 5.2 sends each column as an array, and
    psycopg escapes every quote of every JSON ``factors`` value in Python (a regex
    substitution per character), which was the largest cost of a full recompute.
    """
    if not rows:
        return 0
    fields = [f for f in model._meta.concrete_fields if f.column in rows[0]]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    record = ", ".join(f"{qn(f.column)} {f.db_type(connection)}" for f in fields)
    statement = (
        f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "  # noqa: S608 - quoted names
        f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({record})"
    )
    if conflict:
        assignments = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in update)
        statement += f" ON CONFLICT ({qn(conflict)}) DO UPDATE SET {assignments}"
    elif ignore_conflicts:
        statement += " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(statement, [json.dumps(rows, default=_json_value)])
        return cursor.rowcount
