"""``manage.py suggest_concern_levels [--today YYYY-MM-DD]``: the nightly job's concern level
step alone (escalation.concern_job), in process, recorded as a job run of its own."""

from __future__ import annotations

from datetime import date

from escalation.concern_job import suggest_levels
from risk.jobs import CONCERN_LEVELS, run_job
from risk.management.commands import recompute_ratings
from risk.models import JobRun


class Command(recompute_ratings.Command):
    help = "Suggest a concern level for every service from its triggers (part of the nightly job)."
    done = "Suggested"

    def job(self, today: date | None) -> JobRun:
        return run_job(CONCERN_LEVELS, suggest_levels, today=today)
