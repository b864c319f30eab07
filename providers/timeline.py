"""A service's (or a provider's) timeline (issue 14 item 1): everything that happened, newest
first, from every app's records.

The timeline is a list of SOURCES, one per kind of record. A source is a function of a
``TimelineQuery`` (the user, the subject, the period and a limit) that yields ``Entry``s; it
reads only what ``visible_to(user)``/``restrict(user)`` (qaf.scoping) lets the user see, in one
or two queries whatever the number of rows. Another part adds its records with ``@source``.
The register's and the reviews' sources are here, the escalation app's in
``providers.timeline_escalation``, public summaries' and early warnings' in
``providers.timeline_more``.

A provider user sees their own organisation's entries only, never confidential ones: the
scoping of each model already says so (confidential intelligence, suspension proposals,
revocations before the board's decision, the council's internal records such as ratings,
concern levels and the board's decisions, which their sources leave out for provider users).
An entry a staff user sees is marked ``confidential`` ("Not shown to the provider") exactly
when the same sources, asked as a user of the subject's provider, do not give it: the flag
comes from the provider users' scoping itself, never from a second copy of its rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from providers.models import Intelligence
from qaf.models import Document
from qaf.scoping import can

# At most this many entries are read from each source and shown in all (newest first): a
# narrower period reaches further back.
LIMIT = 500
DETAIL_CHARS = 240
INTELLIGENCE_CHARS = 140  # templates/includes/intelligence_table.html


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
    # Not shown to the provider: set by ``timeline`` (the same sources, asked as a user of the
    # subject's provider, do not give this entry); sources leave it alone.
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
    first, at most ``query.limit``; and whether there were more (cut off at the limit).
    For a staff user, each entry says whether the provider would see it (``confidential``)."""
    wanted = set(kinds) if kinds else None
    entries = _entries(query, wanted)
    if query.staff:
        seen = {_identity(e) for e in _entries(provider_view(query), wanted)}
        entries = [replace(e, confidential=_identity(e) not in seen) for e in entries]
    else:
        entries = [replace(e, confidential=False) for e in entries]
    return entries[: query.limit], len(entries) > query.limit


def provider_view(query: TimelineQuery) -> TimelineQuery:
    """``query`` as a user of the subject's provider would ask it (not saved: it is only
    ever given to the models' scoping, which reads its organisation)."""
    from qaf.models import User

    stand_in = User(provider_id=query.subject.provider_id, is_active=True)
    return replace(query, user=stand_in)


def _entries(query: TimelineQuery, wanted: set[str] | None) -> list[Entry]:
    entries: list[Entry] = []
    for src in SOURCES:
        if (wanted is not None and src.kind not in wanted) or not src.shown_to(query.user):
            continue
        entries.extend(e for e in src.entries(query) if query.period.contains(e.on))
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries


def _identity(entry: Entry) -> tuple:
    """What makes two entries the same event (a provider user may see less ``detail``)."""
    return (entry.kind, entry.on, entry.at, entry.title, entry.url, entry.service_id)


def name_services(entries: list[Entry], names: dict[int, str]) -> list[Entry]:
    """``entries`` with their services' names (``names``: id -> name, read once)."""
    return [replace(e, service_name=names.get(e.service_id, "")) for e in entries]


def short(text: str, chars: int = DETAIL_CHARS) -> str:
    return Truncator(" ".join((text or "").split())).chars(chars)


def local_day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


def newest(qs: QuerySet, *order: str, limit: int) -> QuerySet:
    """The newest ``limit`` rows and one more: so that a single source with more than the
    limit still tells ``timeline`` there were more."""
    return qs.order_by(*order)[: limit + 1]


def _staff_only(user) -> bool:
    return can(user, "view", "risk.servicerisk")


# --- Reviews and visits ---------------------------------------------------------------------


@source("reviews", "Reviews and visits")
def reviews(query: TimelineQuery) -> Iterable[Entry]:
    from reviews.models import Review, ReviewStatus

    # When it was cancelled: the history row the workflow wrote with the cancel step (a later
    # save, an edit of its notes say, moves updated_at but not that).
    cancelled_at = Subquery(
        Review.history.filter(id=OuterRef("pk"), status=ReviewStatus.CANCELLED)
        .order_by("history_date")
        .values("history_date")[:1]
    )
    rows = newest(
        Review.objects.restrict(query.user)
        .with_visibility(query.user)
        .filter(query.subject.services())
        .annotate(cancelled_at=Coalesce(cancelled_at, "updated_at"))
        .filter(
            query.period.q("visit_date", "completed_on", "created_at__date", "cancelled_at__date")
        ),
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
                detail=short(review.summary),
                **common,
            )
            entered = True
        if review.status == ReviewStatus.CANCELLED:
            yield Entry(
                on=local_day(review.cancelled_at),
                title=f"{name}: cancelled",
                detail=short(review.cancelled_reason),
                at=review.cancelled_at,
                **common,
            )
        elif not entered:
            yield Entry(
                on=local_day(review.created_at),
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
    rows = newest(qs.filter(query.period.q("date")), "-date", "-pk", limit=query.limit)
    for entry in rows:
        yield Entry(
            on=entry.date,
            kind="intelligence",
            title=entry.get_kind_display() + ("" if entry.service_id else " (provider-wide)"),
            # As in the intelligence lists: a confidential entry read in full is logged on its
            # own page (providers.services.record_view), so the list shows only its start.
            detail=short(entry.summary, INTELLIGENCE_CHARS),
            url=entry.get_absolute_url(),
            service_id=entry.service_id,
        )


# --- Information requests and their answers -------------------------------------------------


@source("information", "Information requests and answers")
def information(query: TimelineQuery) -> Iterable[Entry]:
    from reviews.models import InformationRequest, InformationRequestItem, RequestStatus

    requests = InformationRequest.objects.restrict(query.user).filter(query.subject.services())
    for req in newest(
        requests.filter(query.period.q("issued_on", "created_at__date")),
        "-created_at",
        "-pk",
        limit=query.limit,
    ):
        sent = req.issued_on is not None and req.status != RequestStatus.DRAFT
        due = f"Due {req.due_date:%-d %B %Y}." if req.due_date else ""
        yield Entry(
            on=req.issued_on if sent else local_day(req.created_at),
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
    for item in newest(answers, "-answered_at", "-pk", limit=query.limit):
        yield Entry(
            on=local_day(item.answered_at),
            kind="information",
            title=f"Answer to “{Truncator(item.request.title).chars(60)}”",
            detail=short(item.text),
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
    rows = newest(
        qs.filter(query.period.q("issued_at__date")), "-issued_at", "-pk", limit=query.limit
    )
    for document in rows:
        ready = document.status == Document.Status.READY
        yield Entry(
            on=local_day(document.issued_at),
            kind="documents",
            title=document.title,
            detail="" if ready else document.get_status_display(),
            url=document.get_absolute_url() if ready else "",
            service_id=document.service_id,
            at=document.issued_at,
        )


# --- Risk rating changes (the council's internal view) --------------------------------------


@source("ratings", "Risk rating changes", shown_to=_staff_only)
def ratings(query: TimelineQuery) -> Iterable[Entry]:
    from qaf.rag import LABELS
    from risk.matrix import FACTOR_LABELS
    from risk.models import RatingChange

    rows = newest(
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
        )


# The escalation app's sources, registered after the ones above (the filter's order).
from providers import timeline_escalation, timeline_more  # noqa: E402, F401
