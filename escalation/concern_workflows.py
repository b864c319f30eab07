"""A service's concern level and the nightly suggestions as workflow tables (qaf.workflow; SPEC
§6 "Concern level", source 001 §3.4 and Appendix 2).

A manager moves a service between levels 1 and 2 (``decide``), always with a reason. A move to
or from level 3 (SPEC §6: "the board (2<->3) decides") is proposed by a manager (``propose``)
and decided by the board: the proposal is a board subject (``ConcernLevel.board_title``,
``board_papers``, ``board_outcomes``: "approve" or "reject"), put on a meeting's agenda; a
manager then records the decision of the quorate meeting with ``approve`` or ``reject``, each
refused (409, with the reason) without an unused decision of a quorate meeting held on or after
the day of the proposal, which the step uses (``escalation.board.use_decision``) in its
transaction. The proposer may ``withdraw`` the proposal until then. (Until issue 11 a second
manager approved these moves as an interim measure.)

A decision that brings the service to the level a waiting suggestion names accepts that
suggestion (it closes, linked to the decision); a manager dismisses a suggestion with a
reason. Every decision writes a ``ConcernDecision`` row, the history the service page shows;
a board decision's row keeps the board meeting's date and words in its ``comment``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from escalation.board import use_decision
from escalation.concern import LEVELS, needs_second_decision
from escalation.models import (
    BoardDecision,
    ConcernDecision,
    ConcernLevel,
    ConcernSuggestion,
    DecisionKind,
    SuggestionStatus,
)
from qaf.workflow import Step, Transition, Workflow

POLICY_MODEL = "escalation.concernlevel"
MANAGERS_ONLY = "Only quality managers decide concern levels."
S = SuggestionStatus


def _number(step: Step, name: str) -> int | None:
    value = step.params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else "someone"


# --- Who ------------------------------------------------------------------------------------------


def _the_proposer(step: Step):
    if step.obj.proposed_by_id is not None and step.actor.pk != step.obj.proposed_by_id:
        return "Only the manager who proposed the move withdraws it; the board decides it."
    return None


# --- Guards: the row as it is now ----------------------------------------------------------------


def _no_proposal_waiting(step: Step):
    concern = step.obj
    if concern.proposed_level is None:
        return None
    return (
        f"{_person(concern.proposed_by)} proposed level {concern.proposed_level} on "
        f"{concern.proposed_on:%-d %B %Y}: it waits for the board's decision. Record the "
        "board's decision, or withdraw it, first."
    )


def _proposal_waiting(step: Step):
    return None if step.obj.proposed_level is not None else "No move is proposed."


def board_decision_for(concern: ConcernLevel, outcome: str) -> BoardDecision | None:
    """The unused decision of a quorate meeting about this proposal: ``outcome`` ("approve" or
    "reject") about the service's concern level, at a meeting held on or after the day it was
    proposed (an earlier decision was about an earlier proposal)."""
    if concern.proposed_on is None:
        return None
    return (
        BoardDecision.objects.filter(
            subject_type=ContentType.objects.get_for_model(ConcernLevel),
            subject_id=concern.pk,
            outcome=outcome,
            used_at__isnull=True,
            meeting__quorate=True,
            meeting__starts_at__date__gte=concern.proposed_on,
        )
        .select_related("meeting")
        .order_by("recorded_at", "pk")
        .first()
    )


def _board_decided(outcome: str, words: str):
    def guard(step: Step):
        if step.obj.proposed_level is None:
            return None  # _proposal_waiting says so
        if step.facts["board_decisions"].get(outcome) is None:
            return (
                f"The board has not decided {words} this move: put it on a board meeting's "
                "agenda and record the decision of the quorate meeting first."
            )
        return None

    return guard


# --- Checks: what the manager sent ---------------------------------------------------------------


def _still_at_the_level_seen(step: Step):
    seen = _number(step, "from_level")
    if seen is not None and seen != step.state:
        return (
            f"The service is at level {step.state} now, not level {seen}: someone decided while "
            "you were deciding. Look at it again."
        )
    return None


def _level_chosen(step: Step):
    level = _number(step, "level")
    if level not in LEVELS:
        return "Choose the level."
    if level == step.state:
        return f"The service is at level {level} already."
    return None


def _one_manager_move(step: Step):
    level = _number(step, "level")
    if level in LEVELS and needs_second_decision(step.state, level):
        return "A move to or from level 3 is decided by the board: propose it instead."
    return None


def _second_manager_move(step: Step):
    level = _number(step, "level")
    if level in LEVELS and not needs_second_decision(step.state, level):
        return "A move between levels 1 and 2 is decided by one manager: decide it instead."
    return None


def _reason_given(step: Step):
    return None if step.text("reason") else "Give the reason for the decision."


def _suggestion_fits(step: Step):
    """Accepting a suggestion names it: it must still be waiting, and the level be its level."""
    named = _number(step, "suggestion")
    if step.params.get("suggestion") in (None, ""):
        return None
    waiting = step.facts["waiting_suggestion"]
    if waiting is None or waiting.pk != named:
        return "That suggestion is no longer waiting: look at the service again."
    if waiting.level != _number(step, "level"):
        return (
            f"The suggestion is level {waiting.level}: choose that level to accept it, or dismiss "
            "it."
        )
    return None


# --- Changes: the fields written, and the decision as taken ------------------------------------

_NO_PROPOSAL = {
    "proposed_level": None,
    "proposed_by": None,
    "proposed_on": None,
    "proposal_reason": "",
}


@dataclass
class _Decision:
    """The decision as taken on the locked row, before the write: the effect records it."""

    kind: str
    from_level: int
    to_level: int
    reason: str
    proposed_by_id: int | None = None
    proposed_on: date | None = None
    comment: str = ""
    board_decision: BoardDecision | None = None


def _decided(step: Step) -> dict:
    step.result = _Decision(
        DecisionKind.DECIDED, step.state, _number(step, "level"), step.text("reason")
    )
    return {"decided_on": step.today}


def _proposed(step: Step) -> dict:
    return {
        "proposed_level": _number(step, "level"),
        "proposed_by": step.actor,
        "proposed_on": step.today,
        "proposal_reason": step.text("reason"),
    }


def _board_words(decision: BoardDecision, extra: str) -> str:
    held = timezone.localdate(decision.meeting.starts_at)
    words = f"The board's decision at its meeting of {held:%-d %B %Y}: {decision.reason}"
    return f"{words}\n{extra}" if extra else words


def _board_decision(kind: str, outcome: str, comment_param: str):
    def changes(step: Step) -> dict:
        concern = step.obj
        decision = board_decision_for(concern, outcome)
        step.result = _Decision(
            kind,
            step.state,
            concern.proposed_level,
            concern.proposal_reason,
            concern.proposed_by_id,
            concern.proposed_on,
            _board_words(decision, step.text(comment_param)),
            decision,
        )
        values = dict(_NO_PROPOSAL)
        if kind == DecisionKind.APPROVED:
            values["decided_on"] = step.today
        return values

    return changes


# --- Effects -------------------------------------------------------------------------------------


def _use_board_decision(step: Step) -> None:
    """The board's decision authorises this step once (a conditional update: two managers
    recording it at once make one)."""
    use_decision(step.result.board_decision, actor=step.actor)


def _record_decision(step: Step) -> None:
    """The history row; a waiting suggestion of the new level is accepted by it."""
    taken: _Decision = step.result
    suggestion = None
    if taken.kind != DecisionKind.NOT_APPROVED:
        suggestion = (
            ConcernSuggestion.objects.waiting()
            .filter(service_id=step.obj.service_id, level=taken.to_level)
            .first()
        )
        if suggestion is not None:
            SUGGESTION.apply(suggestion, "accept", actor=step.actor, today=step.today)
    step.result = ConcernDecision.objects.create(
        service_id=step.obj.service_id,
        kind=taken.kind,
        from_level=taken.from_level,
        to_level=taken.to_level,
        reason=taken.reason,
        decided_by=step.actor,
        decided_on=step.today,
        proposed_by_id=taken.proposed_by_id,
        proposed_on=taken.proposed_on,
        comment=taken.comment,
        suggestion=suggestion,
    )


BOARD_OUTCOMES = ("approve", "reject")


def _board_decisions(concern: ConcernLevel) -> dict[str, BoardDecision | None]:
    """The board's unused decisions about the proposal waiting, by outcome (read for many rows
    at once by ``prefetch_board_decisions``)."""
    if hasattr(concern, "_board_decisions"):
        return concern._board_decisions
    if concern.proposed_level is None or concern._state.adding:
        return {}
    return {outcome: board_decision_for(concern, outcome) for outcome in BOARD_OUTCOMES}


def prefetch_board_decisions(concerns) -> None:
    """One query for the board's decisions about many proposals (the queue's rows)."""
    waiting = {c.pk: c for c in concerns if c.proposed_level is not None}
    for concern in concerns:
        concern._board_decisions = {}
    if not waiting:
        return
    decisions = (
        BoardDecision.objects.filter(
            subject_type=ContentType.objects.get_for_model(ConcernLevel),
            subject_id__in=list(waiting),
            outcome__in=BOARD_OUTCOMES,
            used_at__isnull=True,
            meeting__quorate=True,
        )
        .select_related("meeting")
        .order_by("recorded_at", "pk")
    )
    for decision in decisions:
        concern = waiting[decision.subject_id]
        held = timezone.localdate(decision.meeting.starts_at)
        if concern.proposed_on and held >= concern.proposed_on:
            concern._board_decisions.setdefault(decision.outcome, decision)


def _waiting_suggestion(concern: ConcernLevel) -> ConcernSuggestion | None:
    return ConcernSuggestion.objects.waiting().filter(service_id=concern.service_id).first()


CONCERN = Workflow(
    ConcernLevel,
    name="concern level",
    field="level",
    url_name="concern:step",
    forbidden=MANAGERS_ONLY,
    facts={"waiting_suggestion": _waiting_suggestion, "board_decisions": _board_decisions},
    tags={1: "green", 2: "orange", 3: "red"},
    transitions=[
        Transition(
            "decide",
            source={1, 2},
            target=lambda step: _number(step, "level"),
            permission="decide",
            guards=(_no_proposal_waiting,),
            checks=(
                _still_at_the_level_seen,
                _level_chosen,
                _one_manager_move,
                _reason_given,
                _suggestion_fits,
            ),
            changes=_decided,
            effects=(_record_decision,),
            state_reason=lambda concern: (
                "From level 3, a move is decided by the board: propose it."
            ),
            title="Change the concern level",
            label=lambda concern: f"Move to level {2 if concern.level == 1 else 1}",
            button="Save the decision",
        ),
        Transition(
            "propose",
            source=set(LEVELS),
            permission="decide",
            guards=(_no_proposal_waiting,),
            checks=(
                _still_at_the_level_seen,
                _level_chosen,
                _second_manager_move,
                _reason_given,
                _suggestion_fits,
            ),
            changes=_proposed,
            title="Propose a move to or from level 3",
            label=lambda concern: (
                "Propose a lower level" if concern.level == 3 else "Propose level 3"
            ),
            button="Propose it",
        ),
        # The board decides (a quorate meeting's decision, used once); a manager records it.
        Transition(
            "approve",
            source=set(LEVELS),
            target=lambda step: step.obj.proposed_level,
            permission="approve",
            forbidden=MANAGERS_ONLY,
            guards=(_proposal_waiting, _board_decided("approve", "to approve")),
            changes=_board_decision(DecisionKind.APPROVED, "approve", "comment"),
            effects=(_use_board_decision, _record_decision),
            title="Record the board's approval of the proposed level",
            label="The board approved the move",
            button="Move to the approved level",
            style="primary",
        ),
        Transition(
            "reject",
            source=set(LEVELS),
            permission="approve",
            forbidden=MANAGERS_ONLY,
            guards=(_proposal_waiting, _board_decided("reject", "not to approve")),
            changes=_board_decision(DecisionKind.NOT_APPROVED, "reject", "reason"),
            effects=(_use_board_decision, _record_decision),
            title="Record the board's decision not to approve the proposed level",
            label="The board did not approve the move",
            button="Record it: the level stays",
            style="warning",
        ),
        Transition(
            "withdraw",
            source=set(LEVELS),
            permission="decide",
            who=_the_proposer,
            guards=(_proposal_waiting,),
            changes=lambda step: dict(_NO_PROPOSAL),
            title="Withdraw the proposal",
            label="Withdraw the proposal",
            button="Withdraw it",
            style="warning",
        ),
    ],
)


def _reason_for_dismissing(step: Step):
    return None if step.text("reason") else "Say why the suggestion is dismissed."


SUGGESTION = Workflow(
    ConcernSuggestion,
    name="concern suggestion",
    policy_model=POLICY_MODEL,
    url_name="concern:suggestion_step",
    forbidden=MANAGERS_ONLY,
    tags={S.WAITING: "yellow", S.ACCEPTED: "green", S.DISMISSED: "grey", S.WITHDRAWN: "grey"},
    transitions=[
        Transition(
            "dismiss",
            source={S.WAITING},
            target=S.DISMISSED,
            permission="decide",
            checks=(_reason_for_dismissing,),
            changes=lambda step: {
                "closed_by": step.actor,
                "closed_on": step.today,
                "dismiss_reason": step.text("reason"),
            },
            state_reason=lambda s: f"This suggestion is {s.get_status_display().lower()}.",
            title="Dismiss the suggestion",
            label="Dismiss",
            button="Dismiss it",
            style="warning",
        ),
        # Taken by a decision that brings the service to the suggested level, never from a
        # page of its own.
        Transition(
            "accept",
            source={S.WAITING},
            target=S.ACCEPTED,
            permission="decide",
            changes=lambda step: {"closed_by": step.actor, "closed_on": step.today},
            state_reason=lambda s: f"This suggestion is {s.get_status_display().lower()}.",
        ),
    ],
)
