"""The body rows of a django-tables2 table as GOV.UK table rows, drawn in Python.

``templates/includes/table.html`` drew each cell with template tags: the column's attributes
worked out again for every cell (django-tables2's ``BoundColumn.attrs`` builds three
dictionaries each time), then a loop over them. A register page has 450 cells: two thirds of
the service list's time. ``{% table_rows table %}`` makes the same markup, each column's cell
attributes worked out once per table unless one of them is computed per record (a callable),
and each cell through ``render_value_in_context`` as ``{{ cell }}`` does (localised, escaped
unless safe). ``tests/test_tables.py`` compares it with the template's rows.
"""

from __future__ import annotations

from django import template
from django.template.base import render_value_in_context
from django.utils import formats
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

register = template.Library()


def _attrs(attrs, base_class: str) -> str:
    """`` class="<base> <class>" name="value"...``, as includes/table.html writes them (names
    starting "_" are django-tables2's own, not for the page)."""
    extra = attrs.get("class")
    out = [f' class="{base_class}{" " + escape(extra) if extra else ""}"']
    for name, value in attrs.items():
        if name != "class" and not str(name).startswith("_"):
            out.append(f' {escape(name)}="{escape(value)}"')
    return "".join(out)


def _per_record(bound_column) -> bool:
    """Whether a column's cell attributes depend on the record (a callable among them)."""
    for source in (bound_column._table.attrs, bound_column.column.attrs):
        for key in ("td", "cell"):
            if any(callable(value) for value in (source.get(key) or {}).values()):
                return True
    return False


def _cell(context, column, value) -> str:
    localize = column.localize
    if localize is None:
        return render_value_in_context(value, context)
    return conditional_escape(formats.localize(value, use_l10n=bool(localize)))


@register.simple_tag(takes_context=True)
def table_rows(context, table) -> str:
    """The ``<tr>`` of each row of the table's page (``paginated_rows``)."""
    columns = list(table.columns)
    fixed = {
        column.name: _attrs(column.attrs["td"], "govuk-table__cell")
        for column in columns
        if not _per_record(column)
    }
    rows = []
    for row in table.paginated_rows:
        cells = []
        for column, value in row.items():
            attrs = fixed.get(column.name)
            if attrs is None:  # row.items() has set the column's current record
                attrs = _attrs(column.attrs["td"], "govuk-table__cell")
            cells.append(f"<td{attrs}>{_cell(context, column, value)}</td>")
        row_attrs = _attrs(row.attrs, "govuk-table__row")
        rows.append(f"<tr{row_attrs}>{''.join(cells)}</tr>")
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
