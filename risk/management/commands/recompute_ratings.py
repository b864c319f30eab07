"""``manage.py recompute_ratings [--today YYYY-MM-DD]``: the nightly recompute, in process."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from risk.jobs import run_nightly
from risk.models import JobRun


class Command(BaseCommand):
    help = "Re-rate every service and recompute due dates and notifications (the nightly job)."
    done = "Recomputed"

    def job(self, today: date | None) -> JobRun:
        return run_nightly(today)

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Compute as if today were this date (YYYY-MM-DD)",
        )

    def handle(self, *args, today: date | None, **options):
        run = self.job(today)
        counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in run.counts.items())
        if run.status == JobRun.Status.SUCCEEDED:
            self.stdout.write(self.style.SUCCESS(f"{self.done} for {run.for_date}: {counts}."))
        elif run.status == JobRun.Status.SKIPPED:
            raise CommandError("Another run is in progress; nothing was done.")
        else:
            raise CommandError(f"The run failed and changed nothing: {run.errors}")
