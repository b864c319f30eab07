"""The risk engine's notices (qaf.notifications): their kinds, and what the nightly job tells
a service's lead officer about its review dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType

from qaf import notifications

# What a notice needs to know of a service's risk result (read as plain values: at 100,000
# services, model instances for every row made notify() the slowest part of the night).
NOTICE_FIELDS = (
    "service_id",
    "service__name",
    "service__lead_officer_id",
    "review_overdue",
    "never_reviewed",
    "next_review_due",
    "follow_up_due",
    "follow_up_overdue",
)

REVIEW_DUE_SOON = notifications.register_kind("review_due_soon", "Review due soon").name
REVIEW_OVERDUE = notifications.register_kind("review_overdue", "Review overdue").name
FOLLOW_UP_DUE_SOON = notifications.register_kind(
    "follow_up_due_soon", "Follow-up review due soon"
).name
# A service's early-warning flag was raised (risk.early_warning_job.notices).
GETTING_WORSE = notifications.register_kind("getting_worse", "Service getting worse").name
FOLLOW_UP_OVERDUE = notifications.register_kind(
    "follow_up_overdue", "Follow-up review overdue"
).name


@dataclass(frozen=True)
class Due:
    service_id: int
    name: str
    user_id: int
    review_overdue: bool
    never_reviewed: bool
    next_review_due: date | None  # None out of area: the host authority reviews it
    follow_up_due: date | None
    follow_up_overdue: bool


def service_notices(due: Due, today: date, now: datetime, service_type: ContentType) -> list[dict]:
    name = due.name
    out = []
    if due.review_overdue:
        out.append(
            (
                REVIEW_OVERDUE,
                due.next_review_due,
                f"The QA review of {name} was due on {due.next_review_due:%d %B %Y} and is "
                "overdue.",
            )
        )
    elif not due.never_reviewed and due.next_review_due and due.next_review_due >= today:
        out.append(
            (
                REVIEW_DUE_SOON,
                due.next_review_due,
                f"The QA review of {name} is due on {due.next_review_due:%d %B %Y}.",
            )
        )
    if due.follow_up_due:
        if due.follow_up_overdue:
            out.append(
                (
                    FOLLOW_UP_OVERDUE,
                    due.follow_up_due,
                    f"The follow-up review of {name} was due on "
                    f"{due.follow_up_due:%d %B %Y} and is overdue.",
                )
            )
        elif due.follow_up_due >= today:
            out.append(
                (
                    FOLLOW_UP_DUE_SOON,
                    due.follow_up_due,
                    f"The follow-up review of {name} is due on {due.follow_up_due:%d %B %Y}.",
                )
            )
    return [
        notifications.notice_row(
            user_id=due.user_id,
            kind=kind,
            content_type=service_type,
            object_id=due.service_id,
            service_id=due.service_id,
            due=day,
            message=message,
            now=now,
        )
        for kind, day, message in out
    ]
