"""The demo's early warning (``seed_demo``): Sunrise Lodge, a care home whose complaints,
safeguarding concerns and notifications rose in the last 90 days against one complaint in the
year before, flagged "getting worse" while its risk rating has not moved (none of these entries
is a factor of the matrix), and its lead officer told. Then every service is checked, as the
nightly job does. A second run finds the entries in place and changes nothing."""

from __future__ import annotations

from datetime import timedelta

from providers.models import Intelligence, IntelligenceKind, IntelligenceStatus, Service, Severity
from risk.early_warning_job import nightly
from risk.models import EarlyWarning

SERVICE = "Sunrise Lodge"
# (kind, days ago, summary, source, open): one in the year before, five in the last 90 days.
ENTRIES = [
    (
        IntelligenceKind.COMPLAINT,
        250,
        "Family complaint: laundry going missing.",
        "Relative",
        False,
    ),
    (
        IntelligenceKind.COMPLAINT,
        70,
        "Family complaint: call bells answered slowly at night.",
        "Relative",
        False,
    ),
    (
        IntelligenceKind.COMPLAINT,
        40,
        "Complaint: a resident missed two GP appointments.",
        "Social worker",
        True,
    ),
    (
        IntelligenceKind.SAFEGUARDING_CONCERN,
        25,
        "Safeguarding concern: unexplained bruising, referred by a district nurse.",
        "District nurse",
        False,
    ),
    (
        IntelligenceKind.PROVIDER_NOTIFICATION,
        12,
        "Notification: a fall with a fractured wrist on the night shift.",
        "Registered manager",
        False,
    ),
    (
        IntelligenceKind.COMPLAINT,
        5,
        "Complaint: agency staff unfamiliar with residents' care plans.",
        "Relative",
        True,
    ),
]


def seed(context) -> None:
    today = context["today"]
    service = Service.objects.filter(name=SERVICE).first()
    if service is not None:
        if service.lead_officer_id is None:
            service.lead_officer = context["staff"]["officer"]
            service.save(update_fields=["lead_officer"])
        for kind, days_ago, summary, source, is_open in ENTRIES:
            status = ""
            if kind == IntelligenceKind.COMPLAINT:
                status = IntelligenceStatus.OPEN if is_open else IntelligenceStatus.CLOSED
            _, created = Intelligence.objects.get_or_create(
                service=service,
                kind=kind,
                summary=summary,
                defaults={
                    "date": today - timedelta(days=days_ago),
                    "source": source,
                    "status": status,
                    "severity": Severity.MEDIUM,
                    "confidential": kind == IntelligenceKind.SAFEGUARDING_CONCERN,
                    "author": context["staff"]["officer"],
                },
            )
            created_count = context["created"].get("intelligence entries", 0)
            context["created"]["intelligence entries"] = created_count + created
    before = EarlyWarning.objects.filter(flagged=True).count()
    nightly(today)
    raised = EarlyWarning.objects.filter(flagged=True).count() - before
    context["created"]["early warning flags"] = max(raised, 0)
