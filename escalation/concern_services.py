"""Every decision about a service's concern level, with its actor, for pages and the API alike
(STYLE habit 1).

Each is a step of ``escalation.concern_workflows`` applied by ``qaf.workflow``: ``Forbidden``
(403) or ``NotNow`` (409) with a reason and nothing changed; two managers deciding at once get
one success. A service has no ``ConcernLevel`` row until the first step on it (it is at level
1): the step is checked first on an unsaved row, so a refusal writes nothing, then the row is
made and the step applied on it, locked.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from escalation.concern_workflows import CONCERN, SUGGESTION
from escalation.models import ConcernDecision, ConcernLevel, ConcernSuggestion
from providers.models import Service
from qaf.models import User
from qaf.workflow import Forbidden, NotNow, Step, WorkflowError

__all__ = [
    "Forbidden",
    "NotNow",
    "WorkflowError",
    "approve",
    "concern_of",
    "decide",
    "dismiss",
    "move",
    "propose",
    "reject",
    "take_step",
    "withdraw",
]


def concern_of(service: Service) -> ConcernLevel:
    """The service's row, or an unsaved one at level 1 when nobody has decided anything yet.
    Uses ``service.concern`` when it was read with the service (``select_related``)."""
    try:
        return service.concern
    except ConcernLevel.DoesNotExist:
        return ConcernLevel(service=service)


def take_step(
    service: Service, action: str, *, actor: User, today: date | None = None, **params
) -> Step:
    """Any step of the concern level's table by its name (decide, propose, approve, ...)."""
    concern = concern_of(service)
    refusal = CONCERN.refusal(concern, action, actor, params=params, today=today)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        if concern._state.adding:
            # Two first decisions at once: one row, then the lock serves them one by one.
            ConcernLevel.objects.bulk_create([ConcernLevel(service=service)], ignore_conflicts=True)
            concern = ConcernLevel.objects.get(pk=service.pk)
        step = CONCERN.apply(concern, action, actor=actor, today=today, **params)
    service.concern = step.obj
    return step


def move(
    service: Service,
    action: str,
    *,
    actor: User,
    level: int,
    reason: str,
    suggestion: int | None = None,
    from_level: int | None = None,
    today: date | None = None,
) -> Step:
    """``decide`` or ``propose`` a level, with the reason; ``suggestion`` names the waiting
    suggestion it accepts, ``from_level`` the level the manager saw (refused if it changed)."""
    return take_step(
        service,
        action,
        actor=actor,
        today=today,
        level=level,
        reason=reason,
        suggestion=suggestion,
        from_level=from_level,
    )


def decide(service: Service, *, actor: User, **move_params) -> ConcernDecision:
    """A manager moves the service between levels 1 and 2 (``move``'s parameters)."""
    return move(service, "decide", actor=actor, **move_params).result


def propose(service: Service, *, actor: User, **move_params) -> ConcernLevel:
    """A manager proposes a move to or from level 3: it waits for the board's decision."""
    return move(service, "propose", actor=actor, **move_params).obj


def approve(
    service: Service, *, actor: User, comment: str = "", today: date | None = None
) -> ConcernDecision:
    """Record the board's decision to approve the proposed move (refused without an unused
    decision of a quorate meeting): the service moves."""
    return take_step(service, "approve", actor=actor, today=today, comment=comment).result


def reject(
    service: Service, *, actor: User, reason: str = "", today: date | None = None
) -> ConcernDecision:
    """Record the board's decision not to approve it: the level stays."""
    return take_step(service, "reject", actor=actor, today=today, reason=reason).result


def withdraw(service: Service, *, actor: User, today: date | None = None) -> ConcernLevel:
    return take_step(service, "withdraw", actor=actor, today=today).obj


def dismiss(
    suggestion: ConcernSuggestion, *, actor: User, reason: str, today: date | None = None
) -> ConcernSuggestion:
    """A manager dismisses a nightly suggestion, with the reason (the nightly job does not
    suggest it again while its reasons stay the same)."""
    SUGGESTION.apply(suggestion, "dismiss", actor=actor, today=today, reason=reason)
    return suggestion
