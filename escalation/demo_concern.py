"""Demo concern levels for ``seed_demo``: services at each level with their history (a move to
level 3 decided by the board at the demo's quorate meeting), a move to level 3 waiting for the
board (on the next meeting's agenda), and the nightly check's suggestions waiting.

Every decision goes through the services (``escalation.concern_services``), dated in the past
where the story needs it, so the pages show a real history. A second run finds decisions in
place and only runs the nightly step again, which creates nothing new.
"""

from __future__ import annotations

from datetime import timedelta

from escalation import board
from escalation import concern_services as concern
from escalation.concern_job import suggest_levels
from escalation.demo_board import demo_meetings
from escalation.models import ConcernDecision, ConcernLevel, ConcernSuggestion

# Each story: a service with this regulator rating (the first by name not yet used), and its
# steps: (action, demo manager, level, reason or comment, days ago).
STORIES = [
    # Level 3: moderate concerns first, then an Inadequate rating, proposed; the board approved
    # it at the quorate meeting (28 days ago) and manager2 recorded it the next day.
    (
        "inadequate",
        [
            ("decide", "manager", 2, "CQC warning notice on medicines; two complaints.", 120),
            ("propose", "manager", 3, "Rated Inadequate at the re-inspection.", 40),
            ("approve", "manager2", None, "Large scale intervention agreed.", 27),
        ],
    ),
    # Level 1 again after a spell at level 2.
    (
        "good",
        [
            ("decide", "manager", 2, "Several safeguarding concerns about falls in a month.", 300),
            ("decide", "manager2", 1, "Falls audit done; actions verified at a visit.", 90),
        ],
    ),
    # Level 2, with a move to level 3 waiting for the board (on the next meeting's agenda).
    (
        "requires_improvement",
        [
            ("decide", "manager2", 2, "Rated Requires improvement; the action plan is late.", 60),
            ("propose", "manager", 3, "No progress against the improvement plan.", 2),
        ],
    ),
]


def seed(context) -> None:
    before = ConcernSuggestion.objects.count()
    if not ConcernDecision.objects.exists():
        _seed_decisions(context)
        context["created"]["concern level decisions"] = ConcernDecision.objects.count()
    suggest_levels(context["today"])
    context["created"]["concern level suggestions"] = ConcernSuggestion.objects.count() - before


def _seed_decisions(context) -> None:
    today, staff = context["today"], context["staff"]
    meetings = context.get("board_meetings") or demo_meetings(context)
    services = sorted((s for s in context["services"] if not s.out_of_area), key=lambda s: s.name)
    used = set()
    for rating, steps in STORIES:
        service = next(
            (s for s in services if s.regulator_rating == rating and s.pk not in used), None
        )
        if service is None:
            continue
        used.add(service.pk)
        for action, manager, level, words, days_ago in steps:
            when, actor = today - timedelta(days=days_ago), staff[manager]
            if action == "approve":
                if meetings.get("quorate") is None:
                    continue
                board.record_decision(
                    meetings["quorate"],
                    subject=ConcernLevel.objects.get(pk=service.pk),
                    outcome="approve",
                    reason=words,
                    actor=staff["manager"],
                )
                concern.approve(service, actor=actor, today=when)
            else:
                concern.move(service, action, actor=actor, level=level, reason=words, today=when)
        row = ConcernLevel.objects.get(pk=service.pk)
        if row.proposed_level is not None and meetings.get("next") is not None:
            board.add_to_agenda(meetings["next"], row, actor=staff["manager"])
    # The nightly check today, then a manager accepts one of its suggestions of level 2.
    suggest_levels(today)
    waiting = (
        ConcernSuggestion.objects.waiting()
        .filter(level=2, from_level=1)
        .exclude(service_id__in=used)
        .select_related("service")
        .order_by("service__name")
        .first()
    )
    if waiting is not None:
        concern.decide(
            waiting.service,
            actor=staff["manager2"],
            level=2,
            reason="Agree with the nightly check: active monitoring until the next inspection.",
            suggestion=waiting.pk,
            today=today,
        )
