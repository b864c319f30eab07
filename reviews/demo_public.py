"""Demo public summaries for ``seed_demo`` (issue 14 item 5): the live final review of Sunrise
Court Extra Care published (its domain ratings come from the visit's scores), and an older
final review's summary published and then withdrawn at the provider's request.

Both go through ``reviews.public`` with the demo officer and manager as actors, so the history
shows who published and withdrew. A second run finds them in place and changes nothing.
"""

from __future__ import annotations

from reviews import public
from reviews.models import PublishedSummary, Review, ReviewStatus

LIVE_FINAL = "Sunrise Court Extra Care"
PUBLISHED = (
    "People living here told us they feel safe and that staff are kind and know them well. "
    "The service is clean and well run, and people choose how they spend their day.\n\n"
    "Medicines records were not always complete. The provider has agreed to check them every "
    "week for the next three months, and we will look at them again at our next visit."
)
WITHDRAWN = (
    "The service met most of the council's standards. Care plans were up to date and people "
    "were involved in planning their care."
)


def seed(context) -> None:
    officer, manager = context["staff"]["officer"], context["staff"]["manager"]
    created = 0
    live = (
        Review.objects.filter(
            service__name=LIVE_FINAL, status=ReviewStatus.FINAL, toolkit__isnull=False
        )
        .order_by("pk")
        .first()
    )
    if live is not None and not PublishedSummary.objects.filter(review=live).exists():
        public.publish(live, actor=officer, summary=PUBLISHED)
        created += 1
    older = (
        Review.objects.filter(status=ReviewStatus.FINAL, historic=True)
        .exclude(service__name=LIVE_FINAL)
        .order_by("completed_on", "pk")
        .first()
    )
    if older is not None and not PublishedSummary.objects.filter(review=older).exists():
        row = public.publish(older, actor=officer, summary=WITHDRAWN)
        public.withdraw(
            row,
            actor=manager,
            reason="The provider asked: the service closed and its residents moved.",
        )
        created += 1
    context["created"]["public summaries"] = created
