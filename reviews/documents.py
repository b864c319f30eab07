"""The QA report as an issued document: draft (watermarked DRAFT) and final (SPEC §6, §7)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from qaf.models import Document, User
from reviews.models import Answer, Review

REPORT_TEMPLATE = "reviews/report_pdf.html"


def issue_report(review: Review, *, final: bool, actor: User) -> Document:
    """Store the report as a pending document and render it in the worker after the commit."""
    from qaf.tasks import render_document

    label = "Final" if final else "Draft"
    recipients = [u.email for u in review.service.provider.users.filter(is_active=True)]
    document = Document.objects.create(
        kind="qa_report_final" if final else "qa_report_draft",
        title=f"{label} QA report – {review.service.name}",
        provider_id=review.service.provider_id,
        service_id=review.service_id,
        source_type=ContentType.objects.get_for_model(Review),
        source_id=review.pk,
        template=REPORT_TEMPLATE,
        context={"final": final},
        visible_to_provider=True,
        recipients=recipients,
        issued_by=actor,
    )
    transaction.on_commit(lambda: render_document.delay(document.pk))
    return document


def report_context(review: Review) -> dict:
    """What the report template shows: scores per domain and standard, findings, the override."""
    from reviews.services import standard_scores

    notes = {n.standard_id: n for n in review.standard_notes.all()}
    evidence: dict[int, dict] = {}
    links = Answer.evidence.through.objects.filter(answer__review=review).select_related(
        "evidence", "answer__question"
    )
    for link in links.order_by("evidence__evidence_date", "evidence__title", "evidence_id"):
        evidence.setdefault(link.answer.question.standard_id, {})[link.evidence_id] = link.evidence
    domains: dict[int, dict] = {}
    for standard, score in standard_scores(review):
        domain = domains.setdefault(
            standard.domain_id,
            {
                "domain": standard.domain,
                "standards": [],
            },
        )
        domain["standards"].append(
            {
                "standard": standard,
                "score": score,
                "note": notes.get(standard.pk),
                "evidence": list(evidence.get(standard.pk, {}).values()),
            }
        )
    comments = review.comments.select_related("standard").prefetch_related("evidence")
    return {"review": review, "domains": list(domains.values()), "comments": list(comments)}
