"""Demo concern levels for ``seed_demo``: services at each level with their history, a move
to level 3 waiting for ``manager2``, and the nightly check's suggestions waiting.

Every decision goes through the services (``escalation.concern_services``), dated in the past
where the story needs it, so the pages show a real history. A second run finds decisions in
place and only runs the nightly step again, which creates nothing new.
"""

from __future__ import annotations

from datetime import timedelta

from escalation import concern_services as concern
from escalation.concern_job import suggest_levels
from escalation.models import ConcernDecision, ConcernSuggestion
from providers.models import Service


def _first(services, **where) -> Service | None:
    found = sorted(
        (s for s in services if all(getattr(s, k) == v for k, v in where.items())),
        key=lambda s: s.name,
    )
    return found[0] if found else None


def seed(context) -> None:
    today = context["today"]
    maya, mo = context["staff"]["manager"], context["staff"]["manager2"]
    created = context["created"]
    before = ConcernSuggestion.objects.count()
    if not ConcernDecision.objects.exists():
        _seed_decisions(today, maya, mo, context["services"])
        created["concern level decisions"] = ConcernDecision.objects.count()
    suggest_levels(today)
    created["concern level suggestions"] = ConcernSuggestion.objects.count() - before


def _seed_decisions(today, maya, mo, services) -> None:
    days = timedelta(days=1)
    taken = set()

    def pick(**where) -> Service | None:
        service = _first([s for s in services if s.pk not in taken], **where)
        if service is not None:
            taken.add(service.pk)
        return service

    # Level 3: moderate concerns first, then an Inadequate rating: proposed, then approved.
    if service := pick(regulator_rating="inadequate", out_of_area=False):
        concern.decide(
            service,
            actor=maya,
            level=2,
            reason="CQC warning notice on medicines; two complaints about call bells.",
            today=today - 120 * days,
        )
        concern.propose(
            service,
            actor=maya,
            level=3,
            reason="Rated Inadequate at the re-inspection; concerns about staffing persist.",
            today=today - 40 * days,
        )
        concern.approve(
            service,
            actor=mo,
            comment="Agreed at the multi-agency quality review meeting.",
            today=today - 39 * days,
        )
    # Level 1 again after a spell at level 2.
    if service := pick(regulator_rating="good", out_of_area=False):
        concern.decide(
            service,
            actor=maya,
            level=2,
            reason="Several safeguarding concerns about falls in one month.",
            today=today - 300 * days,
        )
        concern.decide(
            service,
            actor=mo,
            level=1,
            reason="Falls audit done, actions completed and verified at a focused visit.",
            today=today - 90 * days,
        )
    # Level 2 with a move to level 3 waiting for a second manager (manager2 approves it).
    if service := pick(regulator_rating="requires_improvement", out_of_area=False):
        concern.decide(
            service,
            actor=mo,
            level=2,
            reason="Rated Requires improvement; the provider's action plan is late.",
            today=today - 60 * days,
        )
        concern.propose(
            service,
            actor=maya,
            level=3,
            reason="No progress against the service improvement plan after two months.",
            today=today - 2 * days,
        )
    # The nightly check today, then a manager accepts one of its suggestions of level 2.
    suggest_levels(today)
    # Level 2, accepting the nightly check's suggestion.
    waiting = (
        ConcernSuggestion.objects.waiting()
        .filter(level=2, from_level=1)
        .exclude(service_id__in=taken)
        .select_related("service")
        .order_by("service__name")
        .first()
    )
    if waiting is not None:
        taken.add(waiting.service_id)
        concern.decide(
            waiting.service,
            actor=mo,
            level=2,
            reason="Agree with the nightly check: active monitoring until the next inspection.",
            suggestion=waiting.pk,
            today=today,
        )
