"""The review workflows' notices (qaf.notifications): their kinds, and the overdue
information requests the nightly job tells their officers about."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType

from qaf import notifications

REQUEST_OVERDUE = notifications.register_kind("request_overdue", "Information request overdue").name
# A provider sent in another council's outcome on one of its services (reviews.shared_outcomes):
# the service's lead officer is told, since nobody at the council asked for it.
SHARED_OUTCOME_SUPPLIED = notifications.register_kind(
    "shared_outcome_supplied", "Another council's outcome sent in by the provider"
).name
# Staff imported the council's own copy of an outcome a provider had sent in, and the two differ.
SHARED_OUTCOME_DIFFERS = notifications.register_kind(
    "shared_outcome_differs", "A provider's copy of another council's outcome differs"
).name


def overdue_request_notices(today: date, now: datetime) -> Iterator[dict]:
    """A notice for the officer who sent an information request that is now overdue (past its
    due date with an item still waiting for the provider), once per request and due date."""
    from reviews.information import with_overdue
    from reviews.models import InformationRequest, RequestStatus

    overdue = (
        with_overdue(
            InformationRequest.objects.filter(
                status=RequestStatus.SENT,
                created_by__isnull=False,
                created_by__is_active=True,
                due_date__lt=today,
            ),
            today,
        )
        .filter(overdue=True)
        .order_by("due_date", "pk")
        .values_list("pk", "created_by_id", "service_id", "service__name", "title", "due_date")
    )
    about = ContentType.objects.get_for_model(InformationRequest)
    for pk, user_id, service_id, name, title, due in overdue.iterator(chunk_size=2000):
        yield notifications.notice_row(
            user_id=user_id,
            kind=REQUEST_OVERDUE,
            content_type=about,
            object_id=pk,
            service_id=service_id,
            due=due,
            message=f"The information request \u201c{title}\u201d to {name} was due on "
            f"{due:%d %B %Y}: the provider has not answered every item.",
            now=now,
        )
