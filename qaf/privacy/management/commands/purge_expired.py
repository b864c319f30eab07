"""``manage.py purge_expired [--dry-run] [--today YYYY-MM-DD]``: the nightly retention purge
by hand, or its preview (how many records of each type it would delete)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from qaf.privacy.purge import preview, run_purge
from qaf.privacy.retention import RECORD_TYPES, describe


class Command(BaseCommand):
    help = "Delete the records past their retention period (QAF_RETENTION), or count them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing"
        )
        parser.add_argument("--today", help="The day to purge for (YYYY-MM-DD); today if not given")

    def handle(self, *args, dry_run=False, today=None, **options):
        try:
            day = date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today must be a date like 2026-12-04, not {today!r}") from None
        if dry_run:
            counts = preview(day)
            self.stdout.write(f"Would delete, on {day:%d/%m/%Y}:")
            for record_type in RECORD_TYPES:
                self.stdout.write(
                    f"  {record_type.label} (kept {describe(record_type.period)}): "
                    f"{counts[record_type.name]}"
                )
            return
        run = run_purge(day, wait=True)
        if run.status != run.Status.SUCCEEDED:
            raise CommandError(f"The purge {run.get_status_display().lower()}: {run.errors}")
        self.stdout.write(f"Deleted, on {day:%d/%m/%Y}:")
        for name, n in sorted(run.counts.items()):
            self.stdout.write(f"  {name}: {n}")
