"""Revocations and their appeals as workflow tables (qaf.workflow; SPEC §6 "Revocation", source
000 §8 and 003 §2.4-2.5).

Source 000 §8, rule by rule:

- "This decision will only be taken after exhausting all other options": the proposal says
  which were tried (``Revocation.options_exhausted``, required), with one of the listed reasons.
- "The process of termination will commence by inviting the provider to meet with the
  Commercial and Quality Support Manager and Commercial and Quality Assurance Manager":
  ``record-meeting`` (date, attendees, outcome) comes before anything else; a meeting is
  recorded once held (not in the future, not before the proposal).
- "If the necessary assurance is not provided during this meeting and intention is to proceed":
  the meeting's outcome either ends the revocation (assured) or sends it to the board.
- The board decides (SPEC §6, issue 11): ``revoke`` and ``not-revoked`` each need an unused
  decision of a quorate meeting about this revocation (``escalation.board.decision_for``),
  used by the step in its transaction (``use_decision``): refused 409 with the reason otherwise.
- "this will be put in writing to the provider along with plans for communicating with
  individuals being supported (and their families as required) and arranging transfer of care":
  ``revoke`` needs both plans and issues the letter (with source 003 §2.5's exception for people
  who choose to stay, and the copies of source 003 Tables 4-5).
- "The provider can appeal the revocation in writing to the Assistant Director of
  Commissioning": ``appeal`` (the provider's own users, once), decided by a manager other than
  the one who revoked; upheld, the revocation is overturned.

When is the service decommissioned? At the letter, the ``revoke`` step: source 000 §8 has the
council "terminate current placements" once "put in writing to the provider", and source 003
§2.5 ends the process with "We will issue a Letter of Termination". The board's decision alone
changes nothing for the provider until it is written to, and the appeal does not suspend it
(the seeds give no appeal period, and the people supported are at risk of harm): an upheld
appeal restores the status the service would have without it (its suspension's, if one is in
force, else open).
"""

from __future__ import annotations

from django.utils import timezone

from escalation import appeals
from escalation.board import decision_for, use_decision
from escalation.models import (
    MeetingOutcome,
    Revocation,
    RevocationAppeal,
    RevocationAppealStatus,
    RevocationStatus,
)
from escalation.models.revocation import UNDECIDED
from escalation.workflows import _set_commissioning_status
from providers.models import CommissioningStatus
from qaf.workflow import Step, Transition, Workflow

R = RevocationStatus
A = RevocationAppealStatus
MANAGERS_ONLY = appeals.MANAGERS_ONLY
PROVIDER_ONLY = "Only the provider's own users appeal its revocation."
CASEWORK_ONLY = "Only quality officers and managers work on revocations."
REVOKE, DO_NOT_REVOKE = "revoke", "do_not_revoke"


# --- Who --------------------------------------------------------------------------------------


def _not_the_revoker(step: Step):
    if step.actor.pk == step.parent.decided_by_id:
        return "The manager who revoked the service does not decide the appeal against it."
    return None


# --- Guards: the board's decision ---------------------------------------------------------------


def _board_decided(outcome: str, words: str):
    def guard(step: Step):
        if decision_for(step.obj, outcome) is None:
            return (
                f"The board has not decided {words}: put the revocation on a board meeting's "
                "agenda and record the decision of the quorate meeting first."
            )
        return None

    return guard


def _no_appeal_yet(step: Step):
    if step.facts["appealed"]:
        return "The provider has appealed against this revocation already."
    return None


# --- Checks: what the user sent -----------------------------------------------------------------


def _meeting_recorded(step: Step):
    when = step.params.get("meeting_on")
    if not when:
        return "Give the date of the meeting with the provider."
    if when > step.today:
        return "Record the meeting once it has been held: its date is in the future."
    if when < step.obj.proposed_on:
        return (
            f"The meeting is about this proposal, made on {step.obj.proposed_on:%-d %B %Y}: "
            "its date cannot be earlier."
        )
    if not step.text("attendees"):
        return "Say who attended the meeting."
    if step.params.get("outcome") not in MeetingOutcome.values:
        return "Choose the outcome of the meeting."
    return None


def _plans_written(step: Step):
    if not step.text("people_plan"):
        return "Write the plan for telling the people supported and their families."
    if not step.text("transfer_plan"):
        return "Write the plan for transferring their care to other providers."
    return None


def _reason_given(step: Step):
    return None if step.text("reason") else "Give the reason."


# --- Changes and effects ------------------------------------------------------------------------


def _meeting(step: Step) -> dict:
    return {
        "meeting_on": step.params["meeting_on"],
        "meeting_attendees": step.text("attendees"),
        "meeting_outcome": step.params["outcome"],
        "meeting_notes": step.text("notes"),
        "meeting_recorded_by": step.actor,
        **({"ended_on": step.today} if step.params["outcome"] == MeetingOutcome.ASSURED else {}),
    }


def _after_meeting(step: Step) -> str:
    return R.WITH_BOARD if step.params["outcome"] == MeetingOutcome.PROCEED else R.ASSURANCE_GIVEN


def _board_decision(outcome: str, **more):
    def changes(step: Step) -> dict:
        step.result = decision_for(step.obj, outcome)
        values = {
            "board_decision": step.result,
            "decided_by": step.actor,
            "decided_on": step.today,
        }
        if outcome == DO_NOT_REVOKE:
            values["ended_on"] = step.today
        else:
            values |= {
                "people_plan": step.text("people_plan"),
                "transfer_plan": step.text("transfer_plan"),
                "previous_status": step.obj.service.commissioning_status,
            }
        return values

    return changes


def _use_the_decision(step: Step) -> None:
    use_decision(step.result, actor=step.actor)


def _decommission(step: Step) -> None:
    _set_commissioning_status(step.obj.service, CommissioningStatus.DECOMMISSIONED, step.actor)


def _restore(step: Step) -> None:
    """The status the service would have had without the revocation: its suspension's, if one
    is in force now (it may have been lifted meanwhile), else open. ``previous_status`` keeps
    what it was at the letter."""
    from escalation.models import Suspension
    from escalation.workflows import STATUS_FOR

    service = step.obj.service
    suspension = Suspension.objects.in_force().filter(service=service).first()
    status = STATUS_FOR[suspension.restriction] if suspension else CommissioningStatus.OPEN
    _set_commissioning_status(service, status, step.actor)


def _copies() -> list[str]:
    """The provider's users, and the board's members (the copies of source 003 Tables 4-5)."""
    from escalation.models import BoardMember

    return list(
        BoardMember.objects.filter(active=True, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )


def _issue_revocation_letter(step: Step) -> None:
    from escalation import letters as kinds
    from qaf import letters
    from qaf.pdf import provider_emails

    revocation = Revocation.objects.select_related("service__provider").get(pk=step.obj.pk)
    service = revocation.service
    decision = step.result
    letters.issue_letter(
        kinds.REVOCATION,
        revocation,
        actor=step.actor,
        today=step.today,
        recipients=list(dict.fromkeys([*provider_emails(service.provider_id), *_copies()])),
        context={
            "provider": service.provider.name,
            "service": service.name,
            "service_address": ", ".join(filter(None, [service.address, service.postcode])),
            "reasons": revocation.reason_labels,
            "details": revocation.details,
            "meeting_on": revocation.meeting_on,
            "board_meeting_on": timezone.localdate(decision.meeting.starts_at),
            "date": step.today,
            "people_plan": revocation.people_plan,
            "transfer_plan": revocation.transfer_plan,
            "exception": kinds.REVOCATION_EXCEPTION,
            "appeal_contact": kinds.REVOCATION_APPEAL_CONTACT,
            "decided_by": str(step.actor),
            "decided_by_title": step.actor.job_title,
            "copies": kinds.REVOCATION_COPIES,
        },
    )


def _issue_appeal_letter(step: Step) -> None:
    from escalation import letters as kinds
    from qaf import letters

    revocation, appeal = step.parent, step.obj
    upheld = appeal.status == A.UPHELD
    letters.issue_letter(
        kinds.REVOCATION_APPEAL_OUTCOME,
        revocation,
        actor=step.actor,
        today=step.today,
        context={
            "provider": revocation.service.provider.name,
            "service": revocation.service.name,
            "date": step.today,
            "outcome": "upheld" if upheld else "refused",
            "decision_reason": appeal.decision_reason,
            "decided_by": str(step.actor),
            "decided_by_title": step.actor.job_title,
            "consequence": kinds.revocation_appeal_consequence(
                upheld=upheld, service=revocation.service.name
            ),
        },
    )


REVOCATION = Workflow(
    Revocation,
    name="revocation",
    url_name="revocation:step",
    forbidden=CASEWORK_ONLY,
    facts={"appealed": lambda r: RevocationAppeal.objects.filter(revocation=r).exists()},
    tags={
        R.PROPOSED: "yellow",
        R.WITH_BOARD: "orange",
        R.ASSURANCE_GIVEN: "green",
        R.WITHDRAWN: "grey",
        R.NOT_REVOKED: "green",
        R.REVOKED: "red",
        R.OVERTURNED: "green",
    },
    transitions=[
        Transition(
            "record-meeting",
            source={R.PROPOSED},
            target=_after_meeting,
            checks=(_meeting_recorded,),
            changes=_meeting,
            title="Record the meeting with the provider",
            label="Record the meeting",
            button="Record the meeting",
            style="primary",
        ),
        Transition(
            "revoke",
            source={R.WITH_BOARD},
            target=R.REVOKED,
            permission="change_commissioning_status",
            forbidden=MANAGERS_ONLY,
            guards=(_board_decided(REVOKE, "to revoke"),),
            checks=(_plans_written,),
            changes=_board_decision(REVOKE),
            effects=(_use_the_decision, _decommission, _issue_revocation_letter),
            explain=True,
            title="Revoke: write to the provider",
            label="Revoke and write to the provider",
            button="Revoke and issue the letter",
            style="warning",
        ),
        Transition(
            "not-revoked",
            source={R.WITH_BOARD},
            target=R.NOT_REVOKED,
            permission="change_commissioning_status",
            forbidden=MANAGERS_ONLY,
            guards=(_board_decided(DO_NOT_REVOKE, "not to revoke"),),
            changes=_board_decision(DO_NOT_REVOKE),
            effects=(_use_the_decision,),
            title="Record the board's decision not to revoke",
            label="The board decided not to revoke",
            button="Close the revocation",
        ),
        Transition(
            "withdraw",
            source=UNDECIDED,
            target=R.WITHDRAWN,
            checks=(_reason_given,),
            changes=lambda step: {
                "ended_on": step.today,
                "ended_by": step.actor,
                "end_reason": step.text("reason"),
            },
            title="Withdraw the revocation",
            label="Withdraw",
            button="Withdraw it",
            style="warning",
        ),
        Transition(
            "appeal",
            source={R.REVOKED},
            permission="appeal",
            forbidden=PROVIDER_ONLY,
            who=appeals.providers_own_user(PROVIDER_ONLY),
            guards=(_no_appeal_yet,),
            checks=(appeals.appeal_written("Say why the revocation should be overturned."),),
            effects=(appeals.add_appeal(RevocationAppeal, "revocation"),),
            state_reason=lambda r: "Only a revocation in effect can be appealed.",
            title="Appeal against the revocation",
            label="Appeal",
            button="Send the appeal",
        ),
        # Taken by an upheld appeal (REVOCATION_APPEAL "decide"), never from a page of its own.
        Transition(
            "overturn",
            source={R.REVOKED},
            target=R.OVERTURNED,
            permission="change_commissioning_status",
            forbidden=MANAGERS_ONLY,
            changes=lambda step: {"ended_on": step.today},
            effects=(_restore,),
        ),
    ],
)

REVOCATION_APPEAL = appeals.appeal_workflow(
    RevocationAppeal,
    name="revocation appeal",
    policy_model="escalation.revocation",
    parent="revocation",
    who=_not_the_revoker,
    overturn=lambda: REVOCATION,
    letter=_issue_appeal_letter,
)
