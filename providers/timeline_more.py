"""The timeline's sources for the records of issue 14's other parts: public summaries of final
reviews (published and withdrawn) and early warnings (a "getting worse" flag raised or
cleared). Registered after the escalation app's (the filter's order).

Other councils' shared outcomes and the CQC change sync's findings are intelligence entries,
already on the timeline as such.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from providers.timeline import Entry, TimelineQuery, local_day, newest, short, source
from qaf.scoping import can


@source("public_summaries", "Public summaries")
def public_summaries(query: TimelineQuery) -> Iterable[Entry]:
    """A published summary is public: everyone who sees the service sees that it was published,
    linked to the public page. Its withdrawal (and the reason) is the council's record."""
    from reviews.models import PublishedSummary, SummaryState

    rows = newest(
        PublishedSummary.objects.visible_to(query.user)
        .filter(query.subject.services("review__service"))
        .exclude(published_at=None)
        .filter(query.period.q("published_at__date", "withdrawn_at__date"))
        .select_related("review"),
        "-published_at",
        "-pk",
        limit=query.limit,
    )
    for summary in rows:
        service_id = summary.review.service_id
        yield Entry(
            on=local_day(summary.published_at),
            at=summary.published_at,
            kind="public_summaries",
            title="Public summary of the review published",
            detail=f"Overall rating {summary.get_rating_display()}." if summary.rating else "",
            url=summary.get_public_url(),
            service_id=service_id,
        )
        if summary.state == SummaryState.WITHDRAWN and query.staff and summary.withdrawn_at:
            yield Entry(
                on=local_day(summary.withdrawn_at),
                at=summary.withdrawn_at,
                kind="public_summaries",
                title="Public summary withdrawn",
                detail=short(summary.withdrawal_reason),
                url=summary.get_absolute_url(),
                service_id=service_id,
            )


def _reads_early_warnings(user) -> bool:
    return can(user, "view", "risk.earlywarning")


@source("early_warning", "Early warnings", shown_to=_reads_early_warnings)
def early_warnings(query: TimelineQuery) -> Iterable[Entry]:
    """Each time a service's "getting worse" flag was raised or cleared: its history keeps a
    row only when the decision changed (risk.models.EarlyWarning). Staff only: the counts
    include confidential entries."""
    from risk.models import EarlyWarning

    rows = (
        EarlyWarning.history.filter(query.subject.services())
        .order_by("service_id", "history_date", "history_id")
        .values("service_id", "flagged", "reason", "history_date")
    )
    before: dict[int, bool] = {}
    for row in rows:
        service_id, flagged = row["service_id"], row["flagged"]
        was = before.get(service_id, False)
        before[service_id] = flagged
        if flagged == was:
            continue
        yield Entry(
            on=local_day(row["history_date"]),
            at=row["history_date"],
            kind="early_warning",
            title="Early warning: getting worse" if flagged else "Early warning cleared",
            detail=short(row["reason"]),
            url=reverse("providers:service_detail", args=[service_id]) + "#early-warning",
            service_id=service_id,
        )
