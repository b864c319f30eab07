"""An improvement plan, its suggestions and its actions as workflow tables (qaf.workflow; SPEC §6
"Improvement plan"; source 000 §7, 003 §2.5).

    PlanSuggestion: open --plan--> planned (a plan opened from it, or it added to the open one)
                    open --not-needed--> not_needed (with the officer's reason)

    ImprovementPlan: draft/returned --submit--> submitted (by the provider; 14 days to do so)
                     submitted --accept--> accepted (the actions agreed; the plan PDF issued)
                     submitted --return--> returned (comments on the plan and per action)
                     any open --add-issue--> the same, or returned when it was with the officer
                         (a new issue needs its actions: the provider adds them, submits again)
                     accepted --close--> closed (every action verified; taken by the last verify)

    PlanAction: not_started/in_progress/done --update--> in_progress or done (a PlanUpdate with
                evidence); done --verify--> verified; done/verified --reopen--> in_progress
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from escalation import plan_documents
from escalation.models import (
    OPEN_PLAN_STATES,
    WITH_PROVIDER,
    ImprovementPlan,
    PlanAction,
    PlanActionStatus,
    PlanIssue,
    PlanStatus,
    PlanSuggestion,
    PlanSuggestionStatus,
    PlanUpdate,
)
from qaf.workflow import Step, Transition, Workflow

POLICY = "escalation.improvementplan"
S = PlanStatus
A = PlanActionStatus
# "Improvement plan submitted: 14 days from the trigger" (SPEC §5): from the officer's request,
# and again from a return.
SUBMIT_DAYS = 14
# The rules' words that the forms check first, to show them beside the fields.
NO_COMMENT = "Say what the provider should change: a comment on the plan or on an action."
NOTHING_TO_PLAN = "Choose what the plan answers, or describe the issue."
CASEWORK_ONLY = "Only quality officers and managers do this to an improvement plan."
PLAN_WRITERS = (
    "Only the provider's own users, and quality officers and managers, write improvement plans."
)


def _plan_of(step: Step) -> ImprovementPlan:
    return step.parent if step.parent is not None else step.obj


def _providers_own(step: Step):
    """A provider user acts only on their own organisation's plans (others never get here: 404)."""
    actor = step.actor
    if actor.provider_id and actor.provider_id != _plan_of(step).service.provider_id:
        return "This improvement plan is another organisation's."
    return None


# --- Suggestions -------------------------------------------------------------------------------


def _reason_given(step: Step):
    return None if step.text("reason") else "Say why no improvement plan is needed."


SUGGESTION = Workflow(
    PlanSuggestion,
    name="improvement plan suggestion",
    policy_model=POLICY,
    forbidden=CASEWORK_ONLY,
    not_now=lambda s, t: f"This suggestion is decided already: {s.get_status_display().lower()}.",
    tags={
        PlanSuggestionStatus.OPEN: "yellow",
        PlanSuggestionStatus.PLANNED: "green",
        PlanSuggestionStatus.NOT_NEEDED: "grey",
    },
    transitions=[
        Transition(
            "plan",
            source={PlanSuggestionStatus.OPEN},
            target=PlanSuggestionStatus.PLANNED,
            permission="add",
            changes=lambda step: {
                "plan": step.params["plan"],
                "decided_by": step.actor,
                "decided_on": step.today,
            },
        ),
        Transition(
            "not-needed",
            source={PlanSuggestionStatus.OPEN},
            target=PlanSuggestionStatus.NOT_NEEDED,
            permission="add",
            checks=(_reason_given,),
            changes=lambda step: {
                "not_needed_reason": step.text("reason"),
                "decided_by": step.actor,
                "decided_on": step.today,
            },
        ),
    ],
)


# --- The plan ----------------------------------------------------------------------------------


def _complete(step: Step):
    """What a plan needs before it goes to the officer: the person responsible, issues, and a
    SMART action for every issue."""
    plan = step.obj
    if not plan.responsible_person.strip():
        return "Name the person responsible for delivering the plan."
    issues = list(plan.issues.all())
    if not issues:
        return "Add the issues the plan answers."
    with_actions = set(plan.actions.values_list("issue_id", flat=True))
    missing = [i for i in issues if i.pk not in with_actions]
    if missing:
        return f"Add at least one action for every issue: “{missing[0].text[:80]}” has none."
    return None


def _submitted(step: Step) -> dict:
    return {"submitted_on": step.today, "submitted_by": step.actor}


def _accepted(step: Step) -> dict:
    return {"accepted_on": step.today, "accepted_by": step.actor, "return_comment": ""}


def _agree_actions(step: Step) -> None:
    """The plan as submitted is agreed: its actions' comments cleared, the plan PDF issued."""
    PlanAction.objects.filter(plan=step.obj).update(agreed=True, return_comment="")
    plan_documents.issue_plan(step.obj, actor=step.actor, today=step.today)


def _comments_given(step: Step):
    comments = step.params.get("comments") or {}
    if not step.text("comment") and not any(str(c or "").strip() for c in comments.values()):
        return NO_COMMENT
    known = set(step.obj.actions.values_list("pk", flat=True))
    if set(comments) - known:
        return "Comment only on the actions of this plan."
    return None


def _returned(step: Step) -> dict:
    return {
        "returned_on": step.today,
        "return_comment": step.text("comment"),
        "times_returned": step.obj.times_returned + 1,
        "submit_due": step.today + timedelta(days=SUBMIT_DAYS),
    }


def _store_return_comments(step: Step) -> None:
    for action in step.obj.actions.all():
        text = str((step.params.get("comments") or {}).get(action.pk) or "").strip()
        if text != action.return_comment:
            action.return_comment = text
            action._history_user = step.actor
            action.save(update_fields=["return_comment", "updated_at"])


def _provider_only_while_with_it(step: Step):
    if step.actor.provider_id and step.state not in WITH_PROVIDER:
        return (
            "The plan is with the council now: ask your quality officer to add the issue, or add "
            "it when the plan is returned to you."
        )
    return None


def _issue_given(step: Step):
    if not step.params.get("suggestions") and not step.text("text"):
        return "Describe the issue the plan answers."
    for suggestion in step.params.get("suggestions") or ():
        if suggestion.service_id != step.obj.service_id:
            return "The suggestion is about another service."
    return None


def _back_to_provider(step: Step):
    """A new issue on a plan with the officer, or agreed, goes back to the provider for its
    actions; one with the provider stays with it."""
    if step.state in (S.SUBMITTED, S.ACCEPTED):
        return S.RETURNED
    return None


def _add_issue_changes(step: Step) -> dict:
    if step.state not in (S.SUBMITTED, S.ACCEPTED):
        return {}
    return {
        "returned_on": step.today,
        "return_comment": "A new issue was added to the plan: add its actions and submit the "
        "plan again.",
        "submit_due": step.today + timedelta(days=SUBMIT_DAYS),
    }


def _store_issues(step: Step) -> None:
    from escalation.plan_services import issues_for_suggestion

    plan, made = step.obj, []
    for suggestion in step.params.get("suggestions") or ():
        made += issues_for_suggestion(plan, suggestion, actor=step.actor)
        SUGGESTION.apply(suggestion, "plan", actor=step.actor, today=step.today, plan=plan)
    if step.text("text"):
        issue = PlanIssue(
            plan=plan,
            source=step.params.get("source") or "other",
            text=step.text("text"),
            regulator_plan_agreed=bool(step.params.get("regulator_plan_agreed")),
            regulator_plan_note=step.text("regulator_plan_note"),
            created_by=step.actor,
        )
        issue._history_user = step.actor
        issue.full_clean()
        issue.save()
        made.append(issue)
    step.result = made


def _all_verified(step: Step):
    statuses = set(step.obj.actions.values_list("status", flat=True))
    if not statuses:
        return "The plan has no actions."
    if statuses != {A.VERIFIED}:
        return "The plan closes when every action is verified."
    return None


def _notify(whom: str, kind: str, message: str):
    """An after-commit effect: tell the plan's officer or the provider's users (plan_services)."""

    def effect(step: Step) -> None:
        from escalation import plan_services

        plan = _plan_of(step)
        tell = plan_services.notify_officer if whom == "officer" else plan_services.notify_provider
        tell(plan, kind, message.format(service=plan.service.name))

    return effect


def _state_reason(plan: ImprovementPlan, t: Transition) -> str:
    return f"This plan's status is “{plan.get_status_display()}”: that is not possible now."


PLAN = Workflow(
    ImprovementPlan,
    name="improvement plan",
    url_name="escalation:plan_step",
    forbidden=CASEWORK_ONLY,
    not_now=_state_reason,
    tags={
        S.DRAFT: "blue",
        S.SUBMITTED: "yellow",
        S.RETURNED: "orange",
        S.ACCEPTED: "light-blue",
        S.CLOSED: "green",
    },
    transitions=[
        Transition(
            "submit",
            source=set(WITH_PROVIDER),
            target=S.SUBMITTED,
            permission="draft",
            forbidden=PLAN_WRITERS,
            who=_providers_own,
            guards=(_complete,),
            changes=_submitted,
            on_commit=(
                _notify(
                    "officer",
                    "plan_submitted",
                    "The improvement plan for {service} has been submitted.",
                ),
            ),
            title="Submit the plan",
            button="Submit the plan to the council",
            style="primary",
            explain=True,
        ),
        Transition(
            "accept",
            source={S.SUBMITTED},
            target=S.ACCEPTED,
            changes=_accepted,
            effects=(_agree_actions,),
            on_commit=(
                _notify(
                    "provider",
                    "plan_accepted",
                    "The improvement plan for {service} has been accepted.",
                ),
            ),
            title="Accept the plan",
            button="Accept the plan",
            style="primary",
        ),
        # Returning has a page of its own (a comment box per action).
        Transition(
            "return",
            source={S.SUBMITTED},
            target=S.RETURNED,
            checks=(_comments_given,),
            changes=_returned,
            effects=(_store_return_comments,),
            on_commit=(
                _notify(
                    "provider",
                    "plan_returned",
                    "The improvement plan for {service} has been returned with comments.",
                ),
            ),
            label="Return the plan with comments",
            url=lambda plan: reverse("escalation:plan_return", args=[plan.pk]),
        ),
        # Adding an issue has a page of its own too.
        Transition(
            "add-issue",
            source=set(OPEN_PLAN_STATES),
            target=_back_to_provider,
            permission="draft",
            forbidden=PLAN_WRITERS,
            who=_providers_own,
            guards=(_provider_only_while_with_it,),
            checks=(_issue_given,),
            changes=_add_issue_changes,
            effects=(_store_issues,),
        ),
        Transition(
            "close",
            source={S.ACCEPTED},
            target=S.CLOSED,
            guards=(_all_verified,),
            changes=lambda step: {"closed_on": step.today, "closed_by": step.actor},
            on_commit=(
                _notify(
                    "provider",
                    "plan_closed",
                    "Every action of the improvement plan for {service} is verified: the plan "
                    "is closed.",
                ),
            ),
            title="Close the plan",
            button="Close the plan",
            style="primary",
            explain=True,
        ),
    ],
)


# --- Actions -----------------------------------------------------------------------------------


def _agreed_and_open(step: Step):
    if step.parent.status == S.CLOSED:
        return "The plan is closed."
    if not step.obj.agreed:
        return (
            "This action is not agreed yet: it is updated once the council accepts the plan "
            "with it."
        )
    return None


def _update_status(step: Step) -> str:
    return step.params.get("status")


def _update_given(step: Step):
    if step.params.get("status") not in (A.IN_PROGRESS, A.DONE):
        return "Say where the action is now: in progress or done."
    if not step.text("text"):
        return "Say what has been done since the last update."
    provider_id = step.parent.service.provider_id
    for evidence in step.params.get("evidence") or ():
        if evidence.provider_id != provider_id:
            return "Evidence comes from the provider's own library."
    return None


def _store_update(step: Step) -> None:
    update = PlanUpdate(
        action=step.obj,
        text=step.text("text"),
        status=step.params["status"],
        author=step.actor,
    )
    update._history_user = step.actor
    update.save()
    if step.params.get("evidence"):
        update.evidence.set(step.params["evidence"])
    step.result = update


def _close_when_all_verified(step: Step) -> None:
    """The plan closes when every action is verified (SPEC §6)."""
    plan = step.parent
    if plan.status != S.ACCEPTED:
        return
    if plan.actions.exclude(status=A.VERIFIED).exists():
        return
    PLAN.apply(plan, "close", actor=step.actor, today=step.today)


def _reopen_reason(step: Step):
    return None if step.text("reason") else "Say why the action is reopened."


ACTION = Workflow(
    PlanAction,
    name="improvement action",
    policy_model=POLICY,
    parent="plan",
    url_name="escalation:plan_action_step",
    forbidden=CASEWORK_ONLY,
    not_now=lambda action, t: (
        f"This action is “{action.get_status_display().lower()}”: that is not possible now."
    ),
    tags={A.NOT_STARTED: "grey", A.IN_PROGRESS: "blue", A.DONE: "yellow", A.VERIFIED: "green"},
    transitions=[
        # Posting an update has a page of its own (text, status, evidence).
        Transition(
            "update",
            source={A.NOT_STARTED, A.IN_PROGRESS, A.DONE},
            target=_update_status,
            permission="update",
            forbidden=PLAN_WRITERS,
            who=_providers_own,
            guards=(_agreed_and_open,),
            checks=(_update_given,),
            effects=(_store_update,),
            label="Post an update",
            url=lambda action: reverse("escalation:plan_action_update", args=[action.pk]),
        ),
        Transition(
            "verify",
            source={A.DONE},
            target=A.VERIFIED,
            guards=(_agreed_and_open,),
            changes=lambda step: {
                "verified_on": step.today,
                "verified_by": step.actor,
                "reopen_reason": "",
            },
            effects=(_close_when_all_verified,),
            title="Verify the action",
            button="Verify: the evidence shows it is done",
            style="primary",
        ),
        Transition(
            "reopen",
            source={A.DONE, A.VERIFIED},
            target=A.IN_PROGRESS,
            guards=(_agreed_and_open,),
            checks=(_reopen_reason,),
            changes=lambda step: {
                "reopen_reason": step.text("reason"),
                "verified_on": None,
                "verified_by": None,
            },
            on_commit=(
                _notify(
                    "provider",
                    "plan_action_reopened",
                    "An action of the improvement plan for {service} has been reopened.",
                ),
            ),
            title="Reopen the action",
            button="Reopen the action",
            style="warning",
        ),
    ],
)
