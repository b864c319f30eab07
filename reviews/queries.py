"""What a review is made of, read from the database: the toolkit in use, the questions a review
scores and each standard's score so far. Shared by the workflow's guards, the pages, the API and
the report."""

from __future__ import annotations

from django.db.models import F

from reviews.models import Question, Review, ReviewKind, Standard, Toolkit, ToolkitStatus
from reviews.scoring import StandardScore, score_standard, suggested_rating


def current_toolkit() -> Toolkit | None:
    return (
        Toolkit.objects.filter(status=ToolkitStatus.PUBLISHED)
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
        .first()
    )


def questions_of(review: Review):
    """The questions the review scores: all of its toolkit's, or the focus standards'."""
    qs = Question.objects.filter(standard__domain__toolkit=review.toolkit_id)
    if review.kind == ReviewKind.FOCUSED:
        qs = qs.filter(standard__in=review.focus_standards.all())
    return qs.select_related("standard__domain").order_by(
        "standard__domain__order", "standard__order", "order", "pk"
    )


def standard_scores(review: Review) -> list[tuple[Standard, StandardScore]]:
    answers = {a.question_id: a for a in review.answers.all()}
    by_standard: dict[int, tuple[Standard, list]] = {}
    for question in questions_of(review):
        standard, points = by_standard.setdefault(question.standard_id, (question.standard, []))
        answer = answers.get(question.pk)
        points.append(answer.points if answer else None)
    return [(std, score_standard(std.pk, points)) for std, points in by_standard.values()]


def suggested_for(review: Review) -> str | None:
    """The worst standard's RAG so far, or None when nothing is scored."""
    return suggested_rating(score for _, score in standard_scores(review))


def question_labels(review: Review) -> dict[int, str]:
    """Each question's number as the visit form and the report show it (S1.2: the second
    question of standard S1), by question id."""
    labels: dict[int, str] = {}
    position: dict[int, int] = {}
    for question in questions_of(review):
        n = position[question.standard_id] = position.get(question.standard_id, 0) + 1
        labels[question.pk] = f"{question.standard.code}.{n}"
    return labels


def unscored_questions(review: Review) -> list[str]:
    """The labels of the questions not yet scored or marked not applicable, in toolkit order."""
    scored = set(review.answers.exclude(score="").values_list("question_id", flat=True))
    return [label for pk, label in question_labels(review).items() if pk not in scored]
