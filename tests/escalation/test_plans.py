"""Improvement plans (SPEC §6; source 000 §7, 003 §2.5): a test per rule, boundary days too."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from escalation import concern, plan_services
from escalation.models import (
    ImprovementPlan,
    PlanAction,
    PlanStatus,
    PlanSuggestion,
    PlanUpdate,
)
from qaf.models import Document, Notification
from tests.escalation.plan_support import ASKED, DUE, plan_for, red_review, written
from tests.factories import EvidenceFactory, ServiceFactory

pytestmark = pytest.mark.django_db


# --- The trigger ---------------------------------------------------------------------------------


def test_a_final_review_rated_red_suggests_a_plan_once(sunrise_house, officer_olivia):
    red_review(sunrise_house, officer=officer_olivia)
    assert plan_services.sync_suggestions(ASKED) == 1
    assert plan_services.sync_suggestions(ASKED) == 0  # idempotent
    suggestion = PlanSuggestion.objects.get()
    assert suggestion.status == "open"
    assert suggestion.describe() == "Final review rated Red on 10 November 2026"


def test_a_green_review_suggests_nothing(sunrise_house, officer_olivia):
    review = red_review(sunrise_house, officer=officer_olivia)
    review.rating = "green"
    review.save()
    assert plan_services.sync_suggestions(ASKED) == 0


def test_only_the_latest_final_review_is_a_trigger(sunrise_house, officer_olivia):
    red_review(sunrise_house, officer=officer_olivia, day=date(2026, 1, 5))
    later = red_review(sunrise_house, officer=officer_olivia)
    later.rating = "green"
    later.save()
    assert plan_services.sync_suggestions(ASKED) == 0


@pytest.mark.parametrize(
    ("rating", "suggested"),
    [("requires_improvement", True), ("inadequate", True), ("good", False), ("outstanding", False)],
)
def test_a_regulator_rating_of_requires_improvement_or_inadequate_suggests_a_plan(
    db, rating, suggested
):
    service = ServiceFactory(regulator_rating=rating, last_inspection_date=date(2026, 10, 1))
    assert plan_services.sync_suggestions(ASKED) == int(suggested)
    assert plan_services.sync_suggestions(ASKED + timedelta(days=1)) == 0
    if suggested:
        assert PlanSuggestion.objects.get(service=service).arose_on == date(2026, 10, 1)


def test_a_rating_without_an_inspection_date_is_suggested_once(db):
    ServiceFactory(regulator_rating="inadequate", last_inspection_date=None)
    assert plan_services.sync_suggestions(ASKED) == 1
    assert plan_services.sync_suggestions(ASKED + timedelta(days=1)) == 0


def test_the_officer_records_why_no_plan_is_needed(sunrise_house, officer_olivia, provider_pat):
    red_review(sunrise_house, officer=officer_olivia)
    plan_services.sync_suggestions(ASKED)
    suggestion = PlanSuggestion.objects.get()
    with pytest.raises(plan_services.NotNow, match="Say why"):
        plan_services.not_needed(suggestion, actor=officer_olivia, reason="  ")
    with pytest.raises(plan_services.Forbidden):
        plan_services.not_needed(suggestion, actor=provider_pat, reason="No")
    plan_services.not_needed(suggestion, actor=officer_olivia, reason="CQC action plan covers it")
    suggestion.refresh_from_db()
    assert suggestion.status == "not_needed"
    assert suggestion.history.first().history_user == officer_olivia
    assert not plan_services.open_suggestions(officer_olivia).exists()


# --- Opening: one open plan per service -----------------------------------------------------------


def test_the_plan_has_an_issue_per_standard_scored_amber_or_red(sunrise_house, officer_olivia):
    plan, review = plan_for(sunrise_house, officer=officer_olivia)
    issues = list(plan.issues.order_by("pk"))
    assert [(i.standard.code, i.rag) for i in issues] == [("S1", "red"), ("S2", "amber")]
    assert all(i.review == review and i.source == "review_standard" for i in issues)
    assert plan.status == PlanStatus.DRAFT
    assert plan.requested_on == ASKED and plan.submit_due == DUE  # 14 days from the request
    assert PlanSuggestion.objects.get().status == "planned"


def test_opening_a_plan_asks_the_provider_for_it_by_its_due_day(
    sunrise_house, officer_olivia, provider_pat
):
    plan, _ = plan_for(sunrise_house, officer=officer_olivia)
    notice = Notification.objects.get(user=provider_pat, object_id=plan.pk)
    # Asked for, not "returned": nothing has come back from the provider yet.
    assert notice.kind == "plan_requested"
    assert notice.kind_label == "Improvement plan asked for"
    assert "asks for an improvement plan for Sunrise House by" in notice.message


def test_one_open_plan_per_service_is_held_by_the_database(sunrise_house, officer_olivia):
    plan, _ = plan_for(sunrise_house, officer=officer_olivia)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImprovementPlan.objects.create(
            service=sunrise_house, requested_on=ASKED, requested_by=officer_olivia, submit_due=DUE
        )
    with pytest.raises(plan_services.NotNow, match="open improvement plan already"):
        plan_services.open_plan(sunrise_house, actor=officer_olivia, text="Another issue")
    # A closed plan does not count: a new one may be opened.
    ImprovementPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.CLOSED)
    assert plan_services.open_plan(sunrise_house, actor=officer_olivia, text="New concerns")


def test_a_further_trigger_is_merged_into_the_open_plan(sunrise_house, officer_olivia):
    plan, _ = plan_for(sunrise_house, officer=officer_olivia)
    sunrise_house.regulator_rating = "requires_improvement"
    sunrise_house.last_inspection_date = date(2026, 11, 20)
    sunrise_house.save()
    plan_services.sync_suggestions(date(2026, 11, 21))
    rating = PlanSuggestion.objects.get(kind="regulator")
    plan_services.add_issue(plan, actor=officer_olivia, suggestions=[rating])
    assert plan.issues.filter(source="regulator").count() == 1
    assert ImprovementPlan.objects.count() == 1


# --- Writing and submitting ---------------------------------------------------------------------


def test_submitting_needs_the_person_responsible_and_an_action_per_issue(
    sunrise_house, officer_olivia, provider_pat
):
    plan, _ = plan_for(sunrise_house, officer=officer_olivia)
    with pytest.raises(plan_services.NotNow, match="person responsible"):
        plan_services.submit(plan, actor=provider_pat)
    plan_services.edit_plan(plan, actor=provider_pat, version=None, responsible_person="Pat")
    with pytest.raises(plan_services.NotNow, match="at least one action for every issue"):
        plan_services.submit(plan, actor=provider_pat)
    written(plan, by=provider_pat)
    plan_services.submit(plan, actor=provider_pat, today=DUE)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED and plan.submitted_by == provider_pat


def test_another_organisation_cannot_write_or_submit_the_plan(
    sunrise_house, officer_olivia, provider_quinn
):
    plan, _ = plan_for(sunrise_house, officer=officer_olivia)
    with pytest.raises(plan_services.Forbidden):
        plan_services.edit_plan(plan, actor=provider_quinn, version=None, responsible_person="Q")
    with pytest.raises(plan_services.Forbidden):
        plan_services.submit(plan, actor=provider_quinn)
    assert not ImprovementPlan.objects.visible_to(provider_quinn).exists()


def test_the_submission_is_overdue_the_day_after_its_due_day(sunrise_house, officer_olivia):
    plan, _ = plan_for(sunrise_house, officer=officer_olivia)
    assert not plan.submission_overdue_on(DUE)
    assert plan.submission_overdue_on(DUE + timedelta(days=1))
    annotated = ImprovementPlan.objects.with_overdue(DUE + timedelta(days=1)).get()
    assert annotated.submission_overdue


def test_an_action_due_in_the_past_is_refused(sunrise_house, officer_olivia, provider_pat):
    plan, _ = plan_for(sunrise_house, officer=officer_olivia)
    with pytest.raises(plan_services.NotNow, match="today or later"):
        plan_services.add_action(
            plan.issues.first(),
            actor=provider_pat,
            today=ASKED,
            what="x",
            success_measure="y",
            responsible="z",
            due_on=ASKED - timedelta(days=1),
        )


def test_a_stale_edit_is_refused(sunrise_house, officer_olivia, provider_pat):
    plan, _ = plan_for(sunrise_house, officer=officer_olivia)
    version = plan.version
    plan_services.edit_plan(plan, actor=provider_pat, version=version, responsible_person="A")
    with pytest.raises(plan_services.StaleEdit):
        plan_services.edit_plan(plan, actor=officer_olivia, version=version, responsible_person="B")
    plan.refresh_from_db()
    assert plan.responsible_person == "A"


# --- Returning and accepting ---------------------------------------------------------------------


def test_returning_needs_a_comment_and_stores_one_per_action(
    sunrise_house, officer_olivia, provider_pat
):
    plan = written(plan_for(sunrise_house, officer=officer_olivia)[0], by=provider_pat)
    plan_services.submit(plan, actor=provider_pat)
    with pytest.raises(plan_services.NotNow, match="Say what the provider should change"):
        plan_services.return_plan(plan, actor=officer_olivia)
    first = plan.actions.first()
    plan_services.return_plan(
        plan, actor=officer_olivia, comments={first.pk: "Make it measurable"}, today=DUE
    )
    plan.refresh_from_db()
    first.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED and plan.times_returned == 1
    assert plan.submit_due == DUE + timedelta(days=14)
    assert first.return_comment == "Make it measurable"
    # The provider cannot return or accept: those are the council's.
    plan_services.submit(plan, actor=provider_pat)
    with pytest.raises(plan_services.Forbidden):
        plan_services.accept(plan, actor=provider_pat)


def test_accepting_agrees_the_actions_and_issues_the_plan_pdf(
    sunrise_house, officer_olivia, provider_pat, django_capture_on_commit_callbacks
):
    plan = written(plan_for(sunrise_house, officer=officer_olivia)[0], by=provider_pat)
    plan_services.submit(plan, actor=provider_pat)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.accept(plan, actor=officer_olivia)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACCEPTED and plan.accepted_by == officer_olivia
    assert set(plan.actions.values_list("agreed", flat=True)) == {True}
    document = Document.objects.get(kind="improvement_plan")
    assert document.visible_to_provider and document.provider_id == sunrise_house.provider_id
    # An agreed action is updated, not edited or removed.
    action = plan.actions.first()
    with pytest.raises(plan_services.NotNow):
        plan_services.delete_action(action, actor=provider_pat)


# --- Updates, verification, closing ------------------------------------------------------------


def _accepted(service, officer, provider_user, *, due=date(2027, 1, 31)):
    plan = written(plan_for(service, officer=officer)[0], by=provider_user, due=due)
    plan_services.submit(plan, actor=provider_user)
    plan_services.accept(plan, actor=officer)
    plan.refresh_from_db()
    return plan


def test_updates_carry_evidence_from_the_providers_own_library_only(
    sunrise_house, officer_olivia, provider_pat, oak_lodge
):
    plan = _accepted(sunrise_house, officer_olivia, provider_pat)
    action = plan.actions.first()
    own = EvidenceFactory(provider=sunrise_house.provider)
    theirs = EvidenceFactory(provider=oak_lodge)
    with pytest.raises(plan_services.NotNow, match="own library"):
        plan_services.post_update(
            action, actor=provider_pat, text="Done", status="done", evidence=[theirs]
        )
    update = plan_services.post_update(
        action, actor=provider_pat, text="Audit done", status="done", evidence=[own]
    )
    action.refresh_from_db()
    assert action.status == "done"
    assert list(update.evidence.all()) == [own]
    assert PlanUpdate.objects.count() == 1


def test_the_plan_closes_when_every_action_is_verified(sunrise_house, officer_olivia, provider_pat):
    plan = _accepted(sunrise_house, officer_olivia, provider_pat)
    actions = list(plan.actions.all())
    with pytest.raises(plan_services.NotNow, match="every action is verified"):
        plan_services.close(plan, actor=officer_olivia)
    for action in actions:
        plan_services.post_update(action, actor=provider_pat, text="Done", status="done")
    with pytest.raises(plan_services.Forbidden):
        plan_services.verify(actions[0], actor=provider_pat)
    plan_services.verify(actions[0], actor=officer_olivia)
    plan_services.reopen(actions[0], actor=officer_olivia, reason="The audit was not signed")
    actions[0].refresh_from_db()
    assert actions[0].status == "in_progress" and actions[0].verified_on is None
    plan_services.post_update(actions[0], actor=provider_pat, text="Signed", status="done")
    for action in actions:
        plan_services.verify(action, actor=officer_olivia)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED and plan.closed_by == officer_olivia
    whats = [row["what"] for row in plan_services.history(plan)]
    assert "Plan closed" in whats and "Plan requested" in whats


def test_a_new_issue_sends_an_agreed_plan_back_to_the_provider(
    sunrise_house, officer_olivia, provider_pat
):
    plan = _accepted(sunrise_house, officer_olivia, provider_pat)
    plan_services.add_issue(plan, actor=officer_olivia, text="Staff training records missing")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED
    assert plan.submit_due > ASKED  # 14 days from the day the issue was added
    with pytest.raises(plan_services.NotNow, match="Staff training records missing"):
        plan_services.submit(plan, actor=provider_pat)  # the new issue has no action yet
    # The agreed actions go on being updated meanwhile.
    agreed = plan.actions.filter(agreed=True).first()
    plan_services.post_update(agreed, actor=provider_pat, text="Started", status="in_progress")
    new_issue = plan.issues.get(text="Staff training records missing")
    plan_services.add_action(
        new_issue,
        actor=provider_pat,
        what="Audit training records",
        success_measure="Matrix complete",
        responsible="Trainer",
        due_on=date(2027, 3, 1),
        today=ASKED,
    )
    plan_services.submit(plan, actor=provider_pat)
    # The provider adds issues only while the plan is with it.
    with pytest.raises(plan_services.NotNow, match="with the council now"):
        plan_services.add_issue(plan, actor=provider_pat, text="Another")


# --- Overdue actions: flagged, notified once, feeding the concern level --------------------------


def test_an_action_is_overdue_the_day_after_its_due_day(
    sunrise_house, officer_olivia, provider_pat
):
    due = date(2027, 1, 31)
    plan = _accepted(sunrise_house, officer_olivia, provider_pat, due=due)
    action = plan.actions.first()
    assert not action.is_overdue(due)
    assert action.is_overdue(due + timedelta(days=1))
    assert PlanAction.objects.overdue(due).count() == 0
    assert PlanAction.objects.overdue(due + timedelta(days=1)).count() == plan.actions.count()


def test_overdue_actions_notify_the_provider_and_the_officer_once(
    sunrise_house, officer_olivia, provider_pat
):
    due = date(2027, 1, 31)
    plan = _accepted(sunrise_house, officer_olivia, provider_pat, due=due)
    Notification.objects.all().delete()
    day_after = due + timedelta(days=1)
    first = plan_services.nightly(day_after)
    again = plan_services.nightly(day_after + timedelta(days=1))
    overdue = Notification.objects.filter(kind="plan_action_overdue")
    assert first["plan_notices"] == overdue.count() == 2 * plan.actions.count()
    assert again["plan_notices"] == 0
    assert set(overdue.values_list("user", flat=True)) == {provider_pat.pk, officer_olivia.pk}


def test_overdue_notices_skip_an_officer_who_has_left(
    sunrise_house, officer_olivia, officer_owen, provider_pat
):
    """The lead officer first, else the officer who asked for the plan: whoever is still here."""
    due = date(2027, 1, 31)
    plan = _accepted(sunrise_house, officer_olivia, provider_pat, due=due)
    sunrise_house.lead_officer = officer_owen
    sunrise_house.save(update_fields=["lead_officer"])
    officer_owen.is_active = False
    officer_owen.save(update_fields=["is_active"])
    Notification.objects.all().delete()
    plan_services.nightly(due + timedelta(days=1))
    overdue = Notification.objects.filter(kind="plan_action_overdue")
    assert set(overdue.values_list("user", flat=True)) == {provider_pat.pk, officer_olivia.pk}

    officer_olivia.is_active = False
    officer_olivia.save(update_fields=["is_active"])
    Notification.objects.all().delete()
    plan_services.nightly(due + timedelta(days=2))
    overdue = Notification.objects.filter(kind="plan_action_overdue")
    assert set(overdue.values_list("user", flat=True)) == {provider_pat.pk}
    assert overdue.count() == plan.actions.count()


def test_overdue_actions_suggest_concern_level_two_then_three_after_three_months():
    due = date(2027, 1, 31)
    facts = concern.ConcernFacts(overdue_improvement_actions=(due,))
    settings = {"suspension_concern_months": 3, "concern_default_notice_months": 12}
    level2 = concern.overdue_improvement_actions(facts, date(2027, 4, 30), settings)
    assert level2.level == 2 and "31 January 2027" in level2.reason
    level3 = concern.overdue_improvement_actions(facts, date(2027, 5, 1), settings)
    assert level3.level == 3
    assert concern.overdue_improvement_actions(concern.ConcernFacts(), due, settings) is None


def test_submission_overdue_notices_go_once(sunrise_house, officer_olivia, provider_pat):
    plan_for(sunrise_house, officer=officer_olivia)
    Notification.objects.all().delete()
    assert plan_services.nightly(DUE)["plan_notices"] == 0
    assert plan_services.nightly(DUE + timedelta(days=1))["plan_notices"] == 2
    assert plan_services.nightly(DUE + timedelta(days=2))["plan_notices"] == 0


def test_a_final_review_suggests_a_plan_once_its_change_commits(
    sunrise_house, officer_olivia, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        red_review(sunrise_house, officer=officer_olivia)
    assert PlanSuggestion.objects.filter(service=sunrise_house, kind="review").count() == 1


def test_the_agreed_plan_pdf_says_what_was_agreed(sunrise_house, officer_olivia, provider_pat):
    from tests.escalation.qim_support import pdf_text

    _accepted(sunrise_house, officer_olivia, provider_pat)
    text = pdf_text(Document.objects.get(kind="improvement_plan"))
    assert "Improvement plan" in text and "Pat Jones, RM" in text
    assert "Monthly audit shows 100%" in text and "31 January 2027" in text
    assert "S1 Safeguarding: scored Red" in text
