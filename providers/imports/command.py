"""What ``manage.py import_cqc`` and ``import_register`` share: run, print, fail loudly."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from providers.imports import ImportFileError, run_import
from providers.imports.files import check_file


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
        try:
            # The checks of every upload (the size setting, the type, the virus scan).
            with path.open("rb") as handle:
                file_format = check_file(handle, name=path.name)
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
