"""Every step of a revocation, with its actor, for pages and the API alike (STYLE habit 1).

Proposing creates the revocation; every later step is a row of
``escalation.revocation_workflows`` applied by ``qaf.workflow``: ``Forbidden`` (403) or
``NotNow`` (409) with a reason, nothing changed, one winner when two managers click at once.
Putting it on a board meeting's agenda is ``escalation.board.add_to_agenda``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from escalation.models import Revocation, RevocationAppeal, RevocationReason
from escalation.revocation_workflows import REVOCATION, REVOCATION_APPEAL
from providers.models import CommissioningStatus, Service
from qaf.models import User
from qaf.scoping import can
from qaf.workflow import Forbidden, NotNow

ONE_OPEN = "This service already has a revocation proposed, with the board or in effect."


def propose(
    service: Service,
    *,
    actor: User,
    reasons: Iterable[str],
    details: str,
    options_exhausted: str,
    today: date | None = None,
) -> Revocation:
    """An officer's or manager's proposal: next, the meeting with the provider."""
    if not can(actor, "add", Revocation):
        raise Forbidden("Only quality officers and managers propose a revocation.")
    reasons = list(dict.fromkeys(reasons))
    if any(r not in RevocationReason.values for r in reasons):
        raise NotNow("Choose the reasons from the list.")
    with transaction.atomic():
        # Lock the service: two proposals at once make one (the other is told why).
        locked = Service.objects.select_for_update().get(pk=service.pk)
        if locked.commissioning_status == CommissioningStatus.DECOMMISSIONED:
            raise NotNow("This service is decommissioned already.")
        if Revocation.objects.open().filter(service=service).exists():
            raise NotNow(ONE_OPEN)
        revocation = Revocation(
            service=service,
            reasons=reasons,
            details=details.strip(),
            options_exhausted=options_exhausted.strip(),
            proposed_by=actor,
            proposed_on=today or timezone.localdate(),
        )
        revocation._history_user = actor
        revocation.full_clean()
        try:
            with transaction.atomic():
                revocation.save()
        except IntegrityError as exc:  # pragma: no cover - the lock above serves them in turn
            raise NotNow(ONE_OPEN) from exc
    return revocation


def take_step(revocation: Revocation, action: str, *, actor: User, **params) -> Revocation:
    """Any step of the revocation's table by its name (record-meeting, revoke, withdraw, ...)."""
    REVOCATION.apply(revocation, action, actor=actor, **params)
    return revocation


def record_meeting(
    revocation, *, actor, meeting_on, attendees, outcome, notes="", today=None
) -> Revocation:
    return take_step(
        revocation,
        "record-meeting",
        actor=actor,
        meeting_on=meeting_on,
        attendees=attendees,
        outcome=outcome,
        notes=notes,
        today=today,
    )


def revoke(revocation, *, actor, people_plan, transfer_plan, today=None) -> Revocation:
    return take_step(
        revocation,
        "revoke",
        actor=actor,
        people_plan=people_plan,
        transfer_plan=transfer_plan,
        today=today,
    )


def not_revoked(revocation, *, actor, today=None) -> Revocation:
    return take_step(revocation, "not-revoked", actor=actor, today=today)


def withdraw(revocation, *, actor, reason, today=None) -> Revocation:
    return take_step(revocation, "withdraw", actor=actor, reason=reason, today=today)


def appeal(
    revocation: Revocation, *, actor: User, text: str, evidence: Iterable = ()
) -> RevocationAppeal:
    """The provider's appeal, in the portal, with files from its own library."""
    files = list(evidence)
    if any(e.provider_id != revocation.service.provider_id for e in files):
        refusal = REVOCATION.refusal(revocation, "appeal", actor)
        raise refusal or Forbidden("Only evidence from your own library can go with an appeal.")
    return REVOCATION.apply(revocation, "appeal", actor=actor, text=text, evidence=files).result


def decide_appeal(
    appeal: RevocationAppeal,
    *,
    actor: User,
    outcome: str,
    reason: str,
    today: date | None = None,
) -> RevocationAppeal:
    """Upheld: the revocation is overturned and the service's commissioning status restored;
    refused: it stands. A letter says which, either way."""
    REVOCATION_APPEAL.apply(
        appeal, "decide", actor=actor, outcome=outcome, reason=reason, today=today
    )
    return appeal
