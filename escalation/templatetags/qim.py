"""``{% qim_case_panel case user as panel %}``: what a case's page shows of its Quality
Improvement Meetings (templates/escalation/qim/_case_panel.html)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone

from escalation import qim_services
from escalation.models import QimAction, QualityImprovementMeeting
from qaf.scoping import can

register = template.Library()


@register.simple_tag
def qim_case_panel(case, user) -> dict:
    today = timezone.localdate()
    qims = list(
        QualityImprovementMeeting.objects.visible_to(user)
        .filter(case=case)
        .select_related("chair")
        .order_by("-starts_at", "-pk")
    )
    overdue = list(
        QimAction.objects.visible_to(user)
        .filter(qim__case=case)
        .overdue(today)
        .select_related("qim", "owner")
    )
    staff = not user.is_provider_user
    return {
        "qims": qims,
        "overdue": overdue,
        "deadline": qim_services.next_qim_deadline(case, today=today) if staff else None,
        "arrange_url": reverse("escalation:qim_arrange", args=[case.pk])
        if can(user, "add", qim_services.QIM_POLICY) and case.stage in qim_services.QIM_STAGES
        else "",
    }
