"""``manage.py seed_demo``: the demo council of SPEC §9, idempotently.

Each app contributes a ``demo.seed(context)`` step, run in order inside one transaction; a step
creates what is missing and leaves what exists alone, so a second run changes nothing.
"""

from __future__ import annotations

import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from escalation import demo as escalation_demo
from escalation import demo_concern
from escalation.demo_board import seed_board
from escalation.demo_cases import seed_cases
from escalation.demo_memo import seed_memo
from escalation.demo_plans import seed_plans
from escalation.demo_qim import seed_qims
from escalation.demo_revocation import seed_revocations
from providers import demo as providers_demo
from providers import demo_cqc
from providers.demo_timeline import seed_timeline
from qaf import demo as people_demo
from reviews import demo as reviews_demo
from reviews import demo_public
from reviews.demo_shared import seed_shared_outcome
from risk import demo_warning

DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the demo, refused in prod

# Ratings follow by themselves: every row saved here re-rates its service when the
# transaction commits (risk.signals).
STEPS = [
    people_demo.seed_staff,
    providers_demo.seed,
    people_demo.seed_provider_users,
    reviews_demo.seed,
    reviews_demo.seed_evidence,
    reviews_demo.seed_live,
    reviews_demo.seed_requests,
    # Another council's outcome on Sunrise House, sent in by its provider (issue 14 item 4).
    seed_shared_outcome,
    # A published summary of the live final review, and a withdrawn one (issue 14 item 5).
    demo_public.seed,
    escalation_demo.seed_suspensions,
    # The board's members and meetings, before the escalation cases and revocations that put
    # items on its agenda and record its decisions (context["board_meetings"]).
    seed_board,
    # An escalation case at every stage (decided at the board's demo meetings).
    seed_cases,
    # Their Quality Improvement Meetings (after the cases).
    seed_qims,
    # A revocation with the board (on the next meeting's agenda) and one revoked, appealed.
    seed_revocations,
    # Improvement plans in every state (one with an overdue action: before the nightly check).
    seed_plans,
    # The nightly check reads what the steps before made (ratings, intelligence, suspensions).
    demo_concern.seed,
    # The memo lists the suspensions the steps before it made (none come after it).
    seed_memo,
    # A care home CQC deregistered and its re-registered successor (issue 14 item 3).
    demo_cqc.seed,
    # Sunrise House's timeline: the kinds of record the steps before left it without.
    seed_timeline,
    # Early warning: a service getting worse before its rating moves; every service
    # checked (last: after every step that adds a service).
    demo_warning.seed,
]


class Command(BaseCommand):
    help = "Create a realistic demo council and the demo users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Password for every demo user"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (never on a live system)",
        )

    def handle(self, *args, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a known password, so it refuses to run when "
                "DEBUG is off. Use --force only on a demo or test system."
            )
        context = {
            "password": password,
            "today": timezone.localdate(),
            "random": random.Random(2026),  # the same demo every time
            "created": {},
        }
        with transaction.atomic():
            for step in STEPS:
                step(context)
        created = {k: v for k, v in context["created"].items() if v}
        if created:
            summary = ", ".join(f"{n} {k}" for k, n in created.items())
            self.stdout.write(self.style.SUCCESS(f"Created {summary}."))
        else:
            self.stdout.write("The demo data was already in place: nothing changed.")
        self.stdout.write(f"\nDemo logins (password: {password})")
        for username, description in people_demo.DEMO_USERS:
            self.stdout.write(f"  {username:<12} {description}")
