"""Escalation cases for the demo council (SPEC §9 ``seed_demo``: "an escalation case at each
stage"): ``case_at(service, stage, ...)`` brings a service's case to ``stage`` through the
workflow, as people would (the contact, the referral, the board's decisions recorded at the
quorate demo meeting and used by the steps), so its letters, moves and history are like real
ones. ``seed_cases(context, plan)`` does it for a plan of {service name: stage}, once: a service
that has any case is left alone, so a second run changes nothing.

Not wired into ``seed_demo`` here: the demo's owner calls ``seed_cases`` after the board's
demo (``escalation.demo_board``), with the quorate meeting of ``demo_meetings()``.
"""

from __future__ import annotations

from datetime import date, timedelta

from escalation import board
from escalation import case_services as cases
from escalation.models import EscalationCase, Stage
from providers.models import Service

CONCERNS = (
    "Medicines were not given as prescribed on three occasions in the last quarter, and care "
    "plans were not reviewed after falls."
)
HEADLINE = (
    "Two Requires improvement inspections in a row; medicines errors continue after the "
    "Quality Improvement Meeting."
)
RECOMMENDATIONS = "Issue a Rectification Notice and keep the suspension of new placements."
# The board's decisions on the way to each stage.
DECISIONS = {
    Stage.RECTIFICATION_NOTICE: [Stage.RECTIFICATION_NOTICE],
    Stage.FINAL_WARNING: [Stage.RECTIFICATION_NOTICE, Stage.FINAL_WARNING],
    Stage.TERMINATION: [Stage.RECTIFICATION_NOTICE, Stage.FINAL_WARNING, Stage.TERMINATION],
}


def case_at(
    service: Service,
    stage: str,
    *,
    officer,
    manager,
    meeting=None,
    today: date,
) -> EscalationCase:
    """A case for ``service`` brought to ``stage`` (``closed``: closed from formal).
    The board's stages need ``meeting``: a held, quorate meeting whose decisions authorise
    them."""
    start = today - timedelta(days=60)
    case = cases.open_case(service, actor=officer, concerns=CONCERNS, today=start)
    if stage == Stage.INFORMAL:
        return case
    cases.record_contact(
        case,
        actor=officer,
        contact_kind="call",
        contact_on=start,
        contact_with="The registered manager",
        contact_outcome="The manager agreed to send a medicines action plan within a week.",
        today=start,
    )
    cases.advance(case, actor=officer, today=start + timedelta(days=7))
    if stage in (Stage.FORMAL, Stage.CLOSED):
        if stage == Stage.CLOSED:
            cases.close(
                case,
                actor=officer,
                reason="The action plan is complete and the follow-up visit found it sustained.",
                today=start + timedelta(days=40),
            )
        return case
    cases.advance(
        case,
        actor=manager,
        headline_concerns=HEADLINE,
        recommendations=RECOMMENDATIONS,
        today=start + timedelta(days=14),
    )
    for step, outcome in enumerate(DECISIONS.get(stage, []), start=1):
        board.record_decision(
            meeting,
            subject=case,
            outcome=outcome,
            reason="The improvement expected has not been evidenced.",
            actor=manager,
        )
        cases.advance(case, actor=officer, to=outcome, today=start + timedelta(days=14 + step))
    return case


def seed_cases(context, plan: dict[str, str], *, meeting) -> int:
    """``plan``: service name -> stage. Returns how many cases it made."""
    staff, today = context["staff"], context["today"]
    made = 0
    for name, stage in plan.items():
        service = Service.objects.filter(name=name).first()
        if service is None or EscalationCase.objects.filter(service=service).exists():
            continue
        case_at(
            service,
            stage,
            officer=staff["officer"],
            manager=staff["manager"],
            meeting=meeting,
            today=today,
        )
        made += 1
    context["created"]["escalation cases"] = made
    return made
