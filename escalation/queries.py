"""What waits for whom in the suspension workflow: a manager's decisions (never their own
proposal, nor an appeal against a suspension they approved) and a provider's suspensions in
force. Said once for the home pages and the API."""

from __future__ import annotations

from escalation.models import Appeal, AppealStatus, Suspension, SuspensionStatus
from qaf.scoping import can


def decisions_waiting_for(user) -> dict[str, list]:
    """Proposals, lifting proposals and appeals this manager may decide."""
    if not can(user, "change_commissioning_status", Suspension):
        return {"proposals": [], "lifting": [], "appeals": []}
    rows = Suspension.objects.select_related("service", "proposed_by", "lift_proposed_by")
    return {
        "proposals": list(
            rows.filter(status=SuspensionStatus.PROPOSED).exclude(proposed_by=user)[:20]
        ),
        "lifting": list(
            rows.filter(status=SuspensionStatus.LIFT_PROPOSED).exclude(lift_proposed_by=user)[:20]
        ),
        "appeals": list(
            Appeal.objects.filter(status=AppealStatus.PENDING)
            .exclude(suspension__decided_by=user)
            .select_related("suspension__service")[:20]
        ),
    }


def in_force_for(user):
    """The suspensions in force that this user may see (a provider user: its own)."""
    return Suspension.objects.visible_to(user).in_force().select_related("service").order_by("pk")
