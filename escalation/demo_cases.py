"""The demo council's escalation cases (SPEC §9 seed_demo, issue 11 item 7): one at every stage
and one closed, made through the workflow with the dates they would have had, so their letters,
moves and clocks are like real ones:

- informal: a call with the registered manager last week, its outcome confirmed in writing;
- formal: the Quality Improvement Notice issued (Oak Lodge);
- board: referred, on the agenda of next month's meeting;
- rectification notice: decided at the demo's quorate meeting (Sunrise House: ``provider_a``
  sees the letter);
- final warning: the board went straight to a final warning (source 003 §2.5 lets it);
- termination: a final warning eight months ago, decided at a quorate meeting then, and the
  Letter of Termination after the demo's quorate meeting: the service is decommissioned;
- closed: de-escalated and then closed once the improvement was sustained.

A second run changes nothing: a service that has a case is left alone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from escalation import board
from escalation import board_services as meetings
from escalation import case_services as cases
from escalation.demo_board import PLACE, _member
from escalation.models import EscalationCase, MeetingKind, Stage
from providers.models import Service, ServiceType

CONCERNS = (
    "Three medicines errors reported by the provider in two months, a safeguarding concern "
    "about night staffing, and the regulator's latest rating of requires improvement."
)
HEADLINES = (
    "Repeated medicines errors; night staffing below the agreed levels; the regulator found the "
    "service requires improvement in safe and well-led."
)
RECOMMENDATIONS = (
    "Issue a Rectification Notice and keep the suspension of new placements until the next "
    "inspection."
)

# service name (when the demo has it) -> the stage the demo shows there.
NAMED = {"Oak Lodge": Stage.FORMAL, "Sunrise House": Stage.RECTIFICATION_NOTICE}
# The other stages go to care homes of the generated providers, the first free ones by name.
OTHERS = (
    Stage.INFORMAL,
    Stage.BOARD,
    Stage.FINAL_WARNING,
    Stage.TERMINATION,
    Stage.CLOSED,
)


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _services() -> list[tuple[Service, str]]:
    taken = set(EscalationCase.objects.values_list("service_id", flat=True))
    chosen = []
    for name, stage in NAMED.items():
        service = Service.objects.filter(name=name).first()
        if service is not None and service.pk not in taken:
            chosen.append((service, stage))
    if EscalationCase.objects.exists():
        return chosen  # the generated ones were made by an earlier run
    named = set(NAMED)
    free = (
        Service.objects.filter(
            service_type__in=[ServiceType.CARE_HOME, ServiceType.CARE_HOME_NURSING],
            commissioning_status="open",
        )
        .exclude(name__in=named)
        .exclude(provider__name__in=["Sunrise Care Ltd", "Oak Lodge Ltd"])
        .exclude(suspensions__isnull=False)
        .order_by("name")
    )
    chosen.extend(zip(free, OTHERS, strict=False))
    return chosen


def _opened(service: Service, context, days_ago: int) -> EscalationCase:
    staff, today = context["staff"], context["today"]
    day = today - timedelta(days=days_ago)
    case = cases.open_case(
        service, actor=staff["officer"], concerns=CONCERNS, lead=staff["officer"], today=day
    )
    cases.record_contact(
        case,
        actor=staff["officer"],
        contact_kind="call",
        contact_on=day + timedelta(days=2),
        contact_with="The registered manager",
        contact_outcome="The manager agreed the concerns and described the actions started; "
        "the council will watch the medicines audit closely.",
        today=day + timedelta(days=2),
    )
    return case


def _to_formal(case, context, days_ago: int) -> None:
    cases.advance(
        case,
        actor=context["staff"]["manager"],
        reason="The concerns continue after the call: the formal stage.",
        today=context["today"] - timedelta(days=days_ago),
    )


def _refer(case, context, days_ago: int, meeting=None) -> None:
    cases.save_papers(
        case,
        actor=context["staff"]["officer"],
        version=case.version,
        headline_concerns=HEADLINES,
        recommendations=RECOMMENDATIONS,
        market_risk_notes="One of three nursing homes in the area; the others are near capacity.",
    )
    cases.advance(
        case,
        actor=context["staff"]["manager"],
        reason="Improvements were not sustained after the quality improvement meeting.",
        headline_concerns=HEADLINES,
        recommendations=RECOMMENDATIONS,
        meeting=meeting,
        today=context["today"] - timedelta(days=days_ago),
    )


def _decided(case, meeting, outcome: str, context, reason: str) -> None:
    board.record_decision(
        meeting, subject=case, outcome=outcome, reason=reason, actor=context["staff"]["board"]
    )
    cases.advance(
        case,
        actor=context["staff"]["manager"],
        to=outcome,
        reason=reason,
        today=timezone.localdate(meeting.starts_at) + timedelta(days=1),
    )


def _older_quorate_meeting(context, days_ago: int):
    """A quorate meeting eight months ago, for the case that has come all the way."""
    manager, today = context["staff"]["manager"], context["today"]
    held_on = today - timedelta(days=days_ago)
    meeting = meetings.arrange(
        actor=manager, starts_at=_at(held_on), kind=MeetingKind.SCHEDULED, place=PLACE
    )
    meetings.issue_papers(meeting, actor=manager, now=_at(held_on - timedelta(days=8), 9))
    meetings.record_attendance(
        meeting,
        actor=manager,
        present=[_member(context, name) for name in ("board", "board2", "board3")],
        today=held_on,
    )
    return meeting


def seed_cases(context) -> None:
    found = context.get("board_meetings") or {}
    quorate, upcoming = found.get("quorate"), found.get("next")
    made = 0
    for service, stage in _services():
        if quorate is None and stage in {
            Stage.RECTIFICATION_NOTICE,
            Stage.FINAL_WARNING,
            Stage.TERMINATION,
        }:
            continue  # the board's demo made no quorate meeting: nothing can be decided
        made += 1
        if stage == Stage.INFORMAL:
            _opened(service, context, days_ago=9)
            continue
        if stage == Stage.CLOSED:
            case = _opened(service, context, days_ago=160)
            _to_formal(case, context, days_ago=150)
            cases.de_escalate(
                case,
                actor=context["staff"]["manager"],
                reason="The action plan is working: back to informal monitoring.",
                today=context["today"] - timedelta(days=60),
            )
            cases.close(
                case,
                actor=context["staff"]["manager"],
                reason="Improvement sustained for two months and confirmed at a contract visit.",
                today=context["today"] - timedelta(days=20),
            )
            continue
        if stage == Stage.TERMINATION:
            older = _older_quorate_meeting(context, days_ago=240)
            case = _opened(service, context, days_ago=330)
            _to_formal(case, context, days_ago=310)
            _refer(case, context, days_ago=260)
            _decided(
                case,
                older,
                Stage.FINAL_WARNING,
                context,
                "Two inadequate inspections in a row and no sustained improvement.",
            )
            _decided(
                case,
                quorate,
                Stage.TERMINATION,
                context,
                "No sustained improvement within the six months of the final warning.",
            )
            continue
        case = _opened(service, context, days_ago=120)
        _to_formal(case, context, days_ago=100)
        if stage == Stage.FORMAL:
            continue
        if stage == Stage.BOARD:
            _refer(case, context, days_ago=12, meeting=upcoming)
            continue
        _refer(case, context, days_ago=45)
        if stage == Stage.RECTIFICATION_NOTICE:
            _decided(
                case,
                quorate,
                Stage.RECTIFICATION_NOTICE,
                context,
                "A series of requires improvement outcomes and the medicines errors.",
            )
        else:
            _decided(
                case,
                quorate,
                Stage.FINAL_WARNING,
                context,
                "The serious failures of care in the latest inspection and its history.",
            )
    context["created"]["escalation cases"] = made
