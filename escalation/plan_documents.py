"""The improvement plan's PDF: the agreed version (SPEC §7 documents; issued when the council
accepts the plan, and again at each later acceptance), through ``qaf.pdf.issue_document``.

What it says is copied into the document when it is issued (``compose_plan``), so the PDF the
worker renders later is the plan as it was agreed, whatever changes afterwards.
"""

from __future__ import annotations

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.utils.formats import date_format

from escalation.models import ImprovementPlan
from qaf.models import Document
from qaf.pdf import issue_document, provider_emails

KIND = "improvement_plan"
TEMPLATE = "escalation/plan/plan_pdf.html"


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _day(value) -> str:
    return date_format(value, "j F Y") if value else ""


def compose_plan(plan: ImprovementPlan, *, actor, today: date) -> dict:
    issues = []
    actions = {}
    for action in plan.actions.order_by("due_on", "pk"):
        actions.setdefault(action.issue_id, []).append(
            {
                "what": action.what,
                "measure": action.success_measure,
                "responsible": action.responsible,
                "due": _day(action.due_on),
                "status": action.get_status_display(),
            }
        )
    for issue in plan.issues.select_related("standard").order_by("pk"):
        issues.append(
            {
                "text": issue.text,
                "source": issue.get_source_display(),
                "regulator_plan_agreed": issue.regulator_plan_agreed,
                "regulator_plan_note": issue.regulator_plan_note,
                "actions": actions.get(issue.pk, []),
            }
        )
    service = plan.service
    return {
        "provider": service.provider.name,
        "service": service.name,
        "responsible_person": plan.responsible_person,
        "consultation": plan.consultation,
        "requested_on": _day(plan.requested_on),
        "submitted_on": _day(plan.submitted_on),
        "agreed_on": _day(today),
        "agreed_by": _name(actor),
        "issues": issues,
    }


def issue_plan(plan: ImprovementPlan, *, actor, today: date) -> Document:
    service = plan.service
    return issue_document(
        plan,
        kind=KIND,
        title=f"Improvement plan (agreed {_day(today)}) – {service.name}",
        template=TEMPLATE,
        actor=actor,
        service=service,
        provider=service.provider,
        recipients=provider_emails(service.provider_id),
        context={"plan": compose_plan(plan, actor=actor, today=today)},
        visible_to_provider=True,
    )


def documents_of(plan: ImprovementPlan, user):
    """The plan's agreed versions this user may see, newest first."""
    return (
        Document.objects.visible_to(user)
        .filter(source_type=ContentType.objects.get_for_model(ImprovementPlan), source_id=plan.pk)
        .select_related("issued_by")
    )
