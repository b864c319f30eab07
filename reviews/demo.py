"""Demo QA reviews for ``seed_demo``: finished reviews from before, and some planned ones."""

from __future__ import annotations

import random
from datetime import timedelta

from reviews.models import Review, ReviewKind, ReviewStatus

# A worse regulator rating makes a worse review more likely.
RATING_ODDS = {
    "outstanding": [("green", 9), ("amber", 1)],
    "good": [("green", 7), ("amber", 3)],
    "requires_improvement": [("green", 2), ("amber", 6), ("red", 2)],
    "inadequate": [("amber", 4), ("red", 6)],
    "not_rated": [("green", 5), ("amber", 4), ("red", 1)],
}


def seed(context) -> None:
    today = context["today"]
    officers = [context["staff"]["officer"], context["staff"]["officer2"]]
    created = 0
    for index, service in enumerate(context["services"]):
        # Decided by the service's name, so a second run decides the same and finds it done.
        rng = random.Random(f"reviews:{service.name}")
        officer = officers[index % 2]
        if rng.random() < 0.8:
            values, weights = zip(*RATING_ODDS[service.regulator_rating], strict=True)
            _, made = Review.objects.get_or_create(
                service=service,
                status=ReviewStatus.FINAL,
                historic=True,
                defaults={
                    "kind": ReviewKind.FULL,
                    "rating": rng.choices(values, weights=weights)[0],
                    "completed_on": today - timedelta(days=rng.randint(40, 1400)),
                    "officer": officer,
                },
            )
            created += made
        if rng.random() < 0.12:
            _, made = Review.objects.get_or_create(
                service=service,
                status=ReviewStatus.PLANNED,
                defaults={"kind": ReviewKind.FULL, "officer": officer},
            )
            created += made
    context["created"]["reviews"] = context["created"].get("reviews", 0) + created
