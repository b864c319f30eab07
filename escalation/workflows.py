"""Suspensions and their appeals as workflow tables (qaf.workflow; SPEC §6 "Suspension",
source 000 §8 and 003 §2.5-2.6).

Four eyes: the manager who approves or rejects a suspension is not the one who proposed it,
lifting is approved by someone other than who proposed the lifting, and an appeal is decided by
a manager other than the one who approved the suspension. Approving sets the service's
commissioning status and issues the letter in the same transaction; lifting and an upheld
appeal set it back to open.
"""

from __future__ import annotations

from escalation import appeals
from escalation.models import (
    IN_FORCE,
    Appeal,
    AppealStatus,
    Restriction,
    Suspension,
    SuspensionStatus,
)
from providers.models import CommissioningStatus, Service
from qaf.models import record_update
from qaf.workflow import Step, Transition, Workflow

S = SuspensionStatus
MANAGERS_ONLY = appeals.MANAGERS_ONLY
PROVIDER_ONLY = "Only the provider's own users appeal its suspension."
# Source 000 §8: "The provider can appeal the suspension by writing to the Commercial and Quality
# Assurance Manager for review" (or in the portal).
APPEAL_CONTACT = "the Commercial and Quality Assurance Manager"

STATUS_FOR = {
    Restriction.NO_NEW_PLACEMENTS: CommissioningStatus.SUSPENDED,
    Restriction.RESTRICTED_PLACEMENTS: CommissioningStatus.RESTRICTED,
}


# --- Who: four eyes -----------------------------------------------------------------------------


def _not_the_proposer(step: Step):
    if step.actor.pk == step.obj.proposed_by_id:
        return "Nobody approves or rejects their own proposal: another manager decides it."
    return None


def _not_the_lift_proposer(step: Step):
    if step.actor.pk == step.obj.lift_proposed_by_id:
        return "Nobody decides their own proposal to lift a suspension: another manager does."
    return None


def _not_the_approver(step: Step):
    if step.actor.pk == step.parent.decided_by_id:
        return "The manager who approved the suspension does not decide the appeal against it."
    return None


# --- Guards and checks --------------------------------------------------------------------------


def _reason_for_rejecting(step: Step):
    return None if step.text("comment") else "Say why the suspension is not approved."


def _reason_for_lifting(step: Step):
    if step.text("reason"):
        return None
    until = step.obj.minimum_until
    if until and step.today < until:
        return (
            f"The suspension's minimum period runs until {until:%-d %B %Y}: give the reason for "
            "lifting it before then."
        )
    return "Say how the actions required are met, or why it should be lifted."


def _reason_for_not_lifting(step: Step):
    return None if step.text("comment") else "Say why the suspension is not lifted."


def _no_appeal_waiting(step: Step):
    if step.facts["appeal_waiting"]:
        return "An appeal against this suspension is already waiting for a decision."
    return None


# --- Effects --------------------------------------------------------------------------------------


def _set_commissioning_status(service: Service, status: str, actor) -> None:
    """The service follows its suspension (SPEC §9: read-only elsewhere), with its history row."""
    Service.objects.filter(pk=service.pk).update(commissioning_status=status)
    record_update(service, actor, "commissioning_status")


def _decommissioned(service: Service) -> bool:
    """A revoked service stays decommissioned whatever its suspensions do
    (escalation.revocation_workflows); an upheld appeal against the revocation works out its
    status from the suspension in force then."""
    current = Service.objects.filter(pk=service.pk).values_list("commissioning_status", flat=True)
    return current.first() == CommissioningStatus.DECOMMISSIONED


def _suspension_in_force(step: Step) -> None:
    suspension = step.obj
    if not _decommissioned(suspension.service):
        _set_commissioning_status(
            suspension.service, STATUS_FOR[suspension.restriction], step.actor
        )


def _placements_open_again(step: Step) -> None:
    if not _decommissioned(step.obj.service):
        _set_commissioning_status(step.obj.service, CommissioningStatus.OPEN, step.actor)


def _people(suspension: Suspension, service) -> dict:
    return {"provider": service.provider.name, "service": service.name}


def _issue_suspension_letter(step: Step) -> None:
    """Source 000 §8: the reasons, the actions required to end it and how to appeal."""
    from escalation import letters as kinds
    from qaf import letters

    suspension, service = step.obj, step.obj.service
    letters.issue_letter(
        kinds.SUSPENSION,
        suspension,
        actor=step.actor,
        today=step.today,
        context={
            **_people(suspension, service),
            "service_address": ", ".join(filter(None, [service.address, service.postcode])),
            "restriction": suspension.get_restriction_display().lower(),
            "restriction_details": suspension.restriction_details,
            "reasons": suspension.reason_labels,
            "actions_required": suspension.actions_required,
            "minimum_until": suspension.minimum_until,
            "date": step.today,
            "proposed_by": str(suspension.proposed_by),
            "approved_by": str(step.actor),
            "approved_by_title": step.actor.job_title,
            "appeal_contact": APPEAL_CONTACT,
        },
    )


def _issue_lifting_letter(step: Step) -> None:
    from escalation import letters as kinds
    from qaf import letters

    suspension = step.obj
    letters.issue_letter(
        kinds.SUSPENSION_LIFTED,
        suspension,
        actor=step.actor,
        today=step.today,
        context={
            **_people(suspension, suspension.service),
            "date": step.today,
            "restriction": suspension.get_restriction_display().lower(),
            "lifted_reason": suspension.lift_reason,
            "approved_by": str(step.actor),
            "approved_by_title": step.actor.job_title,
        },
    )


def _issue_appeal_letter(step: Step) -> None:
    from escalation import letters as kinds
    from qaf import letters

    suspension, appeal = step.parent, step.obj
    upheld = appeal.status == AppealStatus.UPHELD
    letters.issue_letter(
        kinds.APPEAL_OUTCOME,
        suspension,
        actor=step.actor,
        today=step.today,
        context={
            **_people(suspension, suspension.service),
            "date": step.today,
            "outcome": "upheld" if upheld else "refused",
            "decision_reason": appeal.decision_reason,
            "decided_by": str(step.actor),
            "decided_by_title": step.actor.job_title,
            "consequence": kinds.appeal_consequence(upheld=upheld, service=suspension.service.name),
        },
    )


SUSPENSION = Workflow(
    Suspension,
    name="suspension",
    url_name="escalation:suspension_step",
    forbidden="Only quality officers and managers propose suspensions and their lifting.",
    facts={"appeal_waiting": lambda s: s.appeals.filter(status=AppealStatus.PENDING).exists()},
    tags={
        S.PROPOSED: "yellow",
        S.REJECTED: "grey",
        S.ACTIVE: "red",
        S.LIFT_PROPOSED: "orange",
        S.LIFTED: "green",
        S.OVERTURNED: "green",
    },
    transitions=[
        Transition(
            "approve",
            source={S.PROPOSED},
            target=S.ACTIVE,
            permission="change_commissioning_status",
            forbidden=MANAGERS_ONLY,
            who=_not_the_proposer,
            changes=lambda step: {
                "decided_by": step.actor,
                "decided_on": step.today,
                "decision_comment": step.text("comment"),
            },
            effects=(_suspension_in_force, _issue_suspension_letter),
            title="Approve the suspension",
            label="Approve",
            button="Approve the suspension",
            style="primary",
        ),
        Transition(
            "reject",
            source={S.PROPOSED},
            target=S.REJECTED,
            permission="change_commissioning_status",
            forbidden=MANAGERS_ONLY,
            who=_not_the_proposer,
            checks=(_reason_for_rejecting,),
            changes=lambda step: {
                "decided_by": step.actor,
                "decided_on": step.today,
                "decision_comment": step.text("comment"),
            },
            title="Do not approve the suspension",
            label="Reject",
            button="Reject the proposal",
            style="warning",
        ),
        Transition(
            "propose-lift",
            source={S.ACTIVE},
            target=S.LIFT_PROPOSED,
            checks=(_reason_for_lifting,),
            changes=lambda step: {
                "lift_proposed_by": step.actor,
                "lift_reason": step.text("reason"),
                "lift_decided_by": None,
                "lift_comment": "",
            },
            title="Propose lifting the suspension",
            label="Propose lifting it",
            button="Propose lifting it",
        ),
        Transition(
            "approve-lift",
            source={S.LIFT_PROPOSED},
            target=S.LIFTED,
            permission="change_commissioning_status",
            forbidden=MANAGERS_ONLY,
            who=_not_the_lift_proposer,
            changes=lambda step: {
                "lift_decided_by": step.actor,
                "lift_comment": step.text("comment"),
                "ended_on": step.today,
            },
            effects=(_placements_open_again, _issue_lifting_letter),
            title="Lift the suspension",
            label="Approve lifting",
            button="Lift the suspension",
            style="primary",
        ),
        Transition(
            "reject-lift",
            source={S.LIFT_PROPOSED},
            target=S.ACTIVE,
            permission="change_commissioning_status",
            forbidden=MANAGERS_ONLY,
            who=_not_the_lift_proposer,
            checks=(_reason_for_not_lifting,),
            changes=lambda step: {
                "lift_decided_by": step.actor,
                "lift_comment": step.text("comment"),
            },
            title="Keep the suspension in force",
            label="Do not lift it",
            button="Keep it in force",
            style="warning",
        ),
        Transition(
            "appeal",
            source=IN_FORCE,
            permission="appeal",
            forbidden=PROVIDER_ONLY,
            who=appeals.providers_own_user(PROVIDER_ONLY),
            guards=(_no_appeal_waiting,),
            checks=(appeals.appeal_written("Say why the suspension should end."),),
            effects=(appeals.add_appeal(Appeal, "suspension"),),
            state_reason=lambda s: "Only a suspension in force can be appealed.",
            title="Appeal against the suspension",
            label="Appeal",
            button="Send the appeal",
        ),
        # Taken by an upheld appeal (APPEAL "decide"), never from a page of its own.
        Transition(
            "overturn",
            source=IN_FORCE,
            target=S.OVERTURNED,
            permission="change_commissioning_status",
            forbidden=MANAGERS_ONLY,
            changes=lambda step: {"ended_on": step.today},
            effects=(_placements_open_again,),
        ),
    ],
)

APPEAL = appeals.appeal_workflow(
    Appeal,
    name="appeal",
    policy_model="escalation.suspension",
    parent="suspension",
    who=_not_the_approver,
    overturn=lambda: SUSPENSION,
    letter=_issue_appeal_letter,
)
