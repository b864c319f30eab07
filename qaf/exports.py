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

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django_tables2.data import TableQuerysetData
from django_tables2.export import TableExport
from tablib import Dataset
from tablib.formats._xlsx import safe_xlsx_sheet_title

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


class ValuesExport(TableExport):
    """django-tables2's export, but a table with ``export_fields`` for each of its columns is
    read with one ``values_list`` query (the table's queryset: scoped, filtered and sorted as
    on the page) and plain functions per cell. An XLSX is written by ``xlsx_workbook``."""

    def export(self):
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
        readers = [(f.convert, [where[path] for path in f.paths]) for f in fields]
        # values_list ignores select_related; prefetching would be of tuples, so none.
        rows = queryset.prefetch_related(None).values_list(*paths)
        for row in rows.iterator(chunk_size=CHUNK_SIZE):
            dataset.append([defuse(convert(*[row[i] for i in at])) for convert, at in readers])
        return dataset


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
    text), written in openpyxl's write-only mode.

    tablib builds a normal workbook: a cell object per value kept for the whole sheet, then a
    pass over every cell for the widths, 32 of the 36 s of the 100,000 services' download.
    Write-only streams each row to the sheet's file as it is appended, so the widths, which
    must be set before the first row, are worked out from the values first."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = list(dataset.headers or [])
    table = dataset._package(dicts=False)  # tablib's rows, as its own export reads them
    rows = [
        [v if v is None or type(v) in _PLAIN else _xlsx_value(v) for v in row]
        for row in (table[1:] if headers else table)
    ]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(
        safe_xlsx_sheet_title(dataset.title, "-") if dataset.title else "Tablib Dataset"
    )
    # tablib's adaptive width: the longest str() of a column's values, the header included
    # (an empty cell counts as "None", as tablib reads it back).
    columns = zip(headers, *rows, strict=True) if headers else zip(*rows, strict=True)
    for index, values in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(map(len, map(str, values)))
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
