"""Every step of a Quality Improvement Meeting, with its actor, for pages and the API alike
(STYLE habit 1), and what the case page and the lead's queue ask of a case's meetings:
``overdue_actions(case)`` and ``next_qim_deadline(case)``.

Arranging creates the meeting; every later step is a row of ``escalation.qim_workflows``
applied by ``qaf.workflow``: ``Forbidden`` (403) or ``NotNow`` (409) with a reason, nothing
changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from escalation.models import (
    EscalationCase,
    QimAction,
    QimStatus,
    QualityImprovementMeeting,
    Stage,
    Suspension,
)
from escalation.qim_workflows import ACTION, CASEWORK_ONLY, QIM
from qaf.models import Role, User
from qaf.scoping import can
from qaf.workflow import Forbidden, NotNow, WorkflowError

__all__ = [
    "Forbidden",
    "NotNow",
    "WorkflowError",
    "arrange",
    "cancel",
    "chair_candidates",
    "complete_action",
    "decide_position",
    "default_venue",
    "issue_invitation",
    "next_qim_deadline",
    "overdue_actions",
    "qim_history",
    "record_notes",
    "record_suspension",
    "take_step",
]

QIM_POLICY = "escalation.qualityimprovementmeeting"
# A QIM belongs to the formal stage of the Quality Policy or a later one (source 003 Appendix 1).
QIM_STAGES = frozenset(
    {
        Stage.FORMAL,
        Stage.BOARD,
        Stage.RECTIFICATION_NOTICE,
        Stage.FINAL_WARNING,
        Stage.TERMINATION,
    }
)
CHAIR_ROLES = frozenset({Role.OFFICER, Role.MANAGER})
OPEN_MEETINGS = (QimStatus.PLANNED, QimStatus.INVITED)


def default_venue(case: EscalationCase) -> str:
    """ "Held at the provision wherever possible": the service's name and address."""
    service = case.service
    return ", ".join(
        filter(None, [service.name, service.address.replace("\n", ", "), service.postcode])
    )


def chair_candidates():
    """Who may chair: the quality assurance team (officers and managers) with an account."""
    return User.objects.filter(
        is_active=True, provider__isnull=True, roles__overlap=sorted(CHAIR_ROLES)
    ).order_by("last_name", "first_name", "username")


def arrange(
    case: EscalationCase,
    *,
    actor: User,
    starts_at: datetime,
    chair: User,
    venue: str = "",
    other_attendees: str = "",
    required_attendees: str = "",
    follow_up: bool = False,
) -> QualityImprovementMeeting:
    """A meeting for a case at the formal stage or later, planned: its invitation goes next."""
    if not can(actor, "add", QIM_POLICY):
        raise Forbidden(CASEWORK_ONLY)
    if not chair_candidates().filter(pk=chair.pk).exists():
        raise NotNow(
            "The chair is a member of the quality assurance team: an officer or a manager."
        )
    with transaction.atomic():
        locked = EscalationCase.objects.select_for_update().get(pk=case.pk)
        if locked.stage not in QIM_STAGES:
            raise NotNow(
                "A Quality Improvement Meeting is part of the formal stage: move the case to the "
                f"formal stage first (it is {locked.get_stage_display().lower()})."
            )
        qim = QualityImprovementMeeting(
            case=locked,
            follow_up=follow_up,
            starts_at=starts_at,
            venue=venue.strip() or default_venue(locked),
            chair=chair,
            other_attendees=other_attendees.strip(),
            created_by=actor,
        )
        if required_attendees.strip():
            qim.required_attendees = required_attendees.strip()
        qim._history_user = actor
        qim.full_clean()
        qim.save()
    return qim


def take_step(qim: QualityImprovementMeeting, action: str, *, actor: User, **params):
    """Any step of the meeting's table by its name."""
    return QIM.apply(qim, action, actor=actor, **params)


def issue_invitation(qim, *, actor, today: date | None = None):
    """The invitation letter (Table 1) and the agenda (Table 2), to the provider."""
    return take_step(qim, "issue-invitation", actor=actor, today=today)


def record_notes(
    qim: QualityImprovementMeeting,
    *,
    actor: User,
    version: object = None,
    attendees_council: str = "",
    attendees_provider: str = "",
    attendees_other: str = "",
    apologies: str = "",
    points: dict[int, str] | None = None,
    actions: Iterable[dict] = (),
    today: date | None = None,
) -> list[QimAction]:
    """The notes of Table 3 and the new actions (each a dict: item, text, action_by,
    owner_name, owner, due_on); the notes PDF issued. ``version`` is the meeting's version the
    notes were opened at: a save since refuses these (409). Returns the actions made."""
    step = take_step(
        qim,
        "record-notes",
        actor=actor,
        today=today,
        version=version,
        attendees_council=attendees_council,
        attendees_provider=attendees_provider,
        attendees_other=attendees_other,
        apologies=apologies,
        points=dict(points or {}),
        actions=list(actions),
    )
    return step.result


def decide_position(
    qim, *, actor, position: str, share_with_people: bool | None, reason: str, today=None
):
    """Table 1 points 1 and 2: the commissioning position, and whether the concerns are shared
    with the people using the service and their families."""
    return take_step(
        qim,
        "decide-position",
        actor=actor,
        position=position,
        share_with_people=share_with_people,
        reason=reason,
        today=today,
    )


def cancel(qim, *, actor, reason: str):
    return take_step(qim, "cancel", actor=actor, reason=reason)


def record_suspension(qim, *, actor, suspension: Suspension):
    """The suspension proposed because of the position decided at this meeting."""
    return take_step(qim, "record-suspension", actor=actor, suspension=suspension)


def complete_action(action: QimAction, *, actor: User, today: date | None = None) -> QimAction:
    """An officer marks an action done: who and when."""
    ACTION.apply(action, "complete", actor=actor, today=today)
    return action


# --- What the case page and the queue ask -------------------------------------------------------


def overdue_actions(case: EscalationCase, *, today: date | None = None):
    """The case's QIM actions past their date and not done (due today is not overdue)."""
    today = today or timezone.localdate()
    return (
        QimAction.objects.filter(qim__case=case)
        .overdue(today)
        .select_related("qim", "owner")
        .order_by("due_on", "pk")
    )


@dataclass(frozen=True)
class Deadline:
    on: date
    what: str
    url: str
    overdue: bool


def next_qim_deadline(case: EscalationCase, *, today: date | None = None) -> Deadline | None:
    """The case's next QIM date: the earliest of its open actions' dates due (overdue ones
    first of all) and its next meeting not yet held; None when there is neither."""
    today = today or timezone.localdate()
    candidates: list[Deadline] = []
    action = (
        QimAction.objects.filter(qim__case=case)
        .open()
        .select_related("qim")
        .order_by("due_on", "pk")
        .first()
    )
    if action is not None:
        candidates.append(
            Deadline(
                action.due_on,
                f"QIM action due: {action.text[:80]}",
                action.qim.get_absolute_url(),
                action.overdue_on(today),
            )
        )
    meeting = (
        QualityImprovementMeeting.objects.filter(case=case, status__in=OPEN_MEETINGS)
        .order_by("starts_at", "pk")
        .first()
    )
    if meeting is not None:
        candidates.append(
            Deadline(meeting.day, str(meeting), meeting.get_absolute_url(), meeting.day < today)
        )
    return min(candidates, key=lambda d: d.on) if candidates else None


def qim_history(case: EscalationCase, *, today: date | None = None) -> str:
    """The case's QIM history in words, one line a meeting, for the board's papers (source 003
    Appendix 4: "WSC / Safeguarding / QIM history"): date, status, the position decided, and its
    actions (how many, how many done, how many overdue)."""
    from django.db.models import Count, Q
    from django.utils.formats import date_format

    today = today or timezone.localdate()
    qims = (
        QualityImprovementMeeting.objects.filter(case=case)
        .annotate(
            n_actions=Count("actions"),
            n_done=Count("actions", filter=Q(actions__status="done")),
            n_overdue=Count("actions", filter=Q(actions__status="open", actions__due_on__lt=today)),
        )
        .order_by("starts_at", "pk")
    )
    lines = []
    for qim in qims:
        line = f"{date_format(qim.day, 'j F Y')}: {'follow-up ' if qim.follow_up else ''}QIM, "
        line += qim.get_status_display().lower()
        if qim.position:
            shared = "shared" if qim.share_with_people else "not shared"
            line += (
                f"; position: {qim.get_position_display().lower()} (concerns {shared} with the "
                "people supported and their families)"
            )
        if qim.n_actions:
            line += f"; {qim.n_actions} actions, {qim.n_done} done, {qim.n_overdue} overdue"
        lines.append(line + ".")
    return "\n".join(lines) or "No Quality Improvement Meeting."
