"""Fast CSV/XLSX downloads of django-tables2 tables: the register lists and the dashboard.

django-tables2's ``TableExport`` works out every cell through the table (accessor,
``get_FOO_display``, ``value_FOO``/``render_FOO``, ``force_str``): minutes for 100,000 rows. A
table that declares ``export_fields`` is read here with one ``values_list`` query instead, each
cell made by a plain function of the values it reads. The columns, their order and headers
still come from the table, so a column the table leaves out (``exclude``, a role that may not
see it) is left out of the download too. ``tests/test_exports.py`` compares every table's
download with django-tables2's own.
"""

from __future__ import annotations

import gc
import io
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django_tables2.data import TableQuerysetData
from django_tables2.export import TableExport
from tablib import Dataset
from tablib.formats._xlsx import safe_xlsx_sheet_title

from qaf import xlsx

CHUNK_SIZE = 2000


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class ExportField:
    """One column of a download: the table column (for its header), the ``values_list``
    paths it reads and how they become the cell."""

    column: str
    paths: tuple[str, ...]
    convert: Callable[..., Any] = _same


# --- Cells as django-tables2 exports them ----------------------------------------------------
# Its rules (django_tables2.rows.BoundRow.get_cell_value, Table.as_values): a value in the
# column's ``empty_values`` (None and "") is an empty cell (None); a choice field gives its
# label; dates, numbers and None stay as they are (force_str(strings_only=True)), anything else
# becomes its str().


def cell(value: Any) -> Any:
    """A plain field's value."""
    return None if value is None or value == "" else value


def choice(labels: dict[str, str]) -> Callable[[Any], Any]:
    """A choice field: its label (get_FOO_display), or the stored value if it has none."""

    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        return cell(str(labels.get(value, value)))

    return convert


def iso_date(value: Any) -> Any:
    """providers.tables.DateColumn in a download: the ISO date as text."""
    return value.isoformat() if value else None


def yes_no(value: Any) -> str:
    """A yes/no field: "Yes" or "No" (providers.tables.YesNoColumn in a download)."""
    return "Yes" if value else "No"


def yes_no_not_known(value: Any) -> str:
    """A yes / no / not known field (a nullable boolean): "Not known" for None
    (providers.tables.YesNoNotKnownColumn in a download)."""
    return "Not known" if value is None else yes_no(value)


def choice_list(labels: dict[str, str]) -> Callable[[Any], Any]:
    """A list of choices (an ArrayField of them): their labels, comma-separated."""

    def convert(values: Any) -> Any:
        return ", ".join(str(labels.get(v, v)) for v in values) if values else None

    return convert


def person(first: str | None, last: str | None, username: str | None) -> str | None:
    """A user, as qaf.models.User.__str__: the full name, else the username."""
    if username is None:
        return None
    return f"{first or ''} {last or ''}".strip() or username


def field(column: str, path: str | None = None, convert: Callable[..., Any] = cell):
    """``ExportField`` of one path (the column's name unless given)."""
    return ExportField(column, (path or column,), convert)


def person_field(column: str, prefix: str | None = None) -> ExportField:
    prefix = prefix or column
    paths = tuple(f"{prefix}__{name}" for name in ("first_name", "last_name", "username"))
    return ExportField(column, paths, person)


def model_fields(model, names: Iterable[str]) -> tuple[ExportField, ...]:
    """Export fields of a model's own fields: choice labels (a list of choices as its labels),
    "Yes"/"No" for booleans (shown with providers.tables.YesNoColumn; "Not known" too for a
    nullable one, shown with YesNoNotKnownColumn), the value otherwise."""
    fields = []
    for name in names:
        model_field = model._meta.get_field(name)
        if model_field.choices:
            convert = choice(dict(model_field.flatchoices))
        elif isinstance(model_field, models.BooleanField):
            convert = yes_no_not_known if model_field.null else yes_no
        elif model_field.get_internal_type() == "ArrayField" and model_field.base_field.choices:
            convert = choice_list(dict(model_field.base_field.flatchoices))
        else:
            convert = cell
        fields.append(field(name, name, convert))
    return tuple(fields)


# --- The export -----------------------------------------------------------------------------


def export_columns(table, exclude_columns: Iterable[str] | None = None) -> list:
    """The bound columns a download has, in order: as ``Table.as_values`` picks them."""
    exclude = set(exclude_columns or ())
    return [
        column
        for column in table.columns.iterall()
        if not (column.column.exclude_from_export or column.name in exclude)
    ]


def fast_fields(table, exclude_columns=None) -> list[ExportField] | None:
    """The table's ``export_fields`` for the columns of its download, or None when the fast
    path cannot make it (no fields declared, a column without one, data that is not a
    queryset): django-tables2's generic path then does, slowly but correctly."""
    declared = {f.column: f for f in getattr(table, "export_fields", None) or ()}
    if not declared or not isinstance(table.data, TableQuerysetData):
        return None
    columns = export_columns(table, exclude_columns)
    if any(column.name not in declared for column in columns):
        return None
    return [declared[column.name] for column in columns]


@contextmanager
def paused_gc():
    """Python's cyclic garbage collector paused while a download's rows are built and written.

    A download makes millions of objects in lists (the services': 100,000 rows, 3 million
    cells) that never form a cycle; each time the collector runs it walks every one of them
    again, the older the more often: a third of the services' XLSX time, more with each
    download a process makes. Reference counting frees them as usual; cycles made meanwhile
    are collected when the collector runs again after the download."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class ValuesExport(TableExport):
    """django-tables2's export, but a table with ``export_fields`` for each of its columns is
    read with one ``values_list`` query (the table's queryset: scoped, filtered and sorted as
    on the page) and plain functions per cell. An XLSX is written by ``xlsx_workbook``."""

    def __init__(self, *args, **kwargs):
        with paused_gc():
            super().__init__(*args, **kwargs)  # reads the rows (table_to_dataset)

    def export(self):
        with paused_gc():
            if self.format == self.XLSX:
                return xlsx_workbook(self.dataset)
            return super().export()

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        fields = fast_fields(table, exclude_columns)
        if fields is None:
            slow = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
            return Dataset(
                *[[defuse(cell) for cell in row] for row in slow],
                headers=slow.headers,
                title=slow.title,
            )
        try:
            title = table.Meta.model._meta.verbose_name_plural.title()
        except AttributeError:
            title = "Export Data"
        dataset = Dataset(
            headers=[str(table.columns[f.column].header) for f in fields],
            **{"title": title, **(dataset_kwargs or {})},
        )
        queryset = table.data.data
        paths = list(dict.fromkeys(path for f in fields for path in f.paths))
        if queryset.query.distinct and not queryset.query.distinct_fields:
            # DISTINCT (a MultipleChoiceFilter's default) over the exported values alone would
            # merge two rows that read the same; over whole rows, as the table has them, not.
            paths.insert(0, "pk")
        where = {path: index for index, path in enumerate(paths)}
        # (convert, the index of its one value, or None and the indexes of its values)
        readers = [
            (f.convert, where[f.paths[0]], None)
            if len(f.paths) == 1
            else (f.convert, None, [where[path] for path in f.paths])
            for f in fields
        ]
        risky = _FORMULA_FIRST
        # values_list ignores select_related; prefetching would be of tuples, so none.
        values = queryset.prefetch_related(None).values_list(*paths)
        # Some 3 million cells for the services: one comprehension per row, and defuse()
        # called only for a text whose first character may start a formula.
        rows = [
            [
                defuse(value)
                if type(
                    value := convert(row[at]) if many is None else convert(*[row[i] for i in many])
                )
                is str
                and value[:1] in risky
                else value
                for convert, at, many in readers
            ]
            for row in values.iterator(chunk_size=CHUNK_SIZE)
        ]
        # Dataset(*rows) takes them as they are (append() would check each row's width).
        return Dataset(*rows, headers=dataset.headers, title=dataset.title)


def rows_download(
    headers: Iterable[str], rows: Iterable[Iterable[Any]], *, export_format: str, filename: str
):
    """A download of rows that are not a table's (the Managed Placements Memo): every cell
    defused as the tables' are. ``export_format`` is one of ``TableExport.FORMATS``."""
    from django.http import HttpResponse

    dataset = Dataset(*[[defuse(value) for value in row] for row in rows], headers=list(headers))
    content = (
        xlsx_workbook(dataset)
        if export_format == TableExport.XLSX
        else dataset.export(export_format)
    )
    response = HttpResponse(content, content_type=TableExport.FORMATS[export_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- XLSX ------------------------------------------------------------------------------------

# What openpyxl writes as it is; anything else becomes its text (tablib's fallback).
_XLSX_TYPES = (str, int, float, Decimal, date, time, timedelta, bool)
_PLAIN = frozenset(_XLSX_TYPES) | {datetime}


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, _XLSX_TYPES):
        return value
    return str(value)  # a lazy translation, a UUID...


def xlsx_workbook(dataset: Dataset) -> bytes:
    """``dataset`` as tablib's XLSX (the sheet named after its title, the header row bold and
    frozen, a cell holding a line break wrapped, each column as wide as its longest value as
    text), written by ``qaf.xlsx`` (the sheet's XML as formatted strings), or in openpyxl's
    write-only mode when a value is one qaf.xlsx does not write (a time, a duration, a datetime
    with a time zone).

    tablib builds a normal workbook: a cell object per value kept for the whole sheet, then a
    pass over every cell for the widths, 32 of the 36 s of the 100,000 services' download.
    Both writers here stream the rows, so the widths, which come before the first row, are
    worked out from the values first."""
    headers = list(dataset.headers or [])
    table = dataset._package(dicts=False)  # tablib's rows, as its own export reads them
    rows = table[1:] if headers else table
    plain = xlsx.writable(rows)
    if not plain:
        rows = [
            [v if v is None or type(v) in _PLAIN else _xlsx_value(v) for v in row] for row in rows
        ]
        plain = xlsx.writable(rows)
    title = safe_xlsx_sheet_title(dataset.title, "-") if dataset.title else "Tablib Dataset"
    # tablib's adaptive width: the longest str() of a column's values, the header included
    # (an empty cell counts as "None", as tablib reads it back).
    columns = zip(headers, *rows, strict=True) if headers else zip(*rows, strict=True)
    widths = [max(map(len, map(str, values))) for values in columns]
    if plain:
        return xlsx.write_sheet(title, [_xlsx_value(h) for h in headers], rows, widths)
    return _openpyxl_workbook(title, headers, rows, widths)


def _openpyxl_workbook(title: str, headers: list, rows: list[list], widths: list[int]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if headers:
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        sheet.append([_styled(WriteOnlyCell(sheet, _xlsx_value(h)), font=bold) for h in headers])
    wrap = Alignment(wrap_text=True)
    for row in rows:
        if any(type(v) is str and "\n" in v for v in row):
            row = [
                _styled(WriteOnlyCell(sheet, v), alignment=wrap)
                if type(v) is str and "\n" in v
                else v
                for v in row
            ]
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _styled(cell, **style):
    for name, value in style.items():
        setattr(cell, name, value)
    return cell


# A cell that starts with one of these is a formula to Excel and LibreOffice (and openpyxl
# writes a string starting with "=" as one): a provider's name like =HYPERLINK(...) would run
# in an officer's spreadsheet. OWASP's advice: make it text with a leading apostrophe.
# A minus sign is left alone on a number ("-5"): that is data, not a formula.
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")
# The first characters defuse() may change a text for.
_FORMULA_FIRST = frozenset(FORMULA_STARTS) | {"-"}


def defuse(value):
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS) or (value.startswith("-") and not _is_number(value)):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
