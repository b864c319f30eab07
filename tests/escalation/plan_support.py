"""The improvement plans' test story.

Sunrise House (Sunrise Care Ltd, where Pat works) had its final review on 10 November 2026,
rated Red: standard S1 scored Red, S2 Amber, S3 Green. QAF suggests a plan; Olivia, a quality
officer, asks for it on 12 November (submit by 26 November). Oak Lodge (Quinn's) has a plan of
its own that Pat never sees.
"""

from __future__ import annotations

from datetime import date

from escalation import plan_services
from escalation.models import PlanSuggestion
from reviews.models import Answer
from tests.factories import ReviewFactory, small_toolkit

REVIEWED = date(2026, 11, 10)
ASKED = date(2026, 11, 12)
DUE = date(2026, 11, 26)


def red_review(service, *, officer, day=REVIEWED):
    kit = small_toolkit(
        {"Safe": {"S1 Safeguarding": ["q1"], "S2 Medicines": ["q2"], "S3 Staffing": ["q3"]}}
    )
    review = ReviewFactory(
        service=service, toolkit=kit, rating="red", completed_on=day, officer=officer
    )
    scores = {"q1": "1", "q2": "2", "q3": "3"}
    for question in kit.domains.get().standards.all():
        for q in question.questions.all():
            Answer.objects.create(review=review, question=q, score=scores[q.text])
    return review


def suggested(service) -> PlanSuggestion:
    plan_services.sync_suggestions(REVIEWED, service_ids=[service.pk])
    return PlanSuggestion.objects.get(service=service, kind="review")


def plan_for(service, *, officer, today=ASKED):
    review = red_review(service, officer=officer)
    suggestion = suggested(service)
    return plan_services.open_plan(
        service, actor=officer, suggestions=[suggestion], today=today
    ), review


def written(plan, *, by, due=date(2027, 1, 31), today=ASKED):
    """The provider names the person responsible and gives every issue one action."""
    plan_services.edit_plan(plan, actor=by, version=None, responsible_person="Pat Jones, RM")
    for issue in plan.issues.all():
        plan_services.add_action(
            issue,
            actor=by,
            today=today,
            what=f"Fix: {issue.text[:40]}",
            success_measure="Monthly audit shows 100%",
            responsible="Deputy manager",
            due_on=due,
        )
    plan.refresh_from_db()
    return plan
