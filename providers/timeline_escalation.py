"""The timeline's sources from the escalation app (providers.timeline): suspensions, escalation
cases, concern levels, revocations, the board's decisions and improvement plans. Registered
when ``providers.timeline`` is imported (it imports this module last)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Case, F, OuterRef, Q, Subquery, When
from django.urls import reverse

from providers.models import Service
from providers.timeline import (
    Entry,
    Subject,
    TimelineQuery,
    local_day,
    newest,
    short,
    source,
)
from qaf.scoping import can

# --- Suspensions and their appeals ----------------------------------------------------------


@source("suspensions", "Suspensions and appeals")
def suspensions(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import Appeal, Suspension, SuspensionStatus

    visible = Suspension.objects.restrict(query.user).filter(query.subject.services())
    rows = newest(
        visible.filter(query.period.q("created_at__date", "decided_on", "ended_on")),
        "-created_at",
        "-pk",
        limit=query.limit,
    )
    for s in rows:
        what = s.get_restriction_display()
        common = {"kind": "suspensions", "url": s.get_absolute_url(), "service_id": s.service_id}
        if query.staff:
            yield Entry(
                on=local_day(s.created_at),
                title=f"Suspension proposed: {what}",
                detail=short(s.actions_required),
                at=s.created_at,
                **common,
            )
        if s.decided_on:
            rejected = s.status == SuspensionStatus.REJECTED
            yield Entry(
                on=s.decided_on,
                title=f"Suspension not approved: {what}"
                if rejected
                else f"Suspension in force: {what}",
                detail=short(s.decision_comment) if query.staff else "",
                **common,
            )
        if s.ended_on:
            how = "ended on appeal" if s.status == SuspensionStatus.OVERTURNED else "lifted"
            yield Entry(on=s.ended_on, title=f"Suspension {how}: {what}", **common)
    yield from _appeals(query, Appeal, "suspension", visible, "suspensions")


def _appeals(query: TimelineQuery, model, parent: str, visible, kind: str) -> Iterable[Entry]:
    """A provider's appeals against a suspension or a revocation (``parent``): when each was
    made and when it was decided, linking to what it appealed against."""
    rows = (
        model.objects.visible_to(query.user)
        .filter(**{f"{parent}__in": visible})
        .filter(query.period.q("submitted_at__date", "decided_on"))
        .select_related(parent)
    )
    for appeal in newest(rows, "-submitted_at", "-pk", limit=query.limit):
        against = getattr(appeal, parent)
        common = {"kind": kind, "url": against.get_absolute_url(), "service_id": against.service_id}
        yield Entry(
            on=local_day(appeal.submitted_at),
            title=f"Appeal against the {parent}",
            detail=short(appeal.text),
            at=appeal.submitted_at,
            **common,
        )
        if appeal.decided_on:
            yield Entry(
                on=appeal.decided_on,
                title=f"Appeal decided: {appeal.get_status_display()}",
                detail=short(appeal.decision_reason),
                **common,
            )


# --- Escalation cases and their moves -------------------------------------------------------


# A case's moves that keep its stage, in words.
CASE_STEPS = {"record-contact": "the contact with the provider recorded"}


@source("cases", "Escalation cases")
def cases(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import CaseMove, EscalationCase, Stage

    visible = EscalationCase.objects.restrict(query.user).filter(query.subject.services())
    if not query.staff:
        # A provider's users see their case's stage and dates, never its history or reasons.
        rows = newest(
            visible.filter(query.period.q("opened_on", "closed_on")),
            "-opened_on",
            "-pk",
            limit=query.limit,
        )
        for case in rows:
            common = {
                "kind": "cases",
                "url": case.get_absolute_url(),
                "service_id": case.service_id,
            }
            yield Entry(on=case.opened_on, title="Escalation case opened", **common)
            if case.closed_on:
                yield Entry(on=case.closed_on, title="Escalation case closed", **common)
        return
    moves = (
        CaseMove.objects.filter(case__in=visible)
        .filter(query.period.q("on"))
        .select_related("case")
    )
    for move in newest(moves, "-on", "-at", "-pk", limit=query.limit):
        if not move.from_stage:
            title = f"Escalation case opened: {move.get_to_stage_display().lower()}"
        elif move.to_stage == Stage.CLOSED:
            title = "Escalation case closed"
        elif move.from_stage != move.to_stage:
            title = (
                f"Escalation case moved from {move.get_from_stage_display().lower()} to "
                f"{move.get_to_stage_display().lower()}"
            )
        else:
            title = f"Escalation case: {CASE_STEPS.get(move.action, move.action.replace('-', ' '))}"
        yield Entry(
            on=move.on,
            kind="cases",
            title=title,
            detail=short(move.reason),
            url=move.case.get_absolute_url(),
            service_id=move.case.service_id,
        )


# --- Quality Improvement Meetings ----------------------------------------------------------


@source("meetings", "Quality Improvement Meetings")
def meetings(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import QimStatus, QualityImprovementMeeting

    rows = newest(
        QualityImprovementMeeting.objects.restrict(query.user)
        .filter(query.subject.services("case__service"))
        .filter(query.period.q("starts_at__date"))
        .select_related("case"),
        "-starts_at",
        "-pk",
        limit=query.limit,
    )
    for qim in rows:
        name = "Follow-up QIM" if qim.follow_up else "Quality Improvement Meeting"
        detail = ""
        if query.staff and qim.status == QimStatus.DECIDED:
            detail = short(f"{qim.get_position_display()}: {qim.position_reason}")
        elif query.staff and qim.status == QimStatus.CANCELLED:
            detail = short(qim.cancel_reason)
        yield Entry(
            on=local_day(qim.starts_at),
            kind="meetings",
            title=f"{name}: {qim.get_status_display().lower()}",
            detail=detail,
            url=qim.get_absolute_url(),
            service_id=qim.case.service_id,
            at=qim.starts_at,
        )


# --- Concern levels (the council's internal view) -------------------------------------------


def _sees_concern(user) -> bool:
    return can(user, "view", "escalation.concernlevel")


@source("concern", "Concern levels", shown_to=_sees_concern)
def concern(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import ConcernDecision, DecisionKind

    rows = newest(
        ConcernDecision.objects.visible_to(query.user)
        .filter(query.subject.services())
        .filter(query.period.q("decided_on")),
        "-decided_on",
        "-pk",
        limit=query.limit,
    )
    for decision in rows:
        if decision.kind == DecisionKind.NOT_APPROVED:
            title = (
                f"Concern level {decision.from_level} to {decision.to_level} proposed, not approved"
            )
        else:
            title = f"Concern level {decision.from_level} to {decision.to_level}"
        yield Entry(
            on=decision.decided_on,
            kind="concern",
            title=title,
            detail=short(decision.reason),
            url=reverse("providers:service_detail", args=[decision.service_id]) + "#concern-level",
            service_id=decision.service_id,
        )


# --- Revocations and their appeals ----------------------------------------------------------


@source("revocations", "Revocations and appeals")
def revocations(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import Revocation, RevocationAppeal, RevocationStatus

    visible = Revocation.objects.restrict(query.user).filter(query.subject.services())
    rows = newest(
        visible.filter(query.period.q("proposed_on", "meeting_on", "decided_on", "ended_on")),
        "-proposed_on",
        "-pk",
        limit=query.limit,
    )
    for r in rows:
        common = {"kind": "revocations", "url": r.get_absolute_url(), "service_id": r.service_id}
        if query.staff:
            # Provider users see only what the board decided, never the proposal or meeting.
            yield Entry(
                on=r.proposed_on,
                title="Revocation proposed",
                detail=short(", ".join(r.reason_labels)),
                **common,
            )
            if r.meeting_on:
                yield Entry(
                    on=r.meeting_on,
                    title=f"Meeting with the provider: {r.get_meeting_outcome_display()}",
                    detail=short(r.meeting_notes),
                    **common,
                )
        if r.decided_on:
            yield Entry(
                on=r.decided_on,
                title="Revoked"
                if r.status in (RevocationStatus.REVOKED, RevocationStatus.OVERTURNED)
                else "The board decided not to revoke",
                **common,
            )
        if r.ended_on and (query.staff or r.status == RevocationStatus.OVERTURNED):
            yield Entry(
                on=r.ended_on, title=f"Revocation ended: {r.get_status_display()}", **common
            )
    yield from _appeals(query, RevocationAppeal, "revocation", visible, "revocations")


# --- The board's decisions (staff only) -----------------------------------------------------


def _sees_board(user) -> bool:
    return can(user, "view", "escalation.boardmeeting")


@source("board", "Board decisions", shown_to=_sees_board)
def board(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import BoardDecision, ConcernLevel, EscalationCase, Revocation

    types = ContentType.objects.get_for_models(EscalationCase, Revocation, ConcernLevel)

    def service_of(model):
        return Subquery(model.objects.filter(pk=OuterRef("subject_id")).values("service_id")[:1])

    services = Service.objects.filter(_subject_services(query.subject))
    rows = (
        BoardDecision.objects.visible_to(query.user)
        .annotate(
            about_service=Case(
                When(subject_type=types[EscalationCase], then=service_of(EscalationCase)),
                When(subject_type=types[Revocation], then=service_of(Revocation)),
                When(subject_type=types[ConcernLevel], then=F("subject_id")),
                output_field=BigIntegerField(),
            )
        )
        .filter(about_service__in=services.values("pk"))
        .filter(query.period.q("meeting__starts_at__date"))
        .select_related("meeting")
    )
    names = {
        types[EscalationCase].pk: "escalation case",
        types[Revocation].pk: "revocation",
        types[ConcernLevel].pk: "concern level",
    }
    for decision in newest(rows, "-meeting__starts_at", "-pk", limit=query.limit):
        about = names.get(decision.subject_type_id, "")
        yield Entry(
            on=local_day(decision.meeting.starts_at),
            kind="board",
            title=f"Board decision on the {about}: {decision.outcome.replace('_', ' ')}",
            detail=short(decision.reason),
            url=decision.meeting.get_absolute_url(),
            service_id=decision.about_service,
            at=decision.meeting.starts_at,
        )


def _subject_services(subject: Subject) -> Q:
    if subject.service_id is not None:
        return Q(pk=subject.service_id)
    return Q(provider_id=subject.provider_id)


# --- Improvement plans: the plan, its issues, actions and updates ---------------------------


@source("plans", "Improvement plans")
def plans(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import ImprovementPlan, PlanAction, PlanIssue, PlanUpdate

    visible = ImprovementPlan.objects.restrict(query.user).filter(query.subject.services())
    steps = (
        ("requested_on", "Improvement plan asked for", ""),
        ("submitted_on", "Improvement plan submitted", ""),
        ("returned_on", "Improvement plan returned to the provider", "return_comment"),
        ("accepted_on", "Improvement plan accepted", ""),
        ("closed_on", "Improvement plan closed", ""),
    )
    rows = newest(
        visible.filter(query.period.q(*(name for name, _, _ in steps))),
        "-requested_on",
        "-pk",
        limit=query.limit,
    )
    for plan in rows:
        common = {"kind": "plans", "url": plan.get_absolute_url(), "service_id": plan.service_id}
        for name, title, detail in steps:
            day = getattr(plan, name)
            if day:
                text = short(getattr(plan, detail)) if detail else ""
                if name == "requested_on":
                    text = f"To be submitted by {plan.submit_due:%-d %B %Y}."
                yield Entry(on=day, title=title, detail=text, **common)
    issues = (
        PlanIssue.objects.filter(plan__in=visible)
        .filter(query.period.q("created_at__date"))
        .select_related("plan")
    )
    for issue in newest(issues, "-created_at", "-pk", limit=query.limit):
        yield Entry(
            on=local_day(issue.created_at),
            kind="plans",
            title="Issue added to the improvement plan",
            detail=short(issue.text),
            url=issue.plan.get_absolute_url(),
            service_id=issue.plan.service_id,
            at=issue.created_at,
        )
    actions = (
        PlanAction.objects.filter(plan__in=visible)
        .filter(query.period.q("created_at__date", "verified_on"))
        .select_related("plan")
    )
    for action in newest(actions, "-created_at", "-pk", limit=query.limit):
        common = {
            "kind": "plans",
            "url": action.get_absolute_url(),
            "service_id": action.plan.service_id,
        }
        yield Entry(
            on=local_day(action.created_at),
            title="Action added to the improvement plan",
            detail=short(f"{action.what} (due {action.due_on:%-d %B %Y})"),
            at=action.created_at,
            **common,
        )
        if action.verified_on:
            yield Entry(
                on=action.verified_on, title="Action verified", detail=short(action.what), **common
            )
    updates = (
        PlanUpdate.objects.filter(action__plan__in=visible)
        .filter(query.period.q("created_at__date"))
        .select_related("action__plan")
    )
    for update in newest(updates, "-created_at", "-pk", limit=query.limit):
        yield Entry(
            on=local_day(update.created_at),
            kind="plans",
            title=f"Update on an action: {update.get_status_display().lower()}",
            detail=short(update.text),
            url=update.action.get_absolute_url(),
            service_id=update.action.plan.service_id,
            at=update.created_at,
        )
