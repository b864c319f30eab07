"""The one workflow mechanism (qaf.workflow) as the review's table uses it: the actor is
required, refusals change nothing, guards are pure functions of the step, and pages are offered
exactly the steps the user may take now.

Olivia (officer) carries out a review of Sunrise House; Maya is a manager, Pia a partner, Pat
works for Sunrise Care and Quinn for Oak Lodge.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from qaf.workflow import Forbidden, NotNow, Step, Transition, Workflow
from reviews import services, workflows
from reviews.models import Rag, Review, ReviewStatus
from reviews.toolkits import TOOLKIT
from reviews.workflows import COMMENT, ITEM, REQUEST, REVIEW
from tests.factories import small_toolkit

pytestmark = pytest.mark.django_db

S = ReviewStatus
LAYOUT = {"Safe": {"S1 Safeguarding": ["Do staff know how to report abuse?"]}}


@pytest.fixture
def planned(sunrise_house, officer_olivia) -> Review:
    return services.plan_review(sunrise_house, actor=officer_olivia, toolkit=small_toolkit(LAYOUT))


@pytest.fixture
def draft(planned, officer_olivia) -> Review:
    question = services.questions_of(planned).get()
    services.save_answer(planned, question, actor=officer_olivia, expected_version=0, score="3")
    services.record_visit(planned, actor=officer_olivia)
    return services.prepare_draft(planned, actor=officer_olivia, rating=Rag.GREEN)


def _history(review: Review) -> list[tuple[str, int | None]]:
    return list(review.history.order_by("history_id").values_list("status", "history_user_id"))


# --- The actor ----------------------------------------------------------------------------------


def test_a_step_called_without_an_actor_is_refused_and_changes_nothing(planned):
    before = _history(planned)
    with pytest.raises(TypeError, match="actor"):
        REVIEW.apply(planned, "record-visit")  # the actor is a required keyword
    with pytest.raises(Forbidden, match="Nobody is named"):
        REVIEW.apply(planned, "record-visit", actor=None)
    planned.refresh_from_db()
    assert planned.status == S.PLANNED
    assert _history(planned) == before


def test_every_history_row_of_a_step_names_its_actor(draft, officer_olivia, manager_maya):
    services.request_manager_review(draft, actor=officer_olivia)
    services.record_manager_review(draft, actor=manager_maya)
    services.share_draft(draft, actor=officer_olivia)
    rows = draft.history.order_by("history_id").values_list("history_user_id", flat=True)
    assert None not in rows
    assert list(rows)[-3:] == [officer_olivia.pk, manager_maya.pk, officer_olivia.pk]


# --- Refusals ------------------------------------------------------------------------------------


def test_a_role_without_the_permission_is_forbidden_and_a_wrong_state_is_not_now(
    planned, partner_pia, provider_pat, officer_olivia
):
    for outsider in (partner_pia, provider_pat):
        with pytest.raises(Forbidden):
            services.finalise(planned, actor=outsider)
    with pytest.raises(NotNow, match="planned: it cannot be moved to “final”"):
        services.finalise(planned, actor=officer_olivia)
    planned.refresh_from_db()
    assert planned.status == S.PLANNED


def test_a_refused_effect_rolls_the_whole_step_back(draft, officer_olivia, monkeypatch):
    """The state, the history row and the documents are one transaction."""

    def broken_report(*args, **kwargs):
        raise RuntimeError("the document store is down")

    monkeypatch.setattr("reviews.documents.issue_report", broken_report)
    before = _history(draft)
    with pytest.raises(RuntimeError):
        services.share_draft(draft, actor=officer_olivia)
    draft.refresh_from_db()
    assert draft.status == S.DRAFT
    assert draft.comments_due is None
    assert _history(draft) == before


def test_a_table_with_an_action_listed_twice_is_refused():
    t = Transition("go", source={"a"}, target="b")
    with pytest.raises(ValueError, match="listed twice"):
        Workflow(Review, name="broken", transitions=[t, t])


# --- Guards are pure functions of the step ------------------------------------------------------


def _step(action: str, obj, *, facts=None, params=None, actor=None, today=date(2026, 3, 2)):
    t = REVIEW.transition(action)
    return Step(REVIEW, t, obj, actor, today, params or {}, None, facts or {})


def test_finalise_waits_for_every_comment_and_a_requested_manager_review():
    comments, manager = workflows._comments_answered, workflows._manager_review_done
    review = SimpleNamespace(waiting_for_manager=False)
    assert comments(_step("finalise", review, facts={"unanswered_comments": True})) == (
        "Answer every comment from the provider before issuing the final report."
    )
    assert comments(_step("finalise", review, facts={"unanswered_comments": False})) is None
    assert manager(_step("finalise", review)) is None
    review.waiting_for_manager = True
    assert "has not yet done so" in manager(_step("finalise", review))


@pytest.mark.parametrize(
    ("today", "refused"),
    [(date(2026, 3, 15), False), (date(2026, 3, 16), True)],
    ids=["on the last day", "the day after"],
)
def test_comments_are_taken_up_to_and_including_the_due_day(today, refused):
    within = workflows._within_comment_period
    review = SimpleNamespace(comments_due=date(2026, 3, 15))
    reason = within(_step("comment", review, today=today))
    assert (reason is not None) is refused
    if refused:
        assert reason.startswith("The time for comments ended on 15 March 2026")


def test_a_draft_needs_something_scored():
    scored = workflows._scored_something
    assert scored(_step("prepare-draft", object(), facts={"suggested": None})).startswith(
        "Score at least one question"
    )
    assert scored(_step("prepare-draft", object(), facts={"suggested": Rag.AMBER})) is None


# --- What pages are offered ---------------------------------------------------------------------


def _offered(review, user) -> dict[str, bool]:
    return {a.action: a.allowed for a in REVIEW.actions_for(review, user)}


def test_pages_are_offered_exactly_the_steps_the_user_may_take_now(
    draft, officer_olivia, manager_maya, partner_pia, provider_pat, board_bea
):
    assert _offered(draft, officer_olivia) == {
        "edit-visit": True,
        "prepare-draft": True,
        "share-draft": True,
        "request-manager-review": True,
        "cancel": True,
        "request-information": True,
    }
    for reader in (partner_pia, provider_pat, board_bea):
        assert _offered(draft, reader) == {}

    services.request_manager_review(draft, actor=officer_olivia)
    assert "request-manager-review" not in _offered(draft, officer_olivia)
    assert "manager-reviewed" not in _offered(draft, officer_olivia)  # not a manager
    assert _offered(draft, manager_maya)["manager-reviewed"] is True

    services.share_draft(draft, actor=officer_olivia)
    assert "edit-visit" not in _offered(draft, officer_olivia)
    # Finalising waits for the manager's review: the page says why instead of a button.
    (finalise,) = [a for a in REVIEW.actions_for(draft, officer_olivia) if a.action == "finalise"]
    assert not finalise.allowed
    assert "has not yet done so" in finalise.reason


def test_the_review_page_draws_the_offered_buttons_and_no_others(
    client_for, draft, officer_olivia, partner_pia
):
    page = client_for(officer_olivia).get(draft.get_absolute_url()).content.decode()
    assert "Share the draft with the provider" in page
    assert "Record the visit as done" not in page  # the visit is recorded already
    assert "Issue the final report" not in page  # not shared yet
    page = client_for(partner_pia).get(draft.get_absolute_url()).content.decode()
    assert "Next steps" not in page
    assert "Cancel the review" not in page


def test_every_table_names_a_known_state_for_each_of_its_steps():
    """A typo in a table (a state that does not exist) would make a step never possible."""
    for workflow in (REVIEW, COMMENT, REQUEST, ITEM, TOOLKIT):
        states = {value for value, _ in workflow.model._meta.get_field(workflow.field).choices}
        states.add("")  # a blank choice field's first state (an unanswered comment)
        for t in workflow.transitions.values():
            assert set(t.source) <= states, (workflow.name, t.action)
            if isinstance(t.target, str):
                assert t.target in states, (workflow.name, t.action)
