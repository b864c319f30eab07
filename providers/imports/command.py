"""What ``manage.py import_cqc`` and ``import_register`` share: run, print, fail loudly."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from providers.imports import ImportFileError, run_import
from providers.imports.files import MAX_BYTES, sniff


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument(
            "--partial",
            action="store_true",
            help="import the valid rows even if some rows are rejected (otherwise a file "
            "with a rejected row saves nothing)",
        )

    def handle(self, *args, file: str, partial: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MB")
        try:
            file_format = sniff(path)
            result = run_import(self.kind, path, partial=partial, file_format=file_format)
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        for line in result.summary_lines():
            self.stdout.write(line)
        if result.rejected:
            self.stdout.write("Rejected rows:")
            for rejected in result.rejected:
                self.stdout.write(f"  row {rejected.row}: {rejected.reason}")
        if result.blocked:
            raise CommandError(
                f"{len(result.rejected)} rows were rejected, so nothing was saved "
                "(use --partial to import the valid rows)"
            )
        self.stdout.write(self.style.SUCCESS("Import saved."))
