"""Deciding concern levels through the workflow mechanism (qaf.workflow): Maya and Mo are
managers, Olivia an officer, Pat works at Sunrise Care. Sunrise House starts at level 1 with no
row of its own."""

from __future__ import annotations

import pytest

from escalation import concern_services as concern
from escalation.concern_workflows import CONCERN, SUGGESTION
from escalation.models import (
    BoardDecision,
    ConcernDecision,
    ConcernLevel,
    DecisionKind,
    SuggestionStatus,
)
from qaf.workflow import Forbidden, NotNow
from tests.escalation.support import TODAY, board_decides_concern, waiting_suggestion

pytestmark = pytest.mark.django_db


def _level(service) -> int:
    row = ConcernLevel.objects.filter(pk=service.pk).first()
    return row.level if row else 1


def test_a_manager_moves_a_service_to_level_2_with_a_reason(sunrise_house, manager_maya):
    decision = concern.decide(
        sunrise_house, actor=manager_maya, level=2, reason="Repeated complaints", today=TODAY
    )
    assert _level(sunrise_house) == 2
    assert (decision.kind, decision.from_level, decision.to_level) == (DecisionKind.DECIDED, 1, 2)
    assert (decision.reason, decision.decided_by, decision.decided_on) == (
        "Repeated complaints",
        manager_maya,
        TODAY,
    )
    row = ConcernLevel.objects.get(pk=sunrise_house.pk)
    assert row.decided_on == TODAY
    # The history names who did it.
    assert row.history.latest().history_user == manager_maya
    # And back down to 1, again with a reason.
    concern.decide(sunrise_house, actor=manager_maya, level=1, reason="Complaints resolved")
    assert _level(sunrise_house) == 1
    assert ConcernDecision.objects.filter(service=sunrise_house).count() == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"level": 2, "reason": "  "}, "Give the reason"),
        ({"level": 1, "reason": "x"}, "at level 1 already"),
        ({"level": 7, "reason": "x"}, "Choose the level"),
        ({"level": "two", "reason": "x"}, "Choose the level"),
        ({"level": 3, "reason": "x"}, "propose it instead"),
        ({"level": 2, "reason": "x", "from_level": 2}, "at level 1 now, not level 2"),
    ],
)
def test_a_refused_decision_says_why_and_writes_nothing(
    sunrise_house, manager_maya, params, message
):
    with pytest.raises(NotNow, match=message):
        concern.decide(sunrise_house, actor=manager_maya, **params)
    assert not ConcernLevel.objects.exists()
    assert not ConcernDecision.objects.exists()


@pytest.mark.parametrize("who", ["officer_olivia", "board_bea", "partner_pia", "provider_pat"])
def test_only_managers_decide(request, sunrise_house, who):
    with pytest.raises(Forbidden, match="Only quality managers"):
        concern.decide(sunrise_house, actor=request.getfixturevalue(who), level=2, reason="x")
    assert not ConcernLevel.objects.exists()


def test_a_move_to_level_3_is_proposed_by_a_manager_and_decided_by_the_board(
    sunrise_house, manager_maya, manager_mo, board_bea
):
    concern.decide(sunrise_house, actor=manager_maya, level=2, reason="Warning notice")
    concern.propose(
        sunrise_house, actor=manager_maya, level=3, reason="Inadequate rating", today=TODAY
    )
    row = ConcernLevel.objects.get(pk=sunrise_house.pk)
    assert (row.level, row.proposed_level, row.proposed_by, row.proposed_on) == (
        2,
        3,
        manager_maya,
        TODAY,
    )
    # No second manager any more: only the board's decision at a quorate meeting moves it.
    with pytest.raises(NotNow, match="board has not decided to approve"):
        concern.approve(sunrise_house, actor=manager_mo)
    # While it waits, nobody decides or proposes anything else.
    with pytest.raises(NotNow, match="waits for the board's decision"):
        concern.decide(sunrise_house, actor=manager_mo, level=1, reason="x")
    with pytest.raises(NotNow, match="waits for the board's decision"):
        concern.propose(sunrise_house, actor=manager_mo, level=3, reason="x")

    board_decides_concern(sunrise_house, "approve", bea=board_bea, maya=manager_maya)
    decision = concern.approve(
        sunrise_house, actor=manager_mo, comment="Agreed at the meeting", today=TODAY
    )
    row.refresh_from_db()
    assert (row.level, row.proposed_level, row.proposed_by) == (3, None, None)
    assert decision.kind == DecisionKind.APPROVED
    assert (decision.from_level, decision.to_level) == (2, 3)
    assert (decision.proposed_by, decision.decided_by) == (manager_maya, manager_mo)
    assert decision.reason == "Inadequate rating"
    assert decision.comment.startswith("The board's decision at its meeting of ")
    assert decision.comment.endswith("The concerns are systematic.\nAgreed at the meeting")
    assert row.history.latest().history_user == manager_mo
    # The decision is used: it moves nothing again.
    assert BoardDecision.objects.get().used_at is not None

    # From level 3 even a move to 2 is the board's.
    with pytest.raises(NotNow, match="From level 3, a move is decided by the board"):
        concern.decide(sunrise_house, actor=manager_mo, level=2, reason="Better")
    concern.propose(sunrise_house, actor=manager_mo, level=2, reason="Rating now Good")
    assert ConcernLevel.objects.get(pk=sunrise_house.pk).proposed_level == 2


def test_a_move_between_1_and_2_is_not_proposed(sunrise_house, manager_maya):
    with pytest.raises(NotNow, match="decided by one manager: decide it instead"):
        concern.propose(sunrise_house, actor=manager_maya, level=2, reason="x")
    assert not ConcernLevel.objects.exists()


def test_a_level_1_service_can_be_proposed_straight_to_level_3(
    sunrise_house, manager_maya, manager_mo, board_bea
):
    concern.propose(sunrise_house, actor=manager_maya, level=3, reason="Closure threatened")
    board_decides_concern(sunrise_house, "approve", bea=board_bea, maya=manager_maya)
    concern.approve(sunrise_house, actor=manager_mo)
    assert _level(sunrise_house) == 3


def test_the_board_may_not_approve_it(sunrise_house, manager_maya, manager_mo, board_bea):
    concern.propose(sunrise_house, actor=manager_maya, level=3, reason="Inadequate rating")
    with pytest.raises(NotNow, match="board has not decided not to approve"):
        concern.reject(sunrise_house, actor=manager_mo, reason="")
    board_decides_concern(sunrise_house, "reject", bea=board_bea, maya=manager_maya)
    # A decision not to approve does not approve.
    with pytest.raises(NotNow, match="board has not decided to approve"):
        concern.approve(sunrise_house, actor=manager_mo)
    decision = concern.reject(sunrise_house, actor=manager_mo, reason="Improving already")
    assert (decision.kind, decision.from_level, decision.to_level) == (
        DecisionKind.NOT_APPROVED,
        1,
        3,
    )
    assert decision.comment.endswith("\nImproving already")
    row = ConcernLevel.objects.get(pk=sunrise_house.pk)
    assert (row.level, row.proposed_level) == (1, None)
    with pytest.raises(NotNow, match="No move is proposed"):
        concern.approve(sunrise_house, actor=manager_mo)


def test_only_the_proposer_withdraws_a_proposal(sunrise_house, manager_maya, manager_mo):
    concern.propose(sunrise_house, actor=manager_maya, level=3, reason="Inadequate rating")
    with pytest.raises(Forbidden, match="Only the manager who proposed"):
        concern.withdraw(sunrise_house, actor=manager_mo)
    concern.withdraw(sunrise_house, actor=manager_maya)
    row = ConcernLevel.objects.get(pk=sunrise_house.pk)
    assert (row.level, row.proposed_level) == (1, None)
    assert not ConcernDecision.objects.exists()  # nothing was decided


def test_a_decision_accepts_the_suggestion_it_names(sunrise_house, manager_maya):
    suggestion = waiting_suggestion(sunrise_house, 2)
    decision = concern.decide(
        sunrise_house,
        actor=manager_maya,
        level=2,
        reason="As suggested",
        suggestion=suggestion.pk,
        today=TODAY,
    )
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    assert (suggestion.closed_by, suggestion.closed_on) == (manager_maya, TODAY)
    assert decision.suggestion == suggestion


def test_a_decision_to_the_suggested_level_accepts_it_even_unnamed(
    sunrise_house, manager_maya, manager_mo, board_bea
):
    suggestion = waiting_suggestion(sunrise_house, 3)
    concern.propose(sunrise_house, actor=manager_maya, level=3, reason="Inadequate")
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.WAITING  # until the board approves
    board_decides_concern(sunrise_house, "approve", bea=board_bea, maya=manager_maya)
    decision = concern.approve(sunrise_house, actor=manager_mo)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    assert decision.suggestion == suggestion


def test_a_suggestion_named_must_be_waiting_and_of_the_level_chosen(sunrise_house, manager_maya):
    suggestion = waiting_suggestion(sunrise_house, 3)
    with pytest.raises(NotNow, match="The suggestion is level 3"):
        concern.decide(
            sunrise_house, actor=manager_maya, level=2, reason="x", suggestion=suggestion.pk
        )
    with pytest.raises(NotNow, match="no longer waiting"):
        concern.decide(
            sunrise_house, actor=manager_maya, level=2, reason="x", suggestion=suggestion.pk + 1
        )
    # A decision to another level leaves the suggestion waiting.
    concern.decide(sunrise_house, actor=manager_maya, level=2, reason="Only moderate")
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.WAITING


def test_dismissing_a_suggestion_needs_a_manager_and_a_reason(
    sunrise_house, manager_maya, officer_olivia
):
    suggestion = waiting_suggestion(sunrise_house, 2)
    with pytest.raises(Forbidden):
        concern.dismiss(suggestion, actor=officer_olivia, reason="No")
    with pytest.raises(NotNow, match="Say why the suggestion is dismissed"):
        concern.dismiss(suggestion, actor=manager_maya, reason=" ")
    concern.dismiss(suggestion, actor=manager_maya, reason="Rating under appeal", today=TODAY)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.dismiss_reason) == (
        SuggestionStatus.DISMISSED,
        "Rating under appeal",
    )
    assert suggestion.history.latest().history_user == manager_maya
    with pytest.raises(NotNow, match="This suggestion is dismissed"):
        concern.dismiss(suggestion, actor=manager_maya, reason="Again")


def test_pages_are_offered_the_steps_each_manager_may_take(
    sunrise_house, manager_maya, manager_mo, officer_olivia, board_bea
):
    def offered(user):
        row = concern.concern_of(sunrise_house)
        return [a.action for a in CONCERN.actions_for(row, user) if a.allowed]

    assert offered(manager_maya) == ["decide", "propose"]
    assert offered(officer_olivia) == []
    concern.propose(sunrise_house, actor=manager_maya, level=3, reason="Inadequate")
    sunrise_house.refresh_from_db()
    assert offered(manager_maya) == ["withdraw"]
    assert offered(manager_mo) == []  # the board decides first
    board_decides_concern(sunrise_house, "approve", bea=board_bea, maya=manager_maya)
    assert offered(manager_mo) == ["approve"]
    assert offered(manager_maya) == ["approve", "withdraw"]


def test_a_decision_about_an_earlier_proposal_does_not_count(
    sunrise_house, manager_maya, manager_mo, board_bea
):
    """The board approved a proposal that was then withdrawn: the next proposal, made after the
    meeting, needs a decision of its own."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    concern.propose(sunrise_house, actor=manager_maya, level=3, reason="x", today=today)
    board_decides_concern(sunrise_house, "approve", bea=board_bea, maya=manager_maya)
    concern.withdraw(sunrise_house, actor=manager_maya)
    concern.propose(
        sunrise_house, actor=manager_maya, level=3, reason="y", today=today + timedelta(days=1)
    )
    with pytest.raises(NotNow, match="board has not decided"):
        concern.approve(sunrise_house, actor=manager_mo, today=today + timedelta(days=1))


def test_every_table_names_a_known_state_for_each_of_its_steps():
    for workflow in (CONCERN, SUGGESTION):
        states = {value for value, _ in workflow.model._meta.get_field(workflow.field).choices}
        for t in workflow.transitions.values():
            assert set(t.source) <= states, (workflow.name, t.action)
