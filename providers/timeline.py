"""A service's (or a provider's) timeline (issue 14 item 1): everything that happened, newest
first, from every app's records.

The timeline is a list of SOURCES, one per kind of record. A source is a function of a
``TimelineQuery`` (the user, the subject, the period and a limit) that yields ``Entry``s; it
reads only what ``visible_to(user)``/``restrict(user)`` (qaf.scoping) lets the user see, in one
or two queries whatever the number of rows. Another part adds its records with ``@source``.

A provider user sees their own organisation's entries only, never confidential ones: the
scoping of each model already says so (confidential intelligence, suspension proposals,
revocations before the board's decision, the council's internal records such as ratings,
concern levels and the board's decisions, which their sources leave out for provider users).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Case, F, OuterRef, Q, QuerySet, Subquery, When
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from providers.models import Intelligence, Service
from qaf.models import Document
from qaf.scoping import can

# At most this many entries are read from each source and shown in all (newest first): a
# narrower period reaches further back.
LIMIT = 500
DETAIL_CHARS = 240


@dataclass(frozen=True)
class Subject:
    """One service, or all the services of one provider (with its provider-wide records)."""

    provider_id: int
    service_id: int | None = None

    def services(self, path: str = "service") -> Q:
        """The rows of the subject's service(s), ``path`` leading from a row to its service."""
        if self.service_id is not None:
            return Q(**{f"{path}_id": self.service_id})
        return Q(**{f"{path}__provider_id": self.provider_id})


@dataclass(frozen=True)
class Period:
    """From and to, both days included; either may be open."""

    start: date | None = None
    end: date | None = None

    def q(self, *fields: str) -> Q:
        """Rows with any of ``fields`` (dates; ``x__date`` for a datetime) in the period."""
        if self.start is None and self.end is None:
            return Q()
        found = Q(pk__in=[])
        for name in fields:
            inside = Q()
            if self.start is not None:
                inside &= Q(**{f"{name}__gte": self.start})
            if self.end is not None:
                inside &= Q(**{f"{name}__lte": self.end})
            found |= inside
        return found

    def contains(self, day: date | None) -> bool:
        if day is None:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Entry:
    on: date
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    service_id: int | None = None
    # Never shown to provider users: confidential intelligence and the council's own records.
    confidential: bool = False
    at: datetime | None = None
    # The service's name, on a provider's timeline (filled in by ``name_services``).
    service_name: str = ""

    @property
    def kind_label(self) -> str:
        return next((s.label for s in SOURCES if s.kind == self.kind), self.kind)

    @property
    def sort_key(self) -> tuple:
        moment = timezone.localtime(self.at).time() if self.at else datetime.min.time()
        return (self.on, moment, self.title)


@dataclass(frozen=True)
class TimelineQuery:
    user: object
    subject: Subject
    period: Period = field(default_factory=Period)
    limit: int = LIMIT

    @property
    def staff(self) -> bool:
        return not getattr(self.user, "is_provider_user", False)


@dataclass(frozen=True)
class Source:
    kind: str
    label: str
    entries: Callable[[TimelineQuery], Iterable[Entry]]
    # Who may see this kind at all (by role): the council's internal records are staff-only.
    shown_to: Callable[[object], bool] = lambda user: True


SOURCES: list[Source] = []


def source(kind: str, label: str, shown_to: Callable[[object], bool] | None = None):
    """Register a source function under ``kind`` (its filter checkbox is ``label``)."""

    def register(function: Callable[[TimelineQuery], Iterable[Entry]]):
        SOURCES.append(Source(kind, label, function, shown_to or (lambda user: True)))
        return function

    return register


def kinds_for(user) -> list[tuple[str, str]]:
    """The kinds ``user`` may see, as (kind, label), in the sources' order."""
    return [(s.kind, s.label) for s in SOURCES if s.shown_to(user)]


def timeline(query: TimelineQuery, kinds: Iterable[str] | None = None) -> tuple[list[Entry], bool]:
    """The entries of the chosen ``kinds`` (every kind the user may see when None), newest
    first, at most ``query.limit``; and whether there were more (cut off at the limit)."""
    wanted = set(kinds) if kinds else None
    entries: list[Entry] = []
    for src in SOURCES:
        if (wanted is not None and src.kind not in wanted) or not src.shown_to(query.user):
            continue
        entries.extend(e for e in src.entries(query) if query.period.contains(e.on))
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries[: query.limit], len(entries) > query.limit


def name_services(entries: list[Entry], names: dict[int, str]) -> list[Entry]:
    """``entries`` with their services' names (``names``: id -> name, read once)."""
    return [replace(e, service_name=names.get(e.service_id, "")) for e in entries]


def _short(text: str) -> str:
    return Truncator(" ".join((text or "").split())).chars(DETAIL_CHARS)


def _day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


def _newest(qs: QuerySet, *order: str, limit: int) -> QuerySet:
    return qs.order_by(*order)[:limit]


def _staff_only(user) -> bool:
    return can(user, "view", "risk.servicerisk")


# --- Reviews and visits ---------------------------------------------------------------------


@source("reviews", "Reviews and visits")
def reviews(query: TimelineQuery) -> Iterable[Entry]:
    from reviews.models import Review, ReviewStatus

    rows = _newest(
        Review.objects.restrict(query.user)
        .with_visibility(query.user)
        .filter(query.subject.services())
        .filter(query.period.q("visit_date", "completed_on", "created_at__date")),
        "-created_at",
        "-pk",
        limit=query.limit,
    )
    for review in rows:
        url = review.get_absolute_url()
        name = review.get_kind_display()
        common = {"kind": "reviews", "url": url, "service_id": review.service_id}
        entered = False
        if review.visit_date and review.visit_date_visible:
            done = review.visit_recorded_at is not None
            yield Entry(
                on=review.visit_date,
                title=f"{name}: visit" + ("" if done else " planned"),
                detail="The visit is recorded." if done else "",
                **common,
            )
            entered = True
        if review.status == ReviewStatus.FINAL and review.completed_on:
            rating = review.get_rating_display() if review.rating_visible else ""
            yield Entry(
                on=review.completed_on,
                title=f"{name}: final report" + (f", rated {rating}" if rating else ""),
                detail=_short(review.summary),
                **common,
            )
            entered = True
        if review.status == ReviewStatus.CANCELLED:
            yield Entry(
                on=_day(review.updated_at),
                title=f"{name}: cancelled",
                detail=_short(review.cancelled_reason),
                **common,
            )
        elif not entered:
            yield Entry(
                on=_day(review.created_at),
                title=f"{name}: planned",
                detail=review.get_status_display(),
                at=review.created_at,
                **common,
            )


# --- Intelligence ---------------------------------------------------------------------------


@source("intelligence", "Intelligence")
def intelligence(query: TimelineQuery) -> Iterable[Entry]:
    qs = Intelligence.objects.restrict(query.user)
    subject = query.subject
    if subject.service_id is not None:
        qs = qs.filter(Q(service_id=subject.service_id) | Q(provider_id=subject.provider_id))
    else:
        qs = qs.filter(
            Q(service__provider_id=subject.provider_id) | Q(provider_id=subject.provider_id)
        )
    rows = _newest(qs.filter(query.period.q("date")), "-date", "-pk", limit=query.limit)
    for entry in rows:
        yield Entry(
            on=entry.date,
            kind="intelligence",
            title=entry.get_kind_display() + ("" if entry.service_id else " (provider-wide)"),
            detail=_short(entry.summary),
            url=entry.get_absolute_url(),
            service_id=entry.service_id,
            confidential=entry.confidential,
        )


# --- Information requests and their answers -------------------------------------------------


@source("information", "Information requests and answers")
def information(query: TimelineQuery) -> Iterable[Entry]:
    from reviews.models import InformationRequest, InformationRequestItem, RequestStatus

    requests = InformationRequest.objects.restrict(query.user).filter(query.subject.services())
    for req in _newest(
        requests.filter(query.period.q("issued_on", "created_at__date")),
        "-created_at",
        "-pk",
        limit=query.limit,
    ):
        sent = req.issued_on is not None and req.status != RequestStatus.DRAFT
        due = f"Due {req.due_date:%-d %B %Y}." if req.due_date else ""
        yield Entry(
            on=req.issued_on if sent else _day(req.created_at),
            kind="information",
            title=f"Information request sent: {req.title}"
            if sent
            else f"Draft request: {req.title}",
            detail=due,
            url=req.get_absolute_url(),
            service_id=req.service_id,
            at=None if sent else req.created_at,
        )
    answers = (
        InformationRequestItem.objects.filter(request__in=requests, answered_at__isnull=False)
        .filter(query.period.q("answered_at__date"))
        .select_related("request")
    )
    for item in _newest(answers, "-answered_at", "-pk", limit=query.limit):
        yield Entry(
            on=_day(item.answered_at),
            kind="information",
            title=f"Answer to “{Truncator(item.request.title).chars(60)}”",
            detail=_short(item.text),
            url=item.request.get_absolute_url(),
            service_id=item.request.service_id,
            at=item.answered_at,
        )


# --- Letters and documents ------------------------------------------------------------------


@source("documents", "Letters and documents")
def documents(query: TimelineQuery) -> Iterable[Entry]:
    subject = query.subject
    qs = Document.objects.visible_to(query.user)
    if subject.service_id is not None:
        qs = qs.filter(service_id=subject.service_id)
    else:
        qs = qs.filter(provider_id=subject.provider_id)
    rows = _newest(
        qs.filter(query.period.q("issued_at__date")), "-issued_at", "-pk", limit=query.limit
    )
    for document in rows:
        ready = document.status == Document.Status.READY
        yield Entry(
            on=_day(document.issued_at),
            kind="documents",
            title=document.title,
            detail="" if ready else document.get_status_display(),
            url=document.get_absolute_url() if ready else "",
            service_id=document.service_id,
            confidential=not document.visible_to_provider,
            at=document.issued_at,
        )


# --- Risk rating changes (the council's internal view) --------------------------------------


@source("ratings", "Risk rating changes", shown_to=_staff_only)
def ratings(query: TimelineQuery) -> Iterable[Entry]:
    from qaf.rag import LABELS
    from risk.matrix import FACTOR_LABELS
    from risk.models import RatingChange

    rows = _newest(
        RatingChange.objects.filter(query.subject.services()).filter(query.period.q("date")),
        "-date",
        "-pk",
        limit=query.limit,
    )
    for change in rows:
        before = LABELS.get(change.from_rating, "")
        after = LABELS.get(change.to_rating, change.to_rating)
        factors = [FACTOR_LABELS.get(f, f) for f in change.changed_factors or []]
        yield Entry(
            on=change.date,
            kind="ratings",
            title=f"Risk rating {before} to {after}" if before else f"First risk rating: {after}",
            detail=("Factors that moved: " + "; ".join(factors) + ".") if factors else "",
            url=reverse("providers:service_detail", args=[change.service_id]) + "#risk-heading",
            service_id=change.service_id,
            confidential=True,
        )


# --- Suspensions and their appeals ----------------------------------------------------------


@source("suspensions", "Suspensions and appeals")
def suspensions(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import Appeal, Suspension, SuspensionStatus

    visible = Suspension.objects.restrict(query.user).filter(query.subject.services())
    rows = _newest(
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
                on=_day(s.created_at),
                title=f"Suspension proposed: {what}",
                detail=_short(s.actions_required),
                at=s.created_at,
                confidential=True,
                **common,
            )
        if s.decided_on:
            rejected = s.status == SuspensionStatus.REJECTED
            yield Entry(
                on=s.decided_on,
                title=f"Suspension not approved: {what}"
                if rejected
                else f"Suspension in force: {what}",
                detail=_short(s.decision_comment) if query.staff else "",
                confidential=rejected,
                **common,
            )
        if s.ended_on:
            how = "ended on appeal" if s.status == SuspensionStatus.OVERTURNED else "lifted"
            yield Entry(on=s.ended_on, title=f"Suspension {how}: {what}", **common)
    appeals = (
        Appeal.objects.visible_to(query.user)
        .filter(suspension__in=visible)
        .filter(query.period.q("submitted_at__date", "decided_on"))
        .select_related("suspension")
    )
    for appeal in _newest(appeals, "-submitted_at", "-pk", limit=query.limit):
        common = {
            "kind": "suspensions",
            "url": appeal.suspension.get_absolute_url(),
            "service_id": appeal.suspension.service_id,
        }
        yield Entry(
            on=_day(appeal.submitted_at),
            title="Appeal against the suspension",
            detail=_short(appeal.text),
            at=appeal.submitted_at,
            **common,
        )
        if appeal.decided_on:
            yield Entry(
                on=appeal.decided_on,
                title=f"Appeal decided: {appeal.get_status_display()}",
                detail=_short(appeal.decision_reason),
                **common,
            )


# --- Escalation cases and their moves -------------------------------------------------------


@source("cases", "Escalation cases")
def cases(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import CaseMove, EscalationCase

    visible = EscalationCase.objects.restrict(query.user).filter(query.subject.services())
    if not query.staff:
        # A provider's users see their case's stage and dates, never its history or reasons.
        rows = _newest(
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
    for move in _newest(moves, "-on", "-at", "-pk", limit=query.limit):
        if not move.from_stage:
            title = f"Escalation case opened: {move.get_to_stage_display().lower()}"
        elif move.from_stage != move.to_stage:
            title = (
                f"Escalation case {move.action}: {move.get_from_stage_display().lower()} to "
                f"{move.get_to_stage_display().lower()}"
            )
        else:
            title = f"Escalation case: {move.action}"
        yield Entry(
            on=move.on,
            kind="cases",
            title=title,
            detail=_short(move.reason),
            url=move.case.get_absolute_url(),
            service_id=move.case.service_id,
            confidential=True,
            at=move.at,
        )


# --- Concern levels (the council's internal view) -------------------------------------------


def _sees_concern(user) -> bool:
    return can(user, "view", "escalation.concernlevel")


@source("concern", "Concern levels", shown_to=_sees_concern)
def concern(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import ConcernDecision, DecisionKind

    rows = _newest(
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
            detail=_short(decision.reason),
            url=reverse("providers:service_detail", args=[decision.service_id]) + "#concern-level",
            service_id=decision.service_id,
            confidential=True,
        )


# --- Revocations and their appeals ----------------------------------------------------------


@source("revocations", "Revocations and appeals")
def revocations(query: TimelineQuery) -> Iterable[Entry]:
    from escalation.models import Revocation, RevocationAppeal, RevocationStatus

    visible = Revocation.objects.restrict(query.user).filter(query.subject.services())
    rows = _newest(
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
                detail=_short(", ".join(r.reason_labels)),
                confidential=True,
                **common,
            )
            if r.meeting_on:
                yield Entry(
                    on=r.meeting_on,
                    title=f"Meeting with the provider: {r.get_meeting_outcome_display()}",
                    detail=_short(r.meeting_notes),
                    confidential=True,
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
    appeals = (
        RevocationAppeal.objects.visible_to(query.user)
        .filter(revocation__in=visible)
        .filter(query.period.q("submitted_at__date", "decided_on"))
        .select_related("revocation")
    )
    for appeal in _newest(appeals, "-submitted_at", "-pk", limit=query.limit):
        common = {
            "kind": "revocations",
            "url": appeal.revocation.get_absolute_url(),
            "service_id": appeal.revocation.service_id,
        }
        yield Entry(
            on=_day(appeal.submitted_at),
            title="Appeal against the revocation",
            detail=_short(appeal.text),
            at=appeal.submitted_at,
            **common,
        )
        if appeal.decided_on:
            yield Entry(
                on=appeal.decided_on,
                title=f"Appeal decided: {appeal.get_status_display()}",
                detail=_short(appeal.decision_reason),
                **common,
            )


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
    for decision in _newest(rows, "-meeting__starts_at", "-pk", limit=query.limit):
        about = names.get(decision.subject_type_id, "")
        yield Entry(
            on=_day(decision.meeting.starts_at),
            kind="board",
            title=f"Board decision on the {about}: {decision.outcome.replace('_', ' ')}",
            detail=_short(decision.reason),
            url=decision.meeting.get_absolute_url(),
            service_id=decision.about_service,
            confidential=True,
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
    rows = _newest(
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
                text = _short(getattr(plan, detail)) if detail else ""
                if name == "requested_on":
                    text = f"To be submitted by {plan.submit_due:%-d %B %Y}."
                yield Entry(on=day, title=title, detail=text, **common)
    issues = (
        PlanIssue.objects.filter(plan__in=visible)
        .filter(query.period.q("created_at__date"))
        .select_related("plan")
    )
    for issue in _newest(issues, "-created_at", "-pk", limit=query.limit):
        yield Entry(
            on=_day(issue.created_at),
            kind="plans",
            title="Issue added to the improvement plan",
            detail=_short(issue.text),
            url=issue.plan.get_absolute_url(),
            service_id=issue.plan.service_id,
            at=issue.created_at,
        )
    actions = (
        PlanAction.objects.filter(plan__in=visible)
        .filter(query.period.q("created_at__date", "verified_on"))
        .select_related("plan")
    )
    for action in _newest(actions, "-created_at", "-pk", limit=query.limit):
        common = {
            "kind": "plans",
            "url": action.get_absolute_url(),
            "service_id": action.plan.service_id,
        }
        yield Entry(
            on=_day(action.created_at),
            title="Action added to the improvement plan",
            detail=_short(f"{action.what} (due {action.due_on:%-d %B %Y})"),
            at=action.created_at,
            **common,
        )
        if action.verified_on:
            yield Entry(
                on=action.verified_on, title="Action verified", detail=_short(action.what), **common
            )
    updates = (
        PlanUpdate.objects.filter(action__plan__in=visible)
        .filter(query.period.q("created_at__date"))
        .select_related("action__plan")
    )
    for update in _newest(updates, "-created_at", "-pk", limit=query.limit):
        yield Entry(
            on=_day(update.created_at),
            kind="plans",
            title=f"Update on an action: {update.get_status_display().lower()}",
            detail=_short(update.text),
            url=update.action.get_absolute_url(),
            service_id=update.action.plan.service_id,
            at=update.created_at,
        )
