"""``manage.py suggest_concern_levels [--today YYYY-MM-DD]``: the nightly job's concern level
step alone (escalation.concern_job), in process, recorded as a job run of its own."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from escalation.concern_job import suggest_levels
from risk.jobs import CONCERN_LEVELS, run_job
from risk.models import JobRun


class Command(BaseCommand):
    help = "Suggest a concern level for every service from its triggers (part of the nightly job)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Suggest as if today were this date (YYYY-MM-DD)",
        )

    def handle(self, *args, today: date | None, **options):
        run = run_job(CONCERN_LEVELS, suggest_levels, today=today)
        counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in run.counts.items())
        if run.status == JobRun.Status.SUCCEEDED:
            self.stdout.write(self.style.SUCCESS(f"Suggested for {run.for_date}: {counts}."))
        elif run.status == JobRun.Status.SKIPPED:
            raise CommandError("Another run is in progress; nothing was done.")
        else:
            raise CommandError(f"The run failed and changed nothing: {run.errors}")
