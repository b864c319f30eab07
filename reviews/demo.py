"""Demo QA reviews for ``seed_demo``: finished reviews from before, and some planned ones."""

from __future__ import annotations

import importlib
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
        if rng.random() < 0.12 and service.name not in LIVE_SERVICE_NAMES:
            _, made = Review.objects.get_or_create(
                service=service,
                status=ReviewStatus.PLANNED,
                defaults={"kind": ReviewKind.FULL, "officer": officer},
            )
            created += made
    context["created"]["reviews"] = context["created"].get("reviews", 0) + created


# One live review in each state, on the named providers' services (provider_a and provider_b
# see them in their portal): (service name, the state to take it to, announced).
LIVE_REVIEWS = [
    ("Sunrise House", "with_provider", True),
    ("Sunrise Lodge", "planned", False),
    ("Sunrise Home Care Avonmere", "information_requested", True),
    ("Sunrise Court Extra Care", "final", True),
    ("Oak Lodge", "draft", True),
    ("Oak Lodge Supported Living", "visit_done", True),
    ("Acorn House Children's Home", "cancelled", True),
]


LIVE_SERVICE_NAMES = {name for name, _, _ in LIVE_REVIEWS}


def seed_live(context) -> None:
    """Reviews in every state, made through the workflow so they are like real ones."""
    from providers.models import Service
    from reviews import services as workflow

    officer = context["staff"]["officer"]
    if workflow.current_toolkit() is None:
        # The default toolkit arrives by data migration; a database flushed since (or one
        # whose toolkits were all retired) gets it again from the same loader.
        from django.apps import apps

        loader = importlib.import_module("reviews.migrations.0003_default_toolkit")
        loader.create_default(apps, None)
    created = 0
    for name, target, announced in LIVE_REVIEWS:
        service = Service.objects.filter(name=name).first()
        if (
            service is None
            or Review.objects.filter(service=service, toolkit__isnull=False).exists()
        ):
            continue
        rng = random.Random(f"live:{name}")
        review = workflow.plan_review(
            service,
            actor=officer,
            announced=announced,
            visit_date=context["today"] + timedelta(days=10),
        )
        created += 1
        if target == "planned":
            continue
        if target == "cancelled":
            workflow.cancel(
                review,
                actor=officer,
                reason="The service asked to move the visit "
                "after a change of manager; a new review will be planned.",
            )
            continue
        workflow.mark_information_requested(review, actor=officer)
        if target == "information_requested":
            continue
        review = workflow.record_visit(review, actor=officer)
        for question in workflow.questions_of(review):
            workflow.save_answer(
                review,
                question,
                actor=officer,
                expected_version=0,
                score=rng.choices(["4", "3", "2", "1", "na"], weights=[2, 6, 2, 0.4, 0.5])[0],
                notes="Seen in the care records and confirmed with staff on the day.",
            )
        if target == "visit_done":
            continue
        suggested = workflow.suggested_rating(s for _, s in workflow.standard_scores(review))
        review = workflow.prepare_draft(
            review,
            actor=officer,
            rating=suggested,
            summary="People are supported by staff who know them well. Medicines records need "
            "attention.",
            actions_required="1. Audit medicines records weekly for three months.\n"
            "2. Update care plans after every review meeting.",
        )
        if target == "draft":
            continue
        review = workflow.share_draft(review, actor=officer)
        if target == "with_provider":
            continue
        workflow.finalise(review, actor=officer)
    context["created"]["reviews"] = context["created"].get("reviews", 0) + created
