"""Public summaries of final reviews (issue 14 item 5): publishing, withdrawing, and what the
public pages read.

Publishing and withdrawing are steps of ``reviews.public_workflows.SUMMARY`` with an actor
(STYLE habit 1), for pages and the API alike. The public pages are cached: each rendered page
is kept under a key that counts the changes made to any summary (``public_stamp``: one
query), so a publish or a withdrawal is seen on the next request by every web machine, with no
cache to clear and nothing shared between machines but the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max

from qaf import names
from qaf.models import User
from qaf.workflow import Forbidden, NotNow, WorkflowError
from reviews.models import PublishedSummary, Review, SummaryState
from reviews.public_workflows import SUMMARY
from reviews.queries import standard_scores
from reviews.scoring import suggested_rating

__all__ = [
    "Forbidden",
    "NotNow",
    "WorkflowError",
    "cached_page",
    "names_in",
    "public_facts",
    "publish",
    "publish_refusal",
    "withdraw",
]

# How long a browser or a shared proxy may keep a public page (Cache-Control max-age): a
# withdrawn summary is gone from QAF at once, and from any proxy's copy within this time.
PUBLIC_MAX_AGE = 300
# How long a rendered page stays in Django's cache (a new stamp makes a new key anyway).
CACHE_SECONDS = 60 * 60


def public_facts(review: Review) -> dict:
    """What the public page shows besides the summary, copied from the register and the
    review: the service's name, type and area, the review's date, its overall rating, and each
    domain's rating (the worst of its standards, as the report has it) with its standards'.
    Nothing about people: no officer, manager, provider staff or people who use the service."""
    service = review.service
    domains: dict[int, dict] = {}
    scores = standard_scores(review) if review.toolkit_id else []
    by_domain: dict[int, list] = {}
    for standard, score in scores:
        domain = domains.setdefault(
            standard.domain_id, {"title": standard.domain.title, "rating": "", "standards": []}
        )
        domain["standards"].append(
            {"code": standard.code, "title": standard.title, "rating": score.rag or ""}
        )
        by_domain.setdefault(standard.domain_id, []).append(score)
    for domain_id, domain in domains.items():
        domain["rating"] = suggested_rating(by_domain[domain_id]) or ""
    return {
        "service_name": service.name,
        "service_type": service.service_type,
        "area": service.local_authority_area or service.host_authority,
        "review_date": review.completed_on,
        "rating": review.rating,
        "domains": list(domains.values()),
    }


def names_in(text: str, provider) -> list[str]:
    """The full names of people QAF knows that ``text`` holds, sorted: the council's staff and
    the users of ``provider`` (a provider, its id, or None for staff only). Any case and any
    spacing or line breaks count ("OLIVIA   lewis"); a first name alone does not, nor a user
    of another provider. People who use a service have no accounts: nothing finds their names.
    Public summaries are refused with any (``reviews.public_workflows``); the shared-outcomes
    export holds back a summary with any. The one check is ``qaf.names``."""
    provider_id = getattr(provider, "pk", provider)
    ids = [] if provider_id is None else [provider_id]
    near = names.names_near(ids)
    return names.named_in(text or "", near[names.STAFF] | near.get(provider_id, set()))


def summary_of(review: Review) -> PublishedSummary | None:
    """The review's public summary, published or withdrawn, or None."""
    return PublishedSummary.objects.filter(review=review).exclude(state=SummaryState.DRAFT).first()


def publish_refusal(review: Review, user, *, summary: str | None = None) -> WorkflowError | None:
    """Why ``user`` may not publish a summary of ``review`` now (or of this ``summary``)."""
    existing = PublishedSummary.objects.filter(review=review).first()
    row = existing or PublishedSummary(review=review)
    params = None if summary is None else {"summary": summary}
    return SUMMARY.refusal(row, "publish", user, params=params, parent=review)


def publish(
    review: Review, *, actor: User, summary: str, today: date | None = None
) -> PublishedSummary:
    """Publish ``summary`` for the final ``review``, or raise ``Forbidden``/``NotNow`` having
    written nothing. The review is locked first: of two people publishing at once, the second
    is refused (the summary is published already)."""
    refusal = publish_refusal(review, actor, summary=summary)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        Review.objects.select_for_update().filter(pk=review.pk).first()
        row = PublishedSummary.objects.filter(review=review).first()
        if row is None:
            row = PublishedSummary(review=review, summary=summary.strip())
            row._history_user = actor
            row.save()
        SUMMARY.apply(row, "publish", actor=actor, today=today, summary=summary)
    return row


def withdraw(summary: PublishedSummary, *, actor: User, reason: str) -> PublishedSummary:
    """Withdraw a published summary on request, with the reason."""
    SUMMARY.apply(summary, "withdraw", actor=actor, reason=reason)
    return summary


def take_step(summary: PublishedSummary, step: str, *, actor: User, **params):
    if step == "withdraw":
        return withdraw(summary, actor=actor, reason=params.get("reason", ""))
    return SUMMARY.apply(summary, step, actor=actor, **params)


# --- The public pages' cache -----------------------------------------------------------------


def public_stamp() -> str:
    """Changes whenever any summary is published or withdrawn (or its row otherwise saved).

    Read from the summaries' history, not their ``updated_at``: every change writes a history
    row in the transaction that makes it, so a stamp read after the change commits counts that
    row. The count goes up by one for every change committed, whatever the order in which
    changes commit and whatever the clock of the machine that made them (``updated_at`` and
    history ids are taken before commit, so a change committed later can carry an earlier
    time or a smaller id). The largest history id is added so that a purge deleting history
    rows cannot bring back an earlier stamp. One query, on a small table."""
    facts = PublishedSummary.history.aggregate(rows=Count("pk"), last=Max("pk"))
    return f"{facts['rows']}:{facts['last'] or 0}"


def cached_page(name: str, key: str, render: Callable[[], Any]) -> Any:
    """The page ``name`` for ``key`` (its query, its id) as rendered at the current stamp:
    from the cache, else what ``render()`` makes, kept for the next visitor."""
    digest = hashlib.sha256(f"{public_stamp()}|{key}".encode()).hexdigest()[:32]
    cache_key = f"public-summaries:{name}:{digest}"
    page = cache.get(cache_key)
    if page is None:
        page = render()
        cache.set(cache_key, page, CACHE_SECONDS)
    return page
