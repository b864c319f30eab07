"""``manage.py early_warning [--date YYYY-MM-DD] [--precision AS_OF [--horizon DAYS]]``: the
nightly early-warning step by hand, or (``--precision``) how often its flags of a past day were
followed by a dated turn for the worse (docs/early-warning.md)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from risk.early_warning_job import nightly
from risk.early_warning_precision import precision


class Command(BaseCommand):
    help = "Recompute every service's early-warning flag, or report the flag's precision."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            default=None,
            help="Compute as if today were this date (YYYY-MM-DD)",
        )
        parser.add_argument(
            "--precision",
            type=date.fromisoformat,
            default=None,
            metavar="AS_OF",
            help="Report (change nothing): the flags as of this day, and what followed",
        )
        parser.add_argument(
            "--horizon", type=int, default=180, help="Days after AS_OF to look for (180)"
        )

    def handle(self, *args, date: date | None, precision: date | None, horizon: int, **options):
        if precision is not None:
            self._report(precision, horizon)
            return
        today = date or timezone.localdate()
        counts = nightly(today)
        self.stdout.write(
            self.style.SUCCESS(
                f"Early warning for {today}: {counts['early_warning_flagged']} flagged, "
                f"{counts['early_warning_raised']} newly raised, "
                f"{counts['early_warning_notifications']} officers told."
            )
        )

    def _report(self, as_of: date, horizon: int) -> None:
        p = precision(as_of, horizon)

        def share(value: float | None) -> str:
            return f"{value:.0%}" if value is not None else "n/a"

        self.stdout.write(
            f"As of {p.as_of}: {p.services} services, {p.flagged} flagged.\n"
            f"Within {p.horizon} days (concern level raised, suspension approved or a review "
            f"rated Red): {p.flagged_then_worse} of the {p.flagged} flagged got worse "
            f"(precision {share(p.precision)}); {p.not_flagged_then_worse} of the "
            f"{p.services - p.flagged} not flagged did ({share(p.base_rate)}); "
            f"{p.flagged_then_worse} of the {p.worse} that got worse were flagged "
            f"(recall {share(p.recall)}).\n"
        )
