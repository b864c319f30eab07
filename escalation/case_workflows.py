"""An escalation case as a workflow table on ``EscalationCase.stage`` (qaf.workflow; SPEC §6
"Escalation", source 003 §2.4-2.5, Appendix 1 and Appendix 4).

    informal --record-contact--> informal (the call or meeting, the outcome emailed to the provider)
    informal --advance--> formal (needs the contact; the Quality Improvement Notice)
    formal --advance--> board (the referral: a manager's, with headline concerns and
                               recommendations; the board's 6-month clock starts)
    board --advance--> rectification_notice | final_warning
    rectification_notice --advance--> final_warning
    final_warning --advance--> termination (the service is decommissioned)
    any open stage but informal and termination --de-escalate--> one stage down, with a reason
    any open stage --close--> closed, with a reason

Moving into rectification notice, final warning or termination needs an unused decision of a
quorate board meeting about this case with that outcome (``escalation.board.decision_for``);
the step uses it (once) and records it on its ``CaseMove``, and issues the letter of source 003
Tables 4-5 or §2.5 with the copies the seed names. Leaving final warning (down, or closing)
starts the sustainability review clock: the service's next review is due no later than it
(``risk.schedules``).

Officers and managers run cases; the referral to the board is a manager's (SPEC §1). Every
step writes a ``CaseMove`` (who, when, why, the decision) and the case's history row with the
actor.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils.formats import date_format

from escalation import board
from escalation.deadlines import (
    BOARD_REFERRAL_MONTHS,
    FINAL_WARNING_MONTHS,
    SUSTAINABILITY_REVIEW_MONTHS,
)
from escalation.models import (
    BOARD_DECIDES,
    LADDER,
    OPEN_STAGES,
    BoardDecision,
    CaseMove,
    ContactKind,
    EscalationCase,
    Stage,
)
from providers.models import CommissioningStatus, Service
from qaf import policy
from qaf.models import record_update
from qaf.scoping import can
from qaf.workflow import Step, Transition, Workflow

POLICY_MODEL = "escalation.escalationcase"
CASEWORK_ONLY = "Only quality officers and managers run escalation cases."
MANAGERS_REFER = "Only a quality manager refers a case to the board."

# What advancing from each stage is called, on its button and its page.
ADVANCE_TITLES = {
    Stage.INFORMAL: "Move to the formal stage",
    Stage.FORMAL: "Refer to the board",
    Stage.BOARD: "Issue the notice the board decided",
    Stage.RECTIFICATION_NOTICE: "Issue a Final Warning Notice",
    Stage.FINAL_WARNING: "Terminate: issue a Letter of Termination",
}
# What the board may decide about a case at each stage (board_outcomes), in words.
OUTCOME_LABELS = {
    Stage.RECTIFICATION_NOTICE: "Issue a Rectification Notice",
    Stage.FINAL_WARNING: "Issue a Final Warning Notice",
    Stage.TERMINATION: "Terminate the contract: issue a Letter of Termination",
}
# Source 003 §2.5: "The Board may decide to issue a Rectification Notice or Final Warning
# Notice": from the board stage either; after a rectification notice, a final warning; after a
# final warning, termination.
ADVANCES = {
    Stage.INFORMAL: (Stage.FORMAL,),
    Stage.FORMAL: (Stage.BOARD,),
    Stage.BOARD: (Stage.RECTIFICATION_NOTICE, Stage.FINAL_WARNING),
    Stage.RECTIFICATION_NOTICE: (Stage.FINAL_WARNING,),
    Stage.FINAL_WARNING: (Stage.TERMINATION,),
}
# De-escalating: one stage down. Not from informal (close it instead) nor from termination:
# the Letter of Termination has gone and the service is decommissioned; the case is closed.
DE_ESCALATES = {
    Stage.FORMAL: Stage.INFORMAL,
    Stage.BOARD: Stage.FORMAL,
    Stage.RECTIFICATION_NOTICE: Stage.BOARD,
    Stage.FINAL_WARNING: Stage.RECTIFICATION_NOTICE,
}


def _day(value: date | None) -> str:
    return date_format(value, "j F Y") if value else ""


def advance_target(step: Step) -> str | None:
    """Where ``advance`` goes from here: the stage asked for (``to``); else the one the board
    decided (from the board stage, where it may decide either notice); else the next one."""
    choices = ADVANCES.get(step.state, ())
    wanted = step.params.get("to")
    if not wanted and len(choices) > 1:
        decided = [c for c in choices if step.facts["decisions"][c]["unused"] is not None]
        wanted = decided[0] if decided else None
    wanted = wanted or (choices[0] if choices else None)
    return wanted if wanted in choices else None


def outcomes_for(stage: str) -> list[tuple[str, str]]:
    """What the board may decide about a case at ``stage``: the moves that need its decision."""
    return [(t, OUTCOME_LABELS[t]) for t in ADVANCES.get(stage, ()) if t in BOARD_DECIDES]


# --- Facts: the board's decisions about this case, read once -------------------------------------


def _decisions(case: EscalationCase) -> dict[str, dict]:
    """Per outcome: the unused decision of a quorate meeting, and whether one was used."""
    from django.contrib.contenttypes.models import ContentType

    rows = BoardDecision.objects.filter(
        subject_type=ContentType.objects.get_for_model(EscalationCase),
        subject_id=case.pk,
        outcome__in=BOARD_DECIDES,
        meeting__quorate=True,
    ).order_by("recorded_at", "pk")
    found: dict[str, dict] = {o: {"unused": None, "used": False} for o in BOARD_DECIDES}
    for decision in rows:
        entry = found[decision.outcome]
        if decision.used_at is None:
            entry["unused"] = entry["unused"] or decision
        else:
            entry["used"] = True
    return found


# --- Who -----------------------------------------------------------------------------------------


def _referral_is_a_managers(step: Step):
    if step.state == Stage.FORMAL and not can(step.actor, "refer", POLICY_MODEL):
        return MANAGERS_REFER
    return None


# --- Guards and checks ---------------------------------------------------------------------------


def _a_stage_to_go_to(step: Step):
    if advance_target(step) is None:
        choices = ADVANCES.get(step.state, ())
        return "Choose where the case goes: " + " or ".join(
            str(Stage(c).label).lower() for c in choices
        )
    return None


def _contact_recorded(step: Step):
    if step.state == Stage.INFORMAL and step.obj.contact_on is None:
        return (
            "Record the contact with the provider (the call or informal meeting, and its "
            "outcome) before moving to the formal stage."
        )
    return None


def _papers_for_referral(step: Step):
    if step.state != Stage.FORMAL:
        return None
    missing = [
        label
        for name, label in (
            ("headline_concerns", "the headline concerns"),
            ("recommendations", "the recommendations"),
        )
        if not (step.text(name) or getattr(step.obj, name).strip())
    ]
    if missing:
        return f"A referral to the board needs {' and '.join(missing)} for its papers."
    return None


def _board_decision(step: Step):
    """Source 003 §2.5, Appendix 4 §5: only a quorate board meeting's decision moves a case into
    rectification notice, final warning or termination, and each decision is used once."""
    target = advance_target(step)
    if target not in BOARD_DECIDES:
        return None
    entry = step.facts["decisions"][target]
    if entry["unused"] is not None:
        return None
    what = OUTCOME_LABELS[target].split(":")[0].lower()
    if entry["used"]:
        return (
            f"The board's decision to {what[0].lower() + what[1:]} has been acted on already: "
            "a new decision of a quorate board meeting is needed."
        )
    return (
        f"To {what[0].lower() + what[1:]} the case needs a decision of a quorate board "
        "meeting about it: none is recorded. Put the case on a meeting's agenda; the board "
        "decides at a quorate meeting."
    )


def _contact_given(step: Step):
    if step.params.get("contact_kind") not in ContactKind.values:
        return "Choose whether it was a phone call or an informal meeting."
    day = step.params.get("contact_on")
    if not isinstance(day, date):
        return "Give the date of the contact."
    if day > step.today:
        return "The date of the contact cannot be in the future."
    if day < step.obj.opened_on:
        return f"The contact cannot be before the case was opened ({_day(step.obj.opened_on)})."
    if not step.text("contact_with"):
        return "Say who was spoken to."
    if not step.text("contact_outcome"):
        return "Give the outcome, as it is confirmed to the provider in writing."
    return None


def _reason_given(step: Step):
    return None if step.text("reason") else "Give the reason."


# --- Changes -------------------------------------------------------------------------------------


def _contact(step: Step) -> dict:
    return {
        "contact_kind": step.params["contact_kind"],
        "contact_on": step.params["contact_on"],
        "contact_with": step.text("contact_with"),
        "contact_outcome": step.text("contact_outcome"),
        # Source 003 Appendix 1: "written confirmation of the outcome ... via email", sent now.
        "outcome_confirmed_on": step.today,
    }


def _advance_changes(step: Step) -> dict:
    target = advance_target(step)
    values: dict = {"stage_entered_on": step.today}
    if target == Stage.FORMAL:
        values["notice_issued_on"] = step.today
    elif target == Stage.BOARD:
        values |= {
            "referred_on": step.today,
            "referred_by": step.actor,
            "board_review_due": policy.due_date(BOARD_REFERRAL_MONTHS, step.today),
        }
        for name in ("headline_concerns", "recommendations"):
            if step.text(name):
                values[name] = step.text(name)
    elif target == Stage.RECTIFICATION_NOTICE:
        values["rectification_notice_on"] = step.today
    elif target == Stage.FINAL_WARNING:
        values |= {
            "final_warning_on": step.today,
            # Source 003 Table 5: "within a maximum of six months from being issued".
            "improvement_due": policy.due_date(FINAL_WARNING_MONTHS, step.today),
            # Back in final warning: the review after leaving it is not due any more.
            "sustainability_review_due": None,
        }
    elif target == Stage.TERMINATION:
        values["termination_on"] = step.today
    return values


def _leaving_final_warning(step: Step) -> dict:
    """Source 003 Appendix 4: "Where a provider comes out of 'final warning' ... an automatic
    review in six months to demonstrate sustainability"."""
    if step.state == Stage.FINAL_WARNING:
        return {
            "sustainability_review_due": policy.due_date(SUSTAINABILITY_REVIEW_MONTHS, step.today)
        }
    return {}


def _de_escalate_changes(step: Step) -> dict:
    return {"stage_entered_on": step.today, **_leaving_final_warning(step)}


def _close_changes(step: Step) -> dict:
    return {
        "stage_entered_on": step.today,
        "closed_on": step.today,
        "closed_by": step.actor,
        "closed_at_stage": step.state,
        "close_reason": step.text("reason"),
        **_leaving_final_warning(step),
    }


# --- Effects -------------------------------------------------------------------------------------


def _move(step: Step, action: str, *, to: str, reason: str = "", decision=None) -> CaseMove:
    return CaseMove.objects.create(
        case=step.obj,
        action=action,
        from_stage=step.state_before,
        to_stage=to,
        reason=reason,
        actor=step.actor,
        on=step.today,
        decision=decision,
    )


def _record_contact_move(step: Step) -> None:
    _move(step, "record-contact", to=step.obj.stage, reason=step.obj.contact_outcome)


def _letter_people(case: EscalationCase) -> dict:
    return {"provider": case.service.provider.name, "service": case.service.name}


def _advance_effects(step: Step) -> None:
    case, target = step.obj, step.obj.stage
    decision = None
    if target in BOARD_DECIDES:
        # Under the case's lock: the decision is used once, by this step (a second step at
        # once is refused by the conditional update in use_decision).
        decision = board.use_decision(step.facts["decisions"][target]["unused"], actor=step.actor)
    _move(step, "advance", to=target, reason=step.text("reason"), decision=decision)
    step.result = decision
    if target == Stage.FORMAL:
        _issue_quality_improvement_notice(step)
    elif target == Stage.BOARD:
        meeting = step.params.get("meeting")
        if meeting is not None:
            board.add_to_agenda(meeting, case, actor=step.actor)
    elif target == Stage.RECTIFICATION_NOTICE:
        _issue_rectification_notice(step, decision)
    elif target == Stage.FINAL_WARNING:
        _issue_final_warning(step, decision)
    elif target == Stage.TERMINATION:
        _decommission(step)
        _issue_termination(step, decision)


def _de_escalate_effects(step: Step) -> None:
    _move(step, "de-escalate", to=step.obj.stage, reason=step.text("reason"))
    _review_clock_moved(step)


def _close_effects(step: Step) -> None:
    _move(step, "close", to=Stage.CLOSED, reason=step.text("reason"))
    _review_clock_moved(step)


def _review_clock_moved(step: Step) -> None:
    """The sustainability review is a due date of the service's schedule: re-rate it."""
    if step.state_before == Stage.FINAL_WARNING:
        from risk.signals import mark_services_dirty

        mark_services_dirty([step.obj.service_id])


def _decommission(step: Step) -> None:
    """Source 003 §2.5: the Letter of Termination; the service is decommissioned (its history
    row names who), as a suspension sets the commissioning status."""
    service = step.obj.service
    Service.objects.filter(pk=service.pk).update(
        commissioning_status=CommissioningStatus.DECOMMISSIONED
    )
    record_update(service, step.actor, "commissioning_status")


def _meeting_day(decision) -> date | None:
    from django.utils import timezone

    return timezone.localdate(decision.meeting.starts_at) if decision else None


def _issue(step: Step, key: str, context: dict, **kwargs):
    from qaf import letters

    return letters.issue_letter(
        key,
        step.obj,
        actor=step.actor,
        today=step.today,
        context={**_letter_people(step.obj), "date": step.today, **context},
        **kwargs,
    )


def _issue_quality_improvement_notice(step: Step) -> None:
    from escalation import letters as kinds

    case = step.obj
    lead = case.lead or step.actor
    _issue(
        step,
        kinds.QUALITY_IMPROVEMENT_NOTICE,
        {
            "concerns": case.concerns,
            "contact_on": case.contact_on,
            "lead": lead.get_full_name() or lead.username,
        },
    )


def _issue_rectification_notice(step: Step, decision) -> None:
    from escalation import letters as kinds

    case = step.obj
    _issue(
        step,
        kinds.RECTIFICATION_NOTICE,
        {
            "meeting_date": _meeting_day(decision),
            "concerns": case.headline_concerns or case.concerns,
        },
        copies=kinds.RECTIFICATION_COPIES,
        enclosures=kinds.POLICY_ENCLOSURE,
    )


def _below_good(service: Service) -> str:
    """The key questions rated Requires improvement or Inadequate (source 003 Table 5: "in the
    areas of")."""
    from providers.models import RegulatorRating

    low = {
        str(RegulatorRating.REQUIRES_IMPROVEMENT.label),
        str(RegulatorRating.INADEQUATE.label),
    }
    return ", ".join(q for q, rating in service.key_question_ratings() if rating in low)


def _issue_final_warning(step: Step, decision) -> None:
    from escalation import letters as kinds

    case, service = step.obj, step.obj.service
    _issue(
        step,
        kinds.FINAL_WARNING_NOTICE,
        {
            "inspection_date": service.last_inspection_date,
            "rating": service.get_regulator_rating_display(),
            "areas": _below_good(service),
            "meeting_date": _meeting_day(decision),
            "improvement_due": case.improvement_due,
        },
        copies=kinds.FINAL_WARNING_COPIES,
        enclosures=kinds.POLICY_ENCLOSURE,
    )


def _issue_termination(step: Step, decision) -> None:
    from escalation import letters as kinds

    _issue(
        step,
        kinds.LETTER_OF_TERMINATION,
        {"meeting_date": _meeting_day(decision), "final_warning_on": step.obj.final_warning_on},
        copies=kinds.TERMINATION_COPIES,
    )


def _email_contact_outcome(step: Step) -> None:
    """Source 003 Appendix 1: "The provider will receive written confirmation of the outcome of
    these discussions via email" (after the commit; a mail failure loses only the email)."""
    import logging

    from qaf.pdf import provider_emails

    case = step.obj
    to = provider_emails(case.service.provider_id)
    if not to:
        return
    subject = f"Our discussion about {case.service.name}: the outcome"
    body = (
        f"Hello,\n\nThis confirms the outcome of our {case.get_contact_kind_display().lower()} "
        f"with {case.contact_with} on {_day(case.contact_on)} about the quality of care at "
        f"{case.service.name}:\n\n{case.contact_outcome}\n\n"
        f"If anything here is not as you understood it, please reply to your quality officer.\n"
        f"\n{settings.COUNCIL_NAME}\n"
    )
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in to]
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        logging.getLogger(__name__).exception("Could not email the contact outcome %s", case.pk)


def _with_stage(changes):
    """``changes`` runs before the write: keep the stage the step starts from for the effects
    (the CaseMove's "from")."""

    def wrapped(step: Step) -> dict:
        step.state_before = step.state
        return changes(step)

    return wrapped


CASE = Workflow(
    EscalationCase,
    name="case",
    field="stage",
    policy_model=POLICY_MODEL,
    url_name="escalation:case_step",
    forbidden=CASEWORK_ONLY,
    facts={"decisions": _decisions},
    tags={
        Stage.INFORMAL: "blue",
        Stage.FORMAL: "yellow",
        Stage.BOARD: "purple",
        Stage.RECTIFICATION_NOTICE: "orange",
        Stage.FINAL_WARNING: "red",
        Stage.TERMINATION: "red",
        Stage.CLOSED: "grey",
    },
    transitions=[
        Transition(
            "record-contact",
            source={Stage.INFORMAL},
            permission="act",
            checks=(_contact_given,),
            changes=_with_stage(_contact),
            effects=(_record_contact_move,),
            on_commit=(_email_contact_outcome,),
            state_reason=lambda case: "The contact is recorded at the informal stage.",
            title="Record the contact with the provider",
            label=lambda case: (
                "Change the contact record" if case.contact_on else "Record the contact"
            ),
            button="Record it and email the outcome",
        ),
        Transition(
            "advance",
            source=set(ADVANCES),
            target=lambda step: advance_target(step),
            permission="act",
            who=_referral_is_a_managers,
            guards=(_contact_recorded, _board_decision),
            checks=(_a_stage_to_go_to, _papers_for_referral),
            changes=_with_stage(_advance_changes),
            effects=(_advance_effects,),
            state_reason=lambda case: "A case at this stage goes no further.",
            title="Advance the case",
            label=lambda case: ADVANCE_TITLES.get(case.stage, "Advance"),
            style="primary",
            explain=True,
        ),
        Transition(
            "de-escalate",
            source=set(DE_ESCALATES),
            target=lambda step: DE_ESCALATES[step.state],
            permission="act",
            checks=(_reason_given,),
            changes=_with_stage(_de_escalate_changes),
            effects=(_de_escalate_effects,),
            state_reason=lambda case: (
                "A case at this stage is not de-escalated: close it instead, with the reason."
            ),
            title="De-escalate the case",
            label=lambda case: (
                f"De-escalate to {Stage(DE_ESCALATES[case.stage]).label.lower()}"
                if case.stage in DE_ESCALATES
                else "De-escalate"
            ),
            button="De-escalate",
        ),
        Transition(
            "close",
            source=set(OPEN_STAGES),
            target=Stage.CLOSED,
            permission="act",
            checks=(_reason_given,),
            changes=_with_stage(_close_changes),
            effects=(_close_effects,),
            state_reason=lambda case: "The case is closed already.",
            title="Close the case",
            label="Close the case",
            button="Close the case",
            style="warning",
        ),
    ],
)

assert set(LADDER) == OPEN_STAGES  # the ladder is every open stage
