"""``manage.py sync_cqc``: the CQC change sync (providers.cqc_sync), in process, by hand."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from providers import cqc_sync
from risk.models import JobRun


class Command(BaseCommand):
    help = (
        "Read the locations CQC changed since the last run and record new ratings, "
        "deregistrations and predecessor locations on the matching services."
    )

    def handle(self, *args, **options):
        if not cqc_sync.enabled():
            raise CommandError(
                "The CQC change sync is off: set QAF_CQC_SUBSCRIPTION_KEY to a key of CQC's "
                "public API."
            )
        run = cqc_sync.run_by_hand()
        counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in run.counts.items())
        if run.status == JobRun.Status.SUCCEEDED:
            self.stdout.write(self.style.SUCCESS(f"Synced from CQC: {counts or 'nothing new'}."))
        elif run.status == JobRun.Status.SKIPPED:
            raise CommandError("Another CQC sync is in progress; nothing was done.")
        else:
            raise CommandError(f"The CQC sync failed: {run.errors.splitlines()[0]}")
