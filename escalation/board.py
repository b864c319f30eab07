"""The board's rules (source 003 Appendix 4 §5): the quorum, as a pure function, and the one way
to record a decision (only at a quorate meeting) and to use it (once, by the step it
authorises).

    quorum(present, required_roles) -> Quorum(quorate, reason)
    record_decision(meeting, subject=case, outcome="rectification_notice", reason=..., actor=...)
    decision_for(case, "rectification_notice") -> the unused decision, or None
    use_decision(decision, actor=...)  # inside the step's transaction; refuses a used one
    add_to_agenda(meeting, case, actor=...) / remove_from_agenda(item, actor=...)
    papers_notice(meeting_on, issued_on, days=7, today=...) -> PapersNotice(late, text)

What the board considers (its *subjects*) follow the ``BoardSubject`` protocol: the model gives
``board_title()``, ``board_papers()`` and ``board_outcomes()``. A model that cannot (or should
not) carry them is registered instead, with functions doing the same::

    unregister = register_subject(Service, title=..., papers=..., outcomes=...)

The pages, the pack and the API never call the protocol's methods directly: they ask
``subject_title(obj)``, ``subject_papers(obj)`` and ``subject_outcomes(obj)``, which use the
model's methods when it has them, else the registered functions, else a plain fallback (its
``str()``, no papers, no outcomes: nothing to decide). The tests register ``providers.Service``
this way (``tests/escalation/board_support.py``), for the time of a test only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from escalation.models.board import (
    AgendaItem,
    BoardDecision,
    BoardMeeting,
    BoardRole,
    MeetingStatus,
)
from qaf.workflow import Forbidden, NotNow

MINIMUM_PRESENT = 3  # source 003 Appendix 4 §5: "not less than three members"


class BoardSubject(Protocol):
    """What the board can consider (an escalation case, a revocation, a concern-level
    proposal): its model gives these, and the board's pages, pack and decisions use them."""

    pk: int

    def board_title(self) -> str:
        """One line: the service and what is asked of the board."""

    def board_papers(self) -> list[tuple[str, str]]:
        """The case papers, as (heading, text) sections, for the meeting page and the pack."""

    def board_outcomes(self) -> list[tuple[str, str]]:
        """The outcomes the board may decide about it now, as (outcome, label)."""


@dataclass(frozen=True)
class SubjectAdapter:
    """The protocol's three methods for a model registered with ``register_subject``."""

    title: Callable[[Any], str]
    papers: Callable[[Any], list[tuple[str, str]]]
    outcomes: Callable[[Any], list[tuple[str, str]]]


_ADAPTERS: dict[type, SubjectAdapter] = {}


def register_subject(
    model: type,
    *,
    title: Callable[[Any], str],
    papers: Callable[[Any], list[tuple[str, str]]],
    outcomes: Callable[[Any], list[tuple[str, str]]],
) -> Callable[[], None]:
    """Let the board consider ``model``'s objects without the protocol's methods on the model;
    returns the function that takes the registration back (tests)."""
    _ADAPTERS[model] = SubjectAdapter(title, papers, outcomes)
    return lambda: _ADAPTERS.pop(model, None)


def _adapter(obj) -> SubjectAdapter | None:
    return _ADAPTERS.get(type(obj))


def subject_title(obj) -> str:
    """One line naming the subject and what is asked of the board."""
    if obj is None:
        return "An item that no longer exists"
    if hasattr(obj, "board_title"):
        return obj.board_title()
    adapter = _adapter(obj)
    return adapter.title(obj) if adapter else str(obj)


def subject_papers(obj) -> list[tuple[str, str]]:
    """The subject's papers, as (heading, text) sections."""
    if obj is None:
        return []
    if hasattr(obj, "board_papers"):
        return list(obj.board_papers())
    adapter = _adapter(obj)
    return list(adapter.papers(obj)) if adapter else []


def subject_outcomes(obj) -> list[tuple[str, str]]:
    """The outcomes the board may decide about the subject now, as (outcome, label)."""
    if obj is None:
        return []
    if hasattr(obj, "board_outcomes"):
        return list(obj.board_outcomes())
    adapter = _adapter(obj)
    return list(adapter.outcomes(obj)) if adapter else []


def subject_url(obj) -> str:
    """The subject's own page, when it has one."""
    getter = getattr(obj, "get_absolute_url", None)
    return getter() if getter else ""


def outcome_label(outcome: str, outcomes: Iterable[tuple[str, str]] = ()) -> str:
    """An outcome in words: the subject's label for it, else its name made readable (a past
    decision's outcome may no longer be one the subject offers)."""
    return dict(outcomes).get(outcome) or outcome.replace("_", " ").replace("-", " ").capitalize()


def add_to_agenda(meeting: BoardMeeting, subject: BoardSubject, *, actor) -> AgendaItem:
    """Put ``subject`` on ``meeting``'s agenda (once), last."""
    from qaf.scoping import can

    if not can(actor, "act", BoardMeeting):
        raise Forbidden("Only board members and managers arrange the board's business.")
    with transaction.atomic():
        meeting = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status != MeetingStatus.PLANNED:
            raise NotNow("Items are added to a meeting before it is held.")
        subject_type = ContentType.objects.get_for_model(type(subject))
        item, created = AgendaItem.objects.get_or_create(
            meeting=meeting,
            subject_type=subject_type,
            subject_id=subject.pk,
            defaults={"added_by": actor, "order": meeting.agenda.count() + 1},
        )
        if not created:
            raise NotNow("It is on this meeting's agenda already.")
    return item


def remove_from_agenda(item: AgendaItem, *, actor) -> None:
    """Take ``item`` off its meeting's agenda (before the meeting is held); the items after it
    move up."""
    from qaf.scoping import can

    if not can(actor, "act", BoardMeeting):
        raise Forbidden("Only board members and managers arrange the board's business.")
    with transaction.atomic():
        meeting = BoardMeeting.objects.select_for_update().get(pk=item.meeting_id)
        if meeting.status != MeetingStatus.PLANNED:
            raise NotNow("Items are taken off a meeting's agenda before it is held.")
        item = AgendaItem.objects.filter(pk=item.pk, meeting=meeting).first()
        if item is None:
            raise NotNow("It is no longer on this meeting's agenda.")
        item._history_user = actor
        item.delete()
        for order, rest in enumerate(meeting.agenda.order_by("order", "pk"), start=1):
            if rest.order != order:
                rest.order = order
                rest._history_user = actor
                rest.save(update_fields=["order"])


def required_roles() -> frozenset[str]:
    """The roles a quorum needs one of each of (the ``QAF_BOARD_REQUIRED_ROLES`` setting)."""
    return frozenset(
        getattr(
            settings,
            "QAF_BOARD_REQUIRED_ROLES",
            (
                BoardRole.HEALTH_SAFEGUARDING,
                BoardRole.QUALITY_MANAGER,
                BoardRole.STRATEGIC_COMMISSIONER,
            ),
        )
    )


@dataclass(frozen=True)
class Quorum:
    quorate: bool
    reason: str


def quorum(present_roles: Iterable[str], required: Iterable[str]) -> Quorum:
    """At least three members present, one of them in each required role.

    ``present_roles`` is the role of each member present (one entry per person)."""
    present = list(present_roles)
    required = sorted(set(required))
    labels = dict(BoardRole.choices)
    missing = [labels.get(role, role) for role in required if role not in present]
    problems = []
    if len(present) < MINIMUM_PRESENT:
        problems.append(
            f"{len(present)} member{'s' if len(present) != 1 else ''} present, at least "
            f"{MINIMUM_PRESENT} are needed"
        )
    if missing:
        problems.append("no one present for: " + ", ".join(missing))
    if problems:
        return Quorum(False, "Not quorate: " + "; ".join(problems) + ".")
    return Quorum(True, f"Quorate: {len(present)} members present, every required role filled.")


def meeting_quorum(meeting: BoardMeeting) -> Quorum:
    present = meeting.attendance.filter(present=True).values_list("role", flat=True)
    return quorum(present, required_roles())


def decision_refusal(meeting: BoardMeeting) -> str | None:
    """Why ``meeting`` cannot take a decision now, or None: it must have been held, and been
    quorate (source 003 Appendix 4 §5: "no decisions may be taken by the non-quorate meeting")."""
    if meeting.status != MeetingStatus.HELD:
        return "Decisions are recorded once the meeting has been held."
    if not meeting.quorate:
        return (
            "The meeting was not quorate: it keeps notes, and takes no decisions "
            f"({meeting_quorum(meeting).reason[len('Not quorate: ') :]})"
        )
    return None


@dataclass(frozen=True)
class PapersNotice:
    """Whether the papers went out in time, in words for the meeting page and the pack."""

    late: bool
    text: str


def _day(value: date) -> str:
    return date_format(value, "j F Y")


def papers_notice(
    meeting_on: date, issued_on: date | None, *, days: int, today: date
) -> PapersNotice:
    """The papers are issued at least ``days`` days before the meeting (source 003 Appendix 4
    §2: "at least a week in advance"): counted in calendar days, so papers issued on Monday 1st
    for Monday 8th are a week in advance whatever the hour. Late papers are a warning, not a
    refusal: the meeting may still go ahead."""
    due_by = meeting_on - timedelta(days=days)
    if issued_on is None:
        if today > due_by:
            return PapersNotice(
                True,
                f"The papers have not been issued: they were due by {_day(due_by)}, "
                f"{days} days before the meeting.",
            )
        return PapersNotice(
            False,
            f"The papers have not been issued yet: issue them by {_day(due_by)}, "
            f"{days} days before the meeting.",
        )
    before = (meeting_on - issued_on).days
    if before >= days:
        return PapersNotice(
            False, f"Papers issued on {_day(issued_on)}, {before} days before the meeting."
        )
    if before > 1:
        when = f"only {before} days before the meeting"
    elif before == 1:
        when = "only 1 day before the meeting"
    elif before == 0:
        when = "on the day of the meeting"
    else:
        when = "after the meeting"
    return PapersNotice(
        True,
        f"Papers issued late: on {_day(issued_on)}, {when}. The terms of reference ask for "
        f"them at least {days} days before.",
    )


def papers_days() -> int:
    """The ``board_papers_days`` policy setting: how many days before the meeting the papers
    go out."""
    from escalation.deadlines import BOARD_PAPERS_DAYS
    from qaf import policy

    return policy.deadline(BOARD_PAPERS_DAYS)


def meeting_papers_notice(
    meeting: BoardMeeting, *, today: date | None = None, days: int | None = None
) -> PapersNotice:
    """``papers_notice`` for ``meeting``, with the policy's days (unless a list read them once
    for all its rows) and London's dates."""
    issued = meeting.papers_issued_at
    return papers_notice(
        timezone.localdate(meeting.starts_at),
        timezone.localdate(issued) if issued else None,
        days=papers_days() if days is None else days,
        today=today or timezone.localdate(),
    )


def record_decision(
    meeting: BoardMeeting, *, subject, outcome: str, reason: str, actor
) -> BoardDecision:
    """A decision of ``meeting`` about ``subject``: refused (409) unless the meeting was held
    and quorate, and (403) unless ``actor`` may record the board's decisions."""
    from qaf.scoping import can

    if not can(actor, "decide", BoardMeeting):
        raise Forbidden("Only board members and managers record the board's decisions.")
    if not reason.strip():
        raise NotNow("Give the reason for the decision.")
    with transaction.atomic():
        meeting = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
        refusal = decision_refusal(meeting)
        if refusal:
            raise NotNow(refusal)
        subject_type = ContentType.objects.get_for_model(type(subject))
        # Under the meeting's lock: two people recording the same decision at once make one.
        earlier = (
            BoardDecision.objects.filter(
                meeting=meeting, subject_type=subject_type, subject_id=subject.pk, outcome=outcome
            )
            .select_related("recorded_by")
            .first()
        )
        if earlier is not None:
            raise NotNow(
                f"{earlier.recorded_by} recorded this decision of the meeting already, at "
                f"{timezone.localtime(earlier.recorded_at):%H:%M} on "
                f"{_day(timezone.localdate(earlier.recorded_at))}."
            )
        decision = BoardDecision(
            meeting=meeting,
            subject_type=subject_type,
            subject_id=subject.pk,
            outcome=outcome,
            reason=reason.strip(),
            recorded_by=actor,
        )
        decision._history_user = actor
        decision.full_clean()
        decision.save()
    return decision


def decision_for(subject, outcome: str) -> BoardDecision | None:
    """The quorate meeting's decision about ``subject`` with ``outcome`` that no step has used
    yet, or None."""
    return (
        BoardDecision.objects.filter(
            subject_type=ContentType.objects.get_for_model(type(subject)),
            subject_id=subject.pk,
            outcome=outcome,
            used_at__isnull=True,
            meeting__quorate=True,
        )
        .select_related("meeting")
        .order_by("recorded_at", "pk")
        .first()
    )


def use_decision(decision: BoardDecision, *, actor) -> BoardDecision:
    """Mark ``decision`` used by the step it authorised: a conditional update, so two steps at
    once cannot both use it (call inside the step's transaction)."""
    updated = BoardDecision.objects.filter(pk=decision.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not updated:
        raise NotNow("The board's decision has been acted on already.")
    decision.refresh_from_db()
    decision._history_user = actor
    decision.save(update_fields=["used_at"])
    return decision
