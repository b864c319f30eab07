"""Bulk imports into the register (issue 3 item 8; the columns are in docs/imports.md).

- ``cqc.import_cqc``: the CQC care directory and the CQC ratings file, in bulk.
- ``register.import_register``: the council's own register of providers, services, contracts.

Both read CSV or XLSX (``files``), report an ``ImportResult`` (created, updated, unchanged and
rejected rows, each rejection with its row number and reason), save nothing from a file with a
rejected row unless ``partial``, and re-rate the services they change when they commit. The
command line (``manage.py import_cqc`` / ``import_register``) and the upload pages
(``providers.imports.views``, run by the ``providers.run_import`` Celery task) use them.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from providers.imports.files import ImportFileError, ProgressCallback
from providers.imports.result import ImportResult

__all__ = ["ImportFileError", "ImportResult", "check_columns", "run_import"]


def run_import(
    kind: str,
    source: str | Path | IO[bytes],
    *,
    partial: bool = False,
    user=None,
    progress: ProgressCallback | None = None,
    file_format: str | None = None,
) -> ImportResult:
    """Run the import of ``kind`` ("cqc" or "register") on a file."""
    if kind == "cqc":
        from providers.imports.cqc import import_cqc

        return import_cqc(
            source, partial=partial, user=user, progress=progress, file_format=file_format
        )
    if kind == "register":
        from providers.imports.register import import_register

        return import_register(
            source, partial=partial, user=user, progress=progress, file_format=file_format
        )
    raise ValueError(f"Unknown import kind {kind!r}")


def check_columns(kind: str, source: str | Path | IO[bytes], file_format: str) -> str:
    """Read only the header row: the kind of file it is, or ImportFileError saying what is
    missing or unknown."""
    if kind == "cqc":
        from providers.imports import cqc

        return cqc.check_columns(source, file_format)
    from providers.imports import register

    return register.check_columns(source, file_format)
