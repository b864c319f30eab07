"""``manage.py seed_scale --services N``: synthetic data at scale for benchmarks (SPEC §9).

See ``providers.scale`` for what is made and what is skipped (history rows, re-rating).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from providers import scale


class Command(BaseCommand):
    help = (
        "Load N synthetic services with their providers, reviews and intelligence, fast "
        "(PostgreSQL COPY). Then run recompute_ratings to rate them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--services", type=int, required=True, help="How many services")
        parser.add_argument(
            "--providers", type=int, default=None, help="How many providers (default N/5)"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed: the same seed, the same data"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Remove the synthetic data of an earlier run first",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (never on a live system)",
        )

    def handle(self, *args, services, providers, seed, reset, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_scale fills the register with synthetic data, so it refuses to run when "
                "DEBUG is off. Use --force only on a benchmark or test system."
            )
        if services < 1 or (providers is not None and providers < 1):
            raise CommandError("--services and --providers must be 1 or more.")
        started = time.perf_counter()
        with transaction.atomic():
            if not reset and (existing := scale.synthetic_count()):
                raise CommandError(
                    f"{existing:,} synthetic services are already loaded: add --reset to "
                    "replace them."
                )
            result = scale.seed_scale(
                services, providers, seed=seed, reset=reset, progress=self._progress
            )
            committing = time.perf_counter()
        self._progress("committed", services, time.perf_counter() - committing)
        if result.removed:
            removed = ", ".join(f"{n:,} {name}" for name, n in result.removed.items())
            self.stdout.write(f"Removed the earlier synthetic data: {removed}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {services:,} synthetic services in {time.perf_counter() - started:.1f} s."
            )
        )
        self.stdout.write("Run manage.py recompute_ratings to rate them.")

    def _progress(self, name: str, count: int, seconds: float) -> None:
        self.stdout.write(f"  {name:<22} {count:>9,} in {seconds:5.1f} s")
