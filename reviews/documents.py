"""The QA report as an issued document: draft (watermarked DRAFT) and final (SPEC §6, §7)."""

from __future__ import annotations

from qaf import charts
from qaf.models import Document, User
from qaf.pdf import issue_document, provider_emails
from qaf.rag import ORDER
from reviews.models import Answer, Review

REPORT_TEMPLATE = "reviews/report_pdf.html"


def issue_report(review: Review, *, final: bool, actor: User) -> Document:
    """Store the report as a pending document and render it in the worker after the commit."""
    label = "Final" if final else "Draft"
    return issue_document(
        review,
        kind="qa_report_final" if final else "qa_report_draft",
        title=f"{label} QA report – {review.service.name}",
        template=REPORT_TEMPLATE,
        actor=actor,
        recipients=provider_emails(review.service.provider_id),
        context={"final": final},
    )


def report_context(review: Review) -> dict:
    """What the report template shows: scores per domain and standard, findings, the override."""
    from reviews.scoring import suggested_rating
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
    domains = list(domains.values())
    for domain in domains:
        # A domain's summary: how its standards came out, and the lowest of them (the rule
        # that makes the review's suggested rating, applied to one domain); no new formula.
        scores = [s["score"] for s in domain["standards"]]
        domain["counts"] = {rag: sum(1 for x in scores if x.rag == rag) for rag in ORDER}
        domain["not_scored"] = sum(1 for x in scores if x.rag is None)
        domain["lowest"] = suggested_rating(scores)
    chart = charts.score_bar_chart(
        [
            (f"{s['standard'].code} {s['standard'].title}", s["score"].mean, s["score"].rag)
            for d in domains
            for s in d["standards"]
        ],
        title="Mean score of each standard (4 Excellent, 3 Good, 2 Requires improvement, 1 Poor)",
        id_prefix="report-scores",
        bar_h=15,
        gap=5,  # compact, so that the chart fits under the summary on the first page
    )
    return {"review": review, "domains": domains, "comments": list(comments), "chart": chart}
