"""What an import did: counts, rejected rows with reasons, and whether anything was saved."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from providers.imports.files import cell_text

logger = logging.getLogger(__name__)

# One import at a time: a second waits for the first, so it validates against what the first
# saved (pg_advisory_lock; any stable 64-bit number will do).
IMPORT_LOCK_ID = 7_264_101


@contextmanager
def import_lock() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK_ID])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK_ID])


@contextmanager
def one_transaction(result: ImportResult) -> Iterator[None]:
    """The import's writes, all or nothing. The services they change are re-rated when the
    transaction commits (``risk.signals``); should that fail, what was saved stays saved and
    the result says so (the nightly recompute re-rates them)."""
    state = {"committed": False}
    try:
        with transaction.atomic():
            transaction.on_commit(lambda: state.update(committed=True))
            yield
    except Exception:
        if not state["committed"]:
            raise
        logger.exception("An import was saved, but re-rating its services failed")
        result.warning = (
            "The changes were saved, but re-rating the services failed. The nightly "
            "recompute will re-rate them."
        )


@dataclass
class RejectedRow:
    row: int
    reason: str
    values: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason, "values": self.values}


@dataclass
class ImportResult:
    file_kind: str  # "cqc_directory", "cqc_ratings", "cqc_locations" or "register"
    partial: bool = False
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    rating_changes: int = 0
    valid: int = 0  # rows that passed the checks (saved unless the file was blocked)
    saved: bool = False
    rejected: list[RejectedRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    warning: str = ""

    FILE_KINDS = {
        "cqc_directory": "CQC care directory",
        "cqc_ratings": "CQC ratings file",
        "cqc_locations": "CQC HSCA active locations file",
        "register": "council register",
    }

    @property
    def label(self) -> str:
        return self.FILE_KINDS.get(self.file_kind, self.file_kind)

    def reject(self, row: int, reason: str, header: list[str], cells: list[Any]) -> None:
        values = {
            name: cell_text(cells[i] if i < len(cells) else "")
            for i, name in enumerate(header)
            if name
        }
        self.rejected.append(RejectedRow(row=row, reason=reason, values=values))

    @property
    def blocked(self) -> bool:
        """Rows were rejected and the rest were not saved (no ``partial``)."""
        return bool(self.rejected) and not self.partial

    def counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "ignored": self.ignored,
            "valid": self.valid,
            "rejected": len(self.rejected),
            "rating_changes": self.rating_changes,
        }

    def summary_lines(self) -> list[str]:
        lines = [f"{self.label.capitalize()}: {self.total} rows"]
        if self.blocked:
            lines += [
                f"  valid:     {self.valid}",
                f"  rejected:  {len(self.rejected)}",
                "Nothing was saved because rows were rejected. Correct them, or import the "
                "valid rows with --partial.",
            ]
            return lines
        lines += [
            f"  created:   {self.created}",
            f"  updated:   {self.updated}",
            f"  unchanged: {self.unchanged}",
        ]
        if self.ignored:
            lines.append(f"  ignored:   {self.ignored} (population-group ratings)")
        lines.append(f"  rejected:  {len(self.rejected)}")
        if self.rating_changes:
            lines.append(f"Rating changes logged as intelligence: {self.rating_changes}")
        if self.rejected:
            lines.append("The valid rows were saved; the rejected rows were not.")
        if self.warning:
            lines.append(self.warning)
        return lines
