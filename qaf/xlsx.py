"""A one-sheet XLSX written as formatted XML, streamed into the zip: the downloads' writer.

openpyxl (even write-only, with lxml) and XlsxWriter make an object or several function calls
per cell: some 2.4 million cells for the 100,000 services' download, 10 to 25 s of CPU. The
download needs one sheet of plain values with a bold, frozen header row, wrapped multi-line
text and column widths, so this writes SpreadsheetML (ECMA-376) directly: a row is one
formatted string, its text cells inline strings (as XlsxWriter's constant-memory mode writes
them), dates serial numbers with a date format (as openpyxl writes them).

``write_sheet`` takes only the values it knows how to write (``WRITABLE``); a caller with any
other value (a time, a duration, a datetime with a time zone) uses openpyxl instead
(``qaf.exports.xlsx_workbook``). ``tests/test_exports.py`` reads the result back with openpyxl
and compares it with tablib's own workbook.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import quoteattr

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

# What write_sheet writes; None is an empty cell. A datetime must be naive (Excel has no time
# zones): see ``writable``.
WRITABLE = frozenset({str, int, float, Decimal, bool, date, datetime, type(None)})

# Styles (cellXfs in STYLES): the header, a wrapped text, a date, a date and time.
_BOLD, _WRAP, _DATE, _DATETIME = 1, 2, 3, 4
# Characters XML 1.0 cannot hold (openpyxl refuses them): dropped from text.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A text _row cannot write as it is: space at either end, a line break, "&", "<", or an
# illegal character.
_CARE = re.compile(r"\A\s|\s\Z|[&<\r\n\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
# Rows are encoded and written to the zip this many at a time.
_BATCH = 2000

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    _XML + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    _XML + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_FONT = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    f'<fonts count="2"><font>{_FONT}</font><font><b/>{_FONT}</font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def writable(rows: Iterable[Sequence[Any]]) -> bool:
    """Whether ``write_sheet`` can write every value of ``rows``."""
    for row in rows:
        for value in row:
            kind = type(value)
            if kind not in WRITABLE or (kind is datetime and value.tzinfo is not None):
                return False
    return True


def _text(value: str) -> str:
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return value.translate(_ESCAPES)


def _number(value: float | Decimal) -> str | None:
    """A number as <v> holds it, or None for one Excel has not (infinity, NaN)."""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    return repr(value) if math.isfinite(value) else None


def _cell(ref: str, value: Any) -> str:
    kind = type(value)
    if kind is str:
        if not value:
            return ""
        style = f' s="{_WRAP}"' if "\n" in value else ""
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'
    if kind is int:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind is date or kind is datetime:
        style = _DATETIME if kind is datetime else _DATE
        return f'<c r="{ref}" s="{style}"><v>{to_excel(value)}</v></c>'
    if value is None:
        return ""
    number = _number(value)
    if number is None:
        return _cell(ref, str(value))
    return f'<c r="{ref}"><v>{number}</v></c>'


def _row(number: int, letters: Sequence[str], values: Sequence[Any]) -> str:
    cells = []
    for letter, value in zip(letters, values, strict=False):
        if value is None or value == "":
            continue
        # Most cells are text with nothing to escape but ">": written here; the rest in _cell.
        if type(value) is str and not _CARE.search(value):
            cells.append(
                f'<c r="{letter}{number}" t="inlineStr"><is><t>'
                f"{value.replace('>', '&gt;')}</t></is></c>"
            )
        else:
            cells.append(_cell(f"{letter}{number}", value))
    return f'<row r="{number}">{"".join(cells)}</row>'


def _header(letters: Sequence[str], headers: Sequence[str]) -> str:
    cells = "".join(
        f'<c r="{letter}1" s="{_BOLD}" t="inlineStr"><is><t>{_text(str(h))}</t></is></c>'
        for letter, h in zip(letters, headers, strict=False)
        if h not in (None, "")
    )
    return f'<row r="1">{cells}</row>'


def write_sheet(
    title: str,
    headers: Sequence[str] | None,
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
) -> bytes:
    """An XLSX of one sheet named ``title`` (already a valid sheet name): ``headers`` (if any)
    as a bold row frozen at the top, then ``rows``; column ``i`` ``widths[i]`` characters wide.
    Every value must be ``writable``."""
    columns = max([len(headers or ())] + [len(widths)])
    letters = [get_column_letter(i) for i in range(1, columns + 1)]
    pane = (
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        if headers
        else ""
    )
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
        for i, width in enumerate(widths, start=1)
    )
    last_row = len(rows) + (1 if headers else 0)
    # The sheet's extent: readers that stream the sheet (openpyxl's read-only mode) fill each
    # row out to it from here.
    extent = f"A1:{letters[-1]}{last_row}" if letters and last_row else "A1"
    head = (
        _XML + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<dimension ref="{extent}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
        + (_header(letters, headers) if headers else "")
    )
    tail = (
        '</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" '
        'header="0.5" footer="0.5"/></worksheet>'
    )
    workbook = (
        _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        "<bookViews><workbookView/></bookViews>"
        f'<sheets><sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )
    buffer = io.BytesIO()
    # Level 1: most of the size saved for a fifth of the time of zlib's default.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(head.encode())
            first = 2 if headers else 1
            for start in range(0, len(rows), _BATCH):
                batch = rows[start : start + _BATCH]
                text = "".join(
                    _row(number, letters, row)
                    for number, row in enumerate(batch, start=first + start)
                )
                sheet.write(text.encode("utf-8", "replace"))
            sheet.write(tail.encode())
    return buffer.getvalue()
