"""Every step of an escalation case, with its actor, for pages and the API alike (STYLE habit 1).

Opening creates the case (one open case per service: a friendly refusal under the service's
lock, and the database's constraint behind it); every later step is a row of
``escalation.case_workflows.CASE`` applied by ``qaf.workflow``. Editing the board papers is
an edit with the version it started from (``qaf.concurrency``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from escalation.case_workflows import CASE, POLICY_MODEL
from escalation.models import CaseMove, EscalationCase, Stage
from providers.models import Service
from qaf.concurrency import check_version
from qaf.models import User
from qaf.scoping import can
from qaf.workflow import Forbidden, NotNow

ONE_OPEN_CASE = "This service already has an open escalation case: carry on with that one."
# The fields of the board's papers that QAF cannot gather (source 003 Appendix 4).
PAPERS_FIELDS = (
    "headline_concerns",
    "recommendations",
    "annual_spend",
    "market_risk_notes",
    "people_supported_notes",
)


def open_case(
    service: Service,
    *,
    actor: User,
    concerns: str,
    lead: User | None = None,
    today: date | None = None,
) -> EscalationCase:
    """Open a case at the informal stage (source 003 Appendix 1)."""
    if not can(actor, "add", POLICY_MODEL):
        raise Forbidden("Only quality officers and managers open escalation cases.")
    concerns = (concerns or "").strip()
    if not concerns:
        raise NotNow("Say what the quality concerns are.")
    if lead is not None and (lead.is_provider_user or not lead.is_active):
        raise NotNow("The lead is one of the council's officers.")
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            # Lock the service: two people opening a case at once make one.
            Service.objects.select_for_update().get(pk=service.pk)
            if EscalationCase.objects.open().filter(service=service).exists():
                raise NotNow(ONE_OPEN_CASE)
            case = EscalationCase(
                service=service,
                stage=Stage.INFORMAL,
                stage_entered_on=today,
                opened_on=today,
                opened_by=actor,
                concerns=concerns,
                lead=lead or (actor if can(actor, "act", POLICY_MODEL) else None),
            )
            case._history_user = actor
            case.save()
            CaseMove.objects.create(
                case=case,
                action="open",
                from_stage="",
                to_stage=Stage.INFORMAL,
                reason=concerns,
                actor=actor,
                on=today,
            )
    except IntegrityError:
        # The constraint one_open_escalation_case_per_service: a case opened at the same moment.
        raise NotNow(ONE_OPEN_CASE) from None
    return case


def open_case_of(service: Service) -> EscalationCase | None:
    return EscalationCase.objects.open().filter(service=service).first()


def take_step(case: EscalationCase, action: str, *, actor: User, **params) -> EscalationCase:
    """Any step of the case's table by its name."""
    CASE.apply(case, action, actor=actor, **params)
    return case


def record_contact(
    case: EscalationCase,
    *,
    actor: User,
    contact_kind: str,
    contact_on: date,
    contact_with: str,
    contact_outcome: str,
    today: date | None = None,
) -> EscalationCase:
    """The informal stage's call or meeting; the outcome is emailed to the provider."""
    return take_step(
        case,
        "record-contact",
        actor=actor,
        today=today,
        contact_kind=contact_kind,
        contact_on=contact_on,
        contact_with=contact_with,
        contact_outcome=contact_outcome,
    )


def advance(
    case: EscalationCase,
    *,
    actor: User,
    to: str = "",
    reason: str = "",
    headline_concerns: str = "",
    recommendations: str = "",
    meeting=None,
    today: date | None = None,
) -> EscalationCase:
    """One stage up (from the board stage, ``to`` chooses which notice the board decided);
    the referral may name the board meeting whose agenda the case goes on."""
    return take_step(
        case,
        "advance",
        actor=actor,
        today=today,
        to=to,
        reason=reason,
        headline_concerns=headline_concerns,
        recommendations=recommendations,
        meeting=meeting,
    )


def de_escalate(
    case: EscalationCase, *, actor: User, reason: str, today: date | None = None
) -> EscalationCase:
    return take_step(case, "de-escalate", actor=actor, today=today, reason=reason)


def close(
    case: EscalationCase, *, actor: User, reason: str, today: date | None = None
) -> EscalationCase:
    return take_step(case, "close", actor=actor, today=today, reason=reason)


def save_papers(
    case: EscalationCase, *, actor: User, version: object = None, **fields
) -> EscalationCase:
    """The board papers' own text (and the annual spend), from the version the editor started
    from: a save since then refuses this one (``StaleEdit``, 409)."""
    if not can(actor, "change", POLICY_MODEL):
        raise Forbidden("Only quality officers and managers edit a case's papers.")
    unknown = set(fields) - set(PAPERS_FIELDS)
    if unknown:
        raise NotNow(f"Not a field of the papers: {', '.join(sorted(unknown))}.")
    values = {}
    for name, value in fields.items():
        if name == "annual_spend":
            if value is not None and (not isinstance(value, Decimal | int) or value < 0):
                raise NotNow("The annual spend is an amount in pounds, 0 or more.")
            values[name] = value
        else:
            values[name] = str(value or "").strip()
    with transaction.atomic():
        check_version(case, version)
        locked = EscalationCase.objects.select_for_update().get(pk=case.pk)
        if not locked.is_open:
            raise NotNow("The case is closed: its papers are kept as they were.")
        if values:
            EscalationCase.objects.filter(pk=locked.pk).update(
                **values, version=F("version") + 1, updated_at=timezone.now()
            )
            locked.refresh_from_db()
            locked._history_user = actor
            locked.save(update_fields=list(values))
    case.refresh_from_db()
    return case
