"""What the board reads about an escalation case (source 003 Appendix 4, "Information the Board
would expect"), built from the data QAF holds and the case's editable text where it holds none:

- the nature of the service and the volume of people supported (the register, plus notes);
- the regulator's history over the last 4 years (the service's recorded ratings and
  inspections, from its history rows, and regulator information logged as intelligence);
- safeguarding history (safeguarding intelligence of the service and its provider);
- QIM history (the case's Quality Improvement Meetings with their positions and actions);
- suspension history (the service's suspensions);
- the headline concerns and recommendations (the case's text);
- the annual spend and market risk (the case's figure, the service's flag and notes).

Also the case's clocks (``clocks``), for its page and the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.formats import date_format

NONE_RECORDED = "None recorded."
REGULATOR_YEARS = 4  # source 003 Appendix 4: "CQC Compliance history over past 3-4 years"
SAFEGUARDING_KINDS = ("safeguarding_concern", "safeguarding_enquiry", "safeguarding_audit")


def _day(value) -> str:
    return date_format(value, "j F Y") if value else "not known"


def _lines(rows: list[str]) -> str:
    return "\n".join(rows) if rows else NONE_RECORDED


def service_and_people(case) -> str:
    service = case.service
    parts = [
        f"{service.get_service_type_display()} for {service.get_client_group_display().lower()}, "
        f"run by {service.provider.name}.",
        f"Capacity: {service.capacity if service.capacity is not None else 'not recorded'}. "
        f"Council-funded people: {service.council_funded_people}.",
    ]
    if case.people_supported_notes.strip():
        parts.append(case.people_supported_notes.strip())
    return "\n".join(parts)


def regulator_history(case, today: date) -> str:
    """The ratings and inspections recorded for the service in the last 4 years, newest first,
    and the regulator information logged about it."""
    from providers.models import Intelligence, IntelligenceKind

    service = case.service
    if not service.regulated:
        return "Not a regulated service."
    since = today - relativedelta(years=REGULATOR_YEARS)
    seen: list[tuple] = []
    rows = []
    records = service.history.order_by("-history_date", "-history_id").values_list(
        "regulator_rating", "last_inspection_date", "history_date"
    )
    labels = dict(type(service)._meta.get_field("regulator_rating").choices)
    # The register as it is now first (a bulk import may not have written a history row).
    current = (service.regulator_rating, service.last_inspection_date, timezone.now())
    for rating, inspected, recorded in [current, *records.iterator()]:
        key = (rating, inspected)
        if key in seen:
            continue
        seen.append(key)
        if inspected is not None and inspected < since:
            continue
        if inspected is None and timezone.localdate(recorded) < since:
            continue
        rows.append(f"{labels.get(rating, rating)} (inspected {_day(inspected)})")
    notes = Intelligence.objects.applying_to(service).filter(
        kind=IntelligenceKind.REGULATOR_INFORMATION, date__gte=since
    )
    for entry in notes.order_by("-date", "-pk")[:20]:
        rows.append(f"{_day(entry.date)}: {entry.summary}")
    return _lines(rows)


def safeguarding_history(case) -> str:
    from providers.models import Intelligence

    entries = (
        Intelligence.objects.applying_to(case.service)
        .filter(kind__in=SAFEGUARDING_KINDS)
        .order_by("-date", "-pk")[:20]
    )
    rows = []
    for e in entries:
        status = f" ({e.get_status_display().lower()})" if e.status else ""
        outcome = f" ({e.get_outcome_display().lower()})" if e.outcome else ""
        rows.append(f"{_day(e.date)}, {e.get_kind_display()}{status}{outcome}: {e.summary}")
    return _lines(rows)


def qim_history(case) -> str:
    """The case's Quality Improvement Meetings: date, status, the position decided and how its
    actions stand (``escalation.qim_services.qim_history``)."""
    from escalation import qim_services

    if not case.qims.exists():
        return NONE_RECORDED
    return qim_services.qim_history(case)


def suspension_history(case) -> str:
    from escalation.models import Suspension

    rows = []
    for s in Suspension.objects.filter(service=case.service).order_by("-created_at")[:20]:
        span = ""
        if s.decided_on:
            span = f" from {_day(s.decided_on)}"
            if s.ended_on:
                span += f" to {_day(s.ended_on)}"
        rows.append(f"{s.get_restriction_display()}: {s.get_status_display().lower()}{span}")
    return _lines(rows)


def spend_and_market_risk(case) -> str:
    service = case.service
    spend = (
        f"Annual spend: £{case.annual_spend:,.2f}."
        if case.annual_spend is not None
        else "Annual spend: not recorded."
    )
    parts = [spend, f"Market risk: {service.get_market_risk_display()}."]
    if case.market_risk_notes.strip():
        parts.append(case.market_risk_notes.strip())
    return "\n".join(parts)


def papers(case, today: date | None = None) -> list[tuple[str, str]]:
    today = today or timezone.localdate()
    return [
        ("Type of service and people supported", service_and_people(case)),
        (f"Regulator history (last {REGULATOR_YEARS} years)", regulator_history(case, today)),
        ("Safeguarding history", safeguarding_history(case)),
        ("Quality Improvement Meetings", qim_history(case)),
        ("Suspensions", suspension_history(case)),
        ("Headline concerns", case.headline_concerns.strip() or NONE_RECORDED),
        ("Recommendations", case.recommendations.strip() or NONE_RECORDED),
        ("Annual spend and market risk", spend_and_market_risk(case)),
    ]


# --- The clocks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    name: str
    label: str
    due: date
    running: bool  # still counting at the case's stage
    overdue: bool
    for_provider: bool  # a date the provider's own letters give them


def clocks(case, today: date | None = None) -> list[Clock]:
    """The case's 6-month clocks that are set: running or not at its stage, overdue or not."""
    from escalation.models import CLOCK_STAGES

    today = today or timezone.localdate()
    stage = case.stage
    rows = []
    for name, label, for_provider in (
        (
            "board_review_due",
            "Improvement expected (6 months from the referral to the board)",
            False,
        ),
        ("improvement_due", "Sustained improvement evidenced by (Final Warning Notice)", True),
        (
            "sustainability_review_due",
            "Sustainability review (6 months after leaving final warning)",
            False,
        ),
    ):
        # The stages at which each clock runs are the model's (the queue counts the same ones).
        running = stage in CLOCK_STAGES[name]
        due = getattr(case, name)
        if due is None:
            continue
        rows.append(Clock(name, label, due, running, running and due < today, for_provider))
    return rows


def next_deadline(case, today: date | None = None) -> Clock | None:
    """The earliest running clock (the queue's "next deadline")."""
    running = [c for c in clocks(case, today) if c.running]
    return min(running, key=lambda c: c.due, default=None)
