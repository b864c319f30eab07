"""The demo's early warning (``seed_demo``): Sunrise Lodge, a care home whose complaints,
safeguarding concerns and notifications rose in the last 90 days against one complaint in the
year before, flagged "getting worse" while its risk rating has not moved (none of these entries
is a factor of the matrix), and its lead officer told. Then every service is checked, as the
nightly job does. A second run finds the entries in place and changes nothing.

Before that, a dated history (``HISTORIES``) for eleven other services, so the flag's precision
can be measured on the demo (docs/early-warning.md, ``manage.py early_warning --precision``):
about nine months before the demo's day, five services' complaints and concerns rose and their
concern level was raised within months; three rose and nothing followed; three had their level
raised with no rise before it. Each raised level was lowered again once things improved, so
every one of them is at level 1 today. The entries and decisions are made with the app's own
models and services (``escalation.concern_services.decide`` on the day it was taken)."""

from __future__ import annotations

from datetime import timedelta

from escalation import concern_services
from escalation.models import (
    ConcernDecision,
    ConcernLevel,
    ConcernSuggestion,
    EscalationCase,
    Revocation,
    Suspension,
)
from providers.models import (
    CommissioningStatus,
    Intelligence,
    IntelligenceKind,
    IntelligenceStatus,
    Service,
    Severity,
)
from risk.early_warning_job import nightly
from risk.models import EarlyWarning

K = IntelligenceKind

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


# The dated histories, in days before the demo's day: (entries of concern as (kind, days ago,
# summary, source), the concern level raised as (days ago, reason) or None, lowered again on).
# Rose, then worse: five. Rose, nothing followed: three. Worse with no rise before it: three.
HISTORIES = [
    (
        [
            (
                K.COMPLAINT,
                520,
                "Complaint: a resident's room left uncleaned for a week.",
                "Relative",
            ),
            (K.COMPLAINT, 335, "Complaint: medication given late on two mornings.", "Relative"),
            (K.SAFEGUARDING_CONCERN, 310, "Safeguarding concern: a missed insulin dose.", "GP"),
            (K.COMPLAINT, 290, "Complaint: a resident left in wet clothing.", "Relative"),
            (K.PROVIDER_NOTIFICATION, 280, "Notification: a medication error.", "Manager"),
        ],
        (230, "Medication errors confirmed by the safeguarding enquiry; monitoring increased."),
        100,
    ),
    (
        [
            (K.PROVIDER_NOTIFICATION, 600, "Notification: a carer's car accident.", "Manager"),
            (K.COMPLAINT, 320, "Complaint: calls cut short by carers.", "Person supported"),
            (K.COMPLAINT, 300, "Complaint: a missed teatime call.", "Relative"),
            (K.WHISTLEBLOWING, 285, "Whistleblowing: rotas leave no travel time.", "Care worker"),
            (K.COMPLAINT, 275, "Complaint: a different carer every day.", "Social worker"),
        ],
        (200, "Missed and shortened calls found in the monitoring visit's call logs."),
        60,
    ),
    (
        [
            (
                K.SAFEGUARDING_CONCERN,
                330,
                "Safeguarding concern: a fall not reported.",
                "Paramedic",
            ),
            (K.PROVIDER_NOTIFICATION, 315, "Notification: a resident's hip fracture.", "Manager"),
            (K.COMPLAINT, 296, "Complaint: nobody told the family of a fall.", "Relative"),
            (K.SAFEGUARDING_CONCERN, 284, "Safeguarding concern: bed rails unchecked.", "OT"),
        ],
        (250, "Falls management found unsafe; an organisational enquiry opened."),
        120,
    ),
    (
        [
            (K.COMPLAINT, 450, "Complaint: meals served cold.", "Relative"),
            (K.COMPLAINT, 340, "Complaint: activities cancelled for a month.", "Relative"),
            (K.COMPLAINT, 322, "Complaint: no manager on site for weeks.", "Social worker"),
            (
                K.PROVIDER_NOTIFICATION,
                300,
                "Notification: the registered manager left.",
                "Provider",
            ),
        ],
        (180, "No registered manager for five months and staffing below the assessed level."),
        50,
    ),
    (
        [
            (K.COMPLAINT, 310, "Complaint: personal care rushed in the mornings.", "Relative"),
            (
                K.SAFEGUARDING_CONCERN,
                295,
                "Safeguarding concern: pressure sores.",
                "District nurse",
            ),
            (K.COMPLAINT, 280, "Complaint: fluids chart not kept.", "District nurse"),
            (K.COMPLAINT, 262, "Complaint: weight loss not acted on.", "Dietitian"),
        ],
        (215, "Pressure care and nutrition failings confirmed by the district nursing team."),
        95,
    ),
    (
        [
            (K.COMPLAINT, 480, "Complaint: a lost hearing aid.", "Relative"),
            (K.COMPLAINT, 330, "Complaint: visiting hours changed at short notice.", "Relative"),
            (K.COMPLAINT, 318, "Complaint: the garden closed for building work.", "Relative"),
            (K.PROVIDER_NOTIFICATION, 290, "Notification: a power cut overnight.", "Manager"),
        ],
        None,
        None,
    ),
    (
        [
            (K.PROVIDER_NOTIFICATION, 325, "Notification: a norovirus outbreak.", "Manager"),
            (
                K.PROVIDER_NOTIFICATION,
                312,
                "Notification: the outbreak over, visits back.",
                "Manager",
            ),
            (K.COMPLAINT, 300, "Complaint: visits stopped during the outbreak.", "Relative"),
        ],
        None,
        None,
    ),
    (
        [
            (K.COMPLAINT, 305, "Complaint: a carer arrived without ID.", "Person supported"),
            (K.COMPLAINT, 290, "Complaint: a late call on a Sunday.", "Relative"),
            (K.SAFEGUARDING_CONCERN, 278, "Safeguarding concern: money kept for shopping.", "Bank"),
            (K.COMPLAINT, 270, "Complaint: the office phone not answered.", "Relative"),
        ],
        None,
        None,
    ),
    (
        [
            (K.COMPLAINT, 500, "Complaint: laundry mixed up.", "Relative"),
            (K.COMPLAINT, 320, "Complaint: a delayed GP referral.", "Relative"),
        ],
        (240, "The regulator's inspection found staff recruitment checks missing."),
        90,
    ),
    (
        [],
        (220, "The contract monitoring visit found care plans out of date for most people."),
        70,
    ),
    (
        [
            (K.PROVIDER_NOTIFICATION, 300, "Notification: a change of ownership.", "Provider"),
        ],
        (260, "The new owner's finances in doubt: the credit check failed."),
        140,
    ),
]
LOWERED = "Improvements confirmed at the follow-up visit: back to routine monitoring."
EVERY = 5  # a history on every fifth service free for one, so they span providers and types


def _free_services() -> list[Service]:
    """The services no other step of the demo escalated, in a stable order: a second run (or a
    service another step adds later) picks the same ones."""
    mine = set(
        ConcernDecision.objects.filter(
            reason__in=[h[1][1] for h in HISTORIES if h[1]] + [LOWERED]
        ).values_list("service_id", flat=True)
    )
    taken = (
        set(ConcernLevel.objects.values_list("service_id", flat=True))
        | set(ConcernSuggestion.objects.values_list("service_id", flat=True))
        | set(Suspension.objects.values_list("service_id", flat=True))
        | set(EscalationCase.objects.values_list("service_id", flat=True))
        | set(Revocation.objects.values_list("service_id", flat=True))
    ) - mine
    rows = (
        Service.objects.exclude(commissioning_status=CommissioningStatus.DECOMMISSIONED)
        .exclude(name=SERVICE)
        .exclude(registration_date__isnull=True)
        .order_by("pk")
    )
    return [s for s in rows if s.pk not in taken]


def _entry(context, service, kind, when, summary, source) -> None:
    _, created = Intelligence.objects.get_or_create(
        service=service,
        kind=kind,
        summary=summary,
        defaults={
            "date": when,
            "source": source,
            "status": IntelligenceStatus.CLOSED if kind == K.COMPLAINT else "",
            "severity": Severity.MEDIUM,
            "confidential": kind in (K.SAFEGUARDING_CONCERN, K.WHISTLEBLOWING),
            "author": context["staff"]["officer"],
        },
    )
    context["created"]["intelligence entries"] = (
        context["created"].get("intelligence entries", 0) + created
    )


def seed_history(context) -> None:
    today, manager = context["today"], context["staff"]["manager"]
    services = _free_services()[::EVERY]
    for service, (entries, raised, lowered) in zip(services, HISTORIES, strict=False):
        for kind, days_ago, summary, source in entries:
            _entry(context, service, kind, today - timedelta(days=days_ago), summary, source)
        if raised is None or ConcernDecision.objects.filter(service=service).exists():
            continue
        days_ago, reason = raised
        for level, words, when in ((2, reason, days_ago), (1, LOWERED, lowered)):
            concern_services.decide(
                service,
                actor=manager,
                level=level,
                reason=words,
                today=today - timedelta(days=when),
            )
            context["created"]["concern level decisions"] = (
                context["created"].get("concern level decisions", 0) + 1
            )


def seed(context) -> None:
    today = context["today"]
    seed_history(context)
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
