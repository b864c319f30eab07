"""``manage.py import_outcomes FILE``: record another council's shared outcomes as intelligence
on the matching services (docs/shared-outcomes.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reviews import shared_outcomes as shared


class Command(BaseCommand):
    help = (
        "Import another council's shared-outcomes JSON file: each outcome matched by regulator "
        "id to a service is recorded once, as intelligence on that service. Prints a line a row."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The shared-outcomes JSON file")

    def handle(self, *args, file, **options):
        try:
            with open(file, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            report = shared.import_bytes(raw)
        except shared.OutcomesFileError as exc:
            raise CommandError(str(exc)) from exc
        for row in report.rows:
            self.stdout.write(
                f"{row.row}\t{row.review_id}\t{row.regulator_id}\t{row.label}\t{row.message}"
            )
        counts = ", ".join(
            f"{shared.STATUS_LABELS[status].lower()} {n}" for status, n in report.counts.items()
        )
        self.stdout.write(f"{report.council} (format {report.format_version}): {counts}")
