"""Reading an uploaded table: CSV or XLSX, recognised by content, as rows of text.

Both importers read through ``read_table``: the header row (found among the first rows, so a
title line above it does no harm), then each data row as a list of cells numbered as a
spreadsheet numbers them (the header is row 1 when it is the first line). Cells are text,
except XLSX dates, which stay ``date`` objects.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from qaf.files import UploadRefused, check_upload

# What an import reads. (check_upload tells CSV from text by the name only: the content decides.)
IMPORT_KINDS = frozenset({"csv", "txt", "xlsx"})
NOT_A_TABLE = "The selected file must be a CSV or an Excel (.xlsx) file"
HEADER_SEARCH_ROWS = 10
SNIFF_BYTES = 64 * 1024

# Files that are certainly not CSV, recognised by their first bytes.
_BINARY_MAGIC = (
    b"%PDF",
    b"\xd0\xcf\x11\xe0",  # legacy Office (.xls, .doc)
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",  # gzip
    b"Rar!",
    b"7z\xbc\xaf",
    b"MZ",
    b"\x7fELF",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

ProgressCallback = Callable[[int, int], None]


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong type, unreadable, columns missing)."""


def check_file(source: IO[bytes], *, name: str) -> str:
    """The checks of every upload QAF accepts (``qaf.files.check_upload``: the
    ``QAF_UPLOAD_MAX_BYTES`` size limit, the type by its content, archive bombs, macros) and
    the virus scan, now; then ``"csv"`` or ``"xlsx"`` (``sniff``). ImportFileError says why a
    file is refused. The upload page and the commands call it before anything is stored or
    imported; ``read_table`` trusts its caller to have done so."""
    try:
        check_upload(source, name=name, kinds=IMPORT_KINDS, refused_type=NOT_A_TABLE, scan_now=True)
    except UploadRefused as exc:
        raise ImportFileError(exc.reason) from exc
    return sniff(source)


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells)
    file_format: str  # "csv" or "xlsx"


def _head(source: str | Path | IO[bytes], size: int) -> bytes:
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            return handle.read(size)
    position = source.tell()
    data = source.read(size)
    source.seek(position)
    return data


def _decode(data: bytes, *, final: bool) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252 as Excel writes it.

    A sniffed prefix (``final=False``) may end inside a multi-byte character: that is no error.
    """
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=final)
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff(source: str | Path | IO[bytes]) -> str:
    """``"csv"`` or ``"xlsx"`` from the content, whatever the file is called; else an error."""
    head = _head(source, SNIFF_BYTES)
    if not head.strip():
        raise ImportFileError("The selected file is empty")
    if head.startswith(b"PK\x03\x04"):
        _check_xlsx(source)
        return "xlsx"
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        raise ImportFileError(NOT_A_TABLE)
    text = _decode(head, final=False)
    first_line = text.splitlines()[0] if text.splitlines() else ""
    if _CONTROL.search(text) or ("," not in first_line and "\t" not in first_line):
        raise ImportFileError(NOT_A_TABLE)
    return "csv"


def _check_xlsx(source: str | Path | IO[bytes]) -> None:
    refusal = NOT_A_TABLE
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(refusal) from exc
    finally:
        if not isinstance(source, str | Path):
            source.seek(0)
    # (How far it expands, and what else it holds, check_file has checked: qaf.files.)
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ImportFileError(refusal)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(source: str | Path | IO[bytes]) -> Iterable[list[str]]:
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    text = _decode(data, final=True)
    dialect = "excel-tab" if "\t" in text.split("\n", 1)[0] and "," not in text[:200] else "excel"
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        yield [cell.strip() for cell in row]


def _xlsx_rows(source: str | Path | IO[bytes]) -> Iterable[list[Any]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError("The selected Excel file could not be read") from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in row]
    finally:
        workbook.close()


def normalise_header(name: Any) -> str:
    """'CQC Location ID (for office use only)' -> 'cqc location id'."""
    text = re.sub(r"\(for office use only\)", "", str(name or ""), flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", text.replace("\ufeff", "")).strip().casefold()


def read_table(
    source: str | Path | IO[bytes],
    *,
    is_header: Callable[[list[str]], bool] = lambda cells: True,
    file_format: str | None = None,
    header_only: bool = False,
) -> Table:
    """The table of a CSV or XLSX file; the header is the first row that ``is_header`` accepts
    (given the normalised cells) among the first rows, else the first non-blank row.
    ``header_only`` stops after the header (to check a file's columns quickly)."""
    file_format = file_format or sniff(source)
    rows = _xlsx_rows(source) if file_format == "xlsx" else _csv_rows(source)
    header: list[str] | None = None
    first: list[str] | None = None
    data: list[tuple[int, list[Any]]] = []
    searched = 0
    for number, cells in enumerate(rows, start=1):
        if header is None:
            if not any(cell != "" for cell in cells):
                continue
            normalised = [normalise_header(cell) for cell in cells]
            if is_header(normalised):
                header = [str(cell).strip() for cell in cells]
                if header_only:
                    break
                continue
            first = first or [str(cell).strip() for cell in cells]
            searched += 1
            if searched >= HEADER_SEARCH_ROWS:
                break
            continue
        if any(cell != "" for cell in cells):
            data.append((number, cells))
    if header is None:
        if first is None:
            raise ImportFileError("The selected file has no rows")
        # No row looks like the header: report the first row's columns as what was found.
        return Table(header=first, rows=[], file_format=file_format)
    return Table(header=header, rows=data, file_format=file_format)


_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")


def parse_date(value: Any) -> date:
    """A date as people and spreadsheets write it: 14/03/2026, 14/3/2026 or 2026-03-14.

    Regular expressions rather than ``strptime``: a CQC directory has 56,000 of them.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if match := _UK_DATE.fullmatch(text):
            return date(int(match[3]), int(match[2]), int(match[1]))
        if match := _ISO_DATE.fullmatch(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass  # 31/02/2026: numbers in the right places, but no such day
    raise ValueError(f"{text!r} is not a date like 14/03/2026 or 2026-03-14")


def cell_text(value: Any) -> str:
    """A cell as text for reports (the rejected-rows download): dates as 14/03/2026."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)
