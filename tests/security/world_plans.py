"""The permission matrix's improvement plans, one organisation's, each on a service of its own
(one open plan per service) in the state its steps start from: a draft written and complete
(edit, add issues and actions, submit), a submitted one (return, accept), an accepted one with
an action done and one not started (verify, reopen, post an update), and an accepted one with
every action verified (close: the last verify closes a plan itself, so this one is set by
hand). And an open suggestion on the organisation's main service (no plan needed). Returned as
ids, by name."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from escalation import plan_services as plans
from escalation.models import PlanAction, PlanActionStatus, PlanSuggestion


def plan_objects(provider, service, user, *, olivia) -> dict:
    from tests.factories import ServiceFactory

    today = timezone.localdate()

    def written(name: str, actions: int = 1):
        plan = plans.open_plan(
            ServiceFactory(provider=provider, name=f"{provider.name} {name}"),
            actor=olivia,
            text="Medicines errors found at the visit",
            today=today,
        )
        plans.edit_plan(plan, actor=user, version=None, responsible_person="The manager")
        issue = plan.issues.get()
        made = [
            plans.add_action(
                issue,
                actor=user,
                today=today,
                what=f"Audit the medicine charts ({n})",
                success_measure="Weekly audits at 100%",
                responsible="The deputy manager",
                due_on=today + timedelta(days=60),
            )
            for n in range(actions)
        ]
        plan.refresh_from_db()
        return plan, issue, made

    def accepted(name: str, actions: int = 1):
        plan, _issue, made = written(name, actions)
        plans.submit(plan, actor=user, today=today)
        plans.accept(plan, actor=olivia, today=today)
        return plan, made

    draft, issue, [draft_action] = written("Plan House")
    submitted, _, _ = written("Plan Court")
    plans.submit(submitted, actor=user, today=today)
    agreed, (done, not_started) = accepted("Plan Lodge", actions=2)
    plans.post_update(done, actor=user, text="Audits done", status=PlanActionStatus.DONE)
    closable, _ = accepted("Plan Mews")
    PlanAction.objects.filter(plan=closable).update(status=PlanActionStatus.VERIFIED)
    suggestion = PlanSuggestion.objects.create(
        service=service, kind="regulator", rating="inadequate", arose_on=today
    )
    return {
        "plan_draft": draft.pk,
        "plan_issue": issue.pk,
        "plan_draft_action": draft_action.pk,
        "plan_submitted": submitted.pk,
        "plan_accepted": agreed.pk,
        "plan_action_done": done.pk,
        "plan_action_open": not_started.pk,
        "plan_closable": closable.pk,
        "plan_suggestion": suggestion.pk,
    }
