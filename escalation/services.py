"""Every step of a suspension, with its actor, for pages and the API alike (STYLE habit 1).

Proposing creates the suspension; every later step is a row of ``escalation.workflows``
applied by ``qaf.workflow``: ``Forbidden`` (403) or ``NotNow`` (409) with a reason, nothing
changed, one winner when two managers click at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from escalation.models import Appeal, Suspension, SuspensionReason
from escalation.workflows import APPEAL, SUSPENSION
from providers.models import Service
from qaf.models import User
from qaf.scoping import can
from qaf.workflow import Forbidden, NotNow


def propose(
    service: Service,
    *,
    actor: User,
    restriction: str,
    reasons: Iterable[str],
    actions_required: str,
    restriction_details: str = "",
    other_reason: str = "",
    minimum_months: int | None = None,
) -> Suspension:
    """An officer's or manager's proposal, waiting for another manager's decision."""
    if not can(actor, "add", Suspension):
        raise Forbidden("Only quality officers and managers propose suspensions.")
    reasons = list(dict.fromkeys(reasons))
    if any(r not in SuspensionReason.values for r in reasons):
        raise NotNow("Choose the reasons from the list.")
    with transaction.atomic():
        # Lock the service: two proposals at once make one (the other is told why).
        Service.objects.select_for_update().get(pk=service.pk)
        if Suspension.objects.open().filter(service=service).exists():
            raise NotNow("This service already has a suspension proposed or in force.")
        suspension = Suspension(
            service=service,
            restriction=restriction,
            restriction_details=restriction_details.strip(),
            reasons=reasons,
            other_reason=other_reason.strip(),
            actions_required=actions_required.strip(),
            minimum_months=minimum_months,
            proposed_by=actor,
        )
        suspension._history_user = actor
        suspension.full_clean()
        suspension.save()
    return suspension


def take_step(suspension: Suspension, action: str, *, actor: User, **params) -> Suspension:
    """Any step of the suspension's table by its name (approve, reject, propose-lift, ...)."""
    SUSPENSION.apply(suspension, action, actor=actor, **params)
    return suspension


def approve(suspension, *, actor, comment: str = "", today: date | None = None):
    return take_step(suspension, "approve", actor=actor, comment=comment, today=today)


def reject(suspension, *, actor, comment: str, today: date | None = None):
    return take_step(suspension, "reject", actor=actor, comment=comment, today=today)


def propose_lift(suspension, *, actor, reason: str, today: date | None = None):
    return take_step(suspension, "propose-lift", actor=actor, reason=reason, today=today)


def approve_lift(suspension, *, actor, comment: str = "", today: date | None = None):
    return take_step(suspension, "approve-lift", actor=actor, comment=comment, today=today)


def reject_lift(suspension, *, actor, comment: str, today: date | None = None):
    return take_step(suspension, "reject-lift", actor=actor, comment=comment, today=today)


def appeal(suspension: Suspension, *, actor: User, text: str, evidence: Iterable = ()) -> Appeal:
    """The provider's appeal, in the portal, with files from its own library."""
    files = list(evidence)
    if any(e.provider_id != suspension.service.provider_id for e in files):
        refusal = SUSPENSION.refusal(suspension, "appeal", actor)
        raise refusal or Forbidden("Only evidence from your own library can go with an appeal.")
    return SUSPENSION.apply(suspension, "appeal", actor=actor, text=text, evidence=files).result


def decide_appeal(
    appeal: Appeal, *, actor: User, outcome: str, reason: str, today: date | None = None
) -> Appeal:
    """Upheld: the suspension ends (placements open again); refused: it stands. A letter says
    which, either way."""
    APPEAL.apply(appeal, "decide", actor=actor, outcome=outcome, reason=reason, today=today)
    return appeal
