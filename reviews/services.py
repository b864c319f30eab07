"""Every state change of a QA review, with its actor, in one transaction (STYLE habit 1).

A step that the rules forbid raises ``Forbidden`` (not allowed for this user: 403) or
``NotNow`` (not allowed in this state: 409) with a reason, and changes nothing. Transitions
are conditional updates on the current state, so two people clicking at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from providers.models import Service
from qaf.models import Role, User, record_update
from reviews.models import (
    IN_PROGRESS,
    Answer,
    Question,
    Review,
    ReviewKind,
    ReviewStatus,
    Standard,
    StandardNote,
    Toolkit,
    ToolkitStatus,
)
from reviews.scoring import StandardScore, score_standard, suggested_rating
from risk.models import PolicyVersion

S = ReviewStatus


class WorkflowError(Exception):
    status_code = 409

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotNow(WorkflowError):
    """Not allowed in the object's current state (409)."""


class Forbidden(WorkflowError):
    """Not allowed for this user (403)."""

    status_code = 403


@dataclass
class Conflict(Exception):
    """A visit answer was saved by someone else after this edit started."""

    server_version: int
    server_score: str
    server_notes: str
    updated_by: str


def _caseworker(actor: User) -> None:
    if not actor.has_role(Role.OFFICER, Role.MANAGER):
        raise Forbidden("Only quality officers and managers carry out reviews.")


def _transition(review: Review, allowed: Iterable[str], new: str, **fields) -> Review:
    """Move ``review`` from one of ``allowed`` to ``new`` if nobody moved it first."""
    allowed = list(allowed)
    now = timezone.now()
    updated = Review.objects.filter(pk=review.pk, status__in=allowed).update(
        status=new, version=review.version + 1, updated_at=now, **fields
    )
    if not updated:
        review.refresh_from_db()
        raise NotNow(
            f"The review is {review.get_status_display().lower()}: it cannot be moved to "
            f"“{S(new).label.lower()}” from there."
        )
    return record_update(review, getattr(review, "_actor", None), "updated_at")


def current_toolkit() -> Toolkit | None:
    return (
        Toolkit.objects.filter(status=ToolkitStatus.PUBLISHED)
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
        .first()
    )


def plan_review(
    service: Service,
    *,
    actor: User,
    kind: str = ReviewKind.FULL,
    officer: User | None = None,
    announced: bool = True,
    visit_date: date | None = None,
    toolkit: Toolkit | None = None,
    focus_standards: Iterable[Standard] = (),
) -> Review:
    _caseworker(actor)
    toolkit = toolkit or current_toolkit()
    focus = list(focus_standards)
    if kind == ReviewKind.FOCUSED and not focus:
        raise NotNow("Choose the standards a focused review looks at.")
    if toolkit and any(s.domain.toolkit_id != toolkit.pk for s in focus):
        raise NotNow("The focus standards must come from the review's toolkit.")
    with transaction.atomic():
        review = Review(
            service=service,
            kind=kind,
            officer=officer or actor,
            announced=announced,
            visit_date=visit_date,
            toolkit=toolkit,
            created_by=actor,
        )
        review._history_user = actor
        review.full_clean()
        review.save()
        if focus:
            review.focus_standards.set(focus)
    return review


def record_historic(
    service: Service, *, actor: User, kind: str, completed_on: date, rating: str
) -> Review:
    """A final review carried out before QAF, or on paper (SPEC §9)."""
    _caseworker(actor)
    with transaction.atomic():
        review = Review(
            service=service,
            kind=kind,
            status=S.FINAL,
            historic=True,
            completed_on=completed_on,
            rating=rating,
            created_by=actor,
            officer=actor,
        )
        review._history_user = actor
        review.full_clean()
        review.save()
    return review


def record_visit(review: Review, *, actor: User, visit_date: date | None = None) -> Review:
    _caseworker(actor)
    review._actor = actor
    with transaction.atomic():
        return _transition(
            review,
            [S.PLANNED, S.INFORMATION_REQUESTED],
            S.VISIT_DONE,
            # The day the visit happened: today unless the officer says otherwise.
            visit_date=visit_date or timezone.localdate(),
            visit_recorded_at=timezone.now(),
        )


def mark_information_requested(review: Review, *, actor: User) -> Review:
    review._actor = actor
    if review.status == S.INFORMATION_REQUESTED:
        return review
    return _transition(review, [S.PLANNED], S.INFORMATION_REQUESTED)


def questions_of(review: Review):
    """The questions the review scores: all of its toolkit's, or the focus standards'."""
    qs = Question.objects.filter(standard__domain__toolkit=review.toolkit_id)
    if review.kind == ReviewKind.FOCUSED:
        qs = qs.filter(standard__in=review.focus_standards.all())
    return qs.select_related("standard__domain").order_by(
        "standard__domain__order", "standard__order", "order", "pk"
    )


EDITABLE_VISIT_STATES = (S.PLANNED, S.INFORMATION_REQUESTED, S.VISIT_DONE, S.DRAFT)


def save_answer(
    review: Review,
    question: Question,
    *,
    actor: User,
    expected_version: int,
    score: str | None = None,
    notes: str | None = None,
) -> Answer:
    """Save one question's score and/or notes if nobody saved it since ``expected_version``.

    Raises ``Conflict`` with the newer server copy, so the officer can choose.
    """
    _caseworker(actor)
    if review.status not in EDITABLE_VISIT_STATES:
        raise NotNow("The report has been shared: the visit record can no longer change.")
    if not questions_of(review).filter(pk=question.pk).exists():
        raise NotNow("That question is not part of this review.")
    with transaction.atomic():
        answer, _ = Answer.objects.select_for_update().get_or_create(
            review=review, question=question
        )
        if answer.version != expected_version:
            raise Conflict(
                answer.version, answer.score, answer.notes, str(answer.updated_by or "someone")
            )
        if score is not None:
            answer.score = score
        if notes is not None:
            answer.notes = notes
        answer.version += 1
        answer.updated_by = actor
        answer._history_user = actor
        answer.full_clean(exclude=["review", "question"])
        answer.save()
    return answer


def save_standard_note(
    review: Review,
    standard: Standard,
    *,
    actor: User,
    expected_version: int,
    findings: str | None = None,
    people_spoken_to: str | None = None,
) -> StandardNote:
    _caseworker(actor)
    if review.status not in EDITABLE_VISIT_STATES:
        raise NotNow("The report has been shared: the visit record can no longer change.")
    with transaction.atomic():
        note, _ = StandardNote.objects.select_for_update().get_or_create(
            review=review, standard=standard
        )
        if note.version != expected_version:
            raise Conflict(note.version, "", note.findings, str(note.updated_by or "someone"))
        if findings is not None:
            note.findings = findings
        if people_spoken_to is not None:
            note.people_spoken_to = people_spoken_to
        note.version += 1
        note.updated_by = actor
        note._history_user = actor
        note.save()
    return note


def standard_scores(review: Review) -> list[tuple[Standard, StandardScore]]:
    answers = {a.question_id: a for a in review.answers.all()}
    by_standard: dict[int, tuple[Standard, list]] = {}
    for question in questions_of(review):
        standard, points = by_standard.setdefault(question.standard_id, (question.standard, []))
        answer = answers.get(question.pk)
        points.append(answer.points if answer else None)
    return [(std, score_standard(std.pk, points)) for std, points in by_standard.values()]


def prepare_draft(
    review: Review,
    *,
    actor: User,
    rating: str,
    override_reason: str = "",
    summary: str = "",
    actions_required: str = "",
) -> Review:
    """Close the visit record into a draft: the suggested RAG, the officer's RAG (an override
    needs a written reason, shown in the report), the summary and actions."""
    _caseworker(actor)
    suggested = suggested_rating(score for _, score in standard_scores(review))
    if suggested is None:
        raise NotNow("Score at least one question before writing the draft report.")
    candidate = Review.objects.get(pk=review.pk)
    candidate.rating, candidate.suggested_rating = rating, suggested
    candidate.override_reason = override_reason
    candidate.full_clean(exclude=["service", "toolkit", "officer"])
    review._actor = actor
    with transaction.atomic():
        return _transition(
            review,
            [S.VISIT_DONE, S.DRAFT],
            S.DRAFT,
            rating=rating,
            suggested_rating=suggested,
            override_reason=override_reason.strip() if rating != suggested else "",
            summary=summary,
            actions_required=actions_required,
        )


def share_draft(review: Review, *, actor: User, today: date | None = None) -> Review:
    _caseworker(actor)
    today = today or timezone.localdate()
    days = int(PolicyVersion.current().schedules.get("provider_comment_days", 14))
    review._actor = actor
    with transaction.atomic():
        review = _transition(
            review,
            [S.DRAFT],
            S.WITH_PROVIDER,
            draft_shared_on=today,
            comments_due=today + timedelta(days=days),
        )
        from reviews.documents import issue_report

        issue_report(review, final=False, actor=actor)
    return review


def finalise(review: Review, *, actor: User, today: date | None = None) -> Review:
    _caseworker(actor)
    if review.comments.filter(response="").exists():
        raise NotNow("Answer every comment from the provider before issuing the final report.")
    if review.manager_review_requested and review.manager_reviewed_by_id is None:
        raise NotNow("A manager has been asked to review the report and has not yet done so.")
    review._actor = actor
    with transaction.atomic():
        review = _transition(
            review, [S.WITH_PROVIDER], S.FINAL, completed_on=today or timezone.localdate()
        )
        from reviews.documents import issue_report

        issue_report(review, final=True, actor=actor)
    return review


def cancel(review: Review, *, actor: User, reason: str) -> Review:
    _caseworker(actor)
    if not reason.strip():
        raise NotNow("Give the reason for cancelling the review.")
    review._actor = actor
    return _transition(review, IN_PROGRESS, S.CANCELLED, cancelled_reason=reason.strip())


def _record(review: Review, actor: User, **fields) -> Review:
    """A change of a review that is not a state transition, with its history row."""
    Review.objects.filter(pk=review.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    return record_update(review, actor, "updated_at")


def request_manager_review(review: Review, *, actor: User) -> Review:
    """Ask a quality manager to review a disputed report before it is finalised: the report
    waits in the managers' queue (home page, review list) until one records their review."""
    _caseworker(actor)
    if review.status not in (S.DRAFT, S.WITH_PROVIDER):
        raise NotNow("A manager reviews a report once it is drafted.")
    if review.manager_review_requested and review.manager_reviewed_by_id is None:
        raise NotNow("A manager has already been asked to review this report.")
    with transaction.atomic():
        return _record(review, actor, manager_review_requested=True, manager_reviewed_by=None)


def record_manager_review(review: Review, *, actor: User) -> Review:
    if not actor.has_role(Role.MANAGER):
        raise Forbidden("Only a quality manager reviews a disputed report.")
    if not review.manager_review_requested:
        raise NotNow("No manager review has been asked for.")
    if review.manager_reviewed_by_id is not None:
        raise NotNow(f"{review.manager_reviewed_by} has already reviewed the report.")
    if review.status not in (S.DRAFT, S.WITH_PROVIDER):
        raise NotNow("The report is no longer in draft.")
    with transaction.atomic():
        return _record(review, actor, manager_reviewed_by=actor)


def record_sent_to_regulator(review: Review, *, actor: User, on: date | None = None) -> Review:
    _caseworker(actor)
    if review.status != S.FINAL:
        raise NotNow("Only a final report is sent to the regulator.")
    if review.sent_to_regulator_on:
        raise NotNow(
            f"Sending to the regulator was recorded already, for "
            f"{review.sent_to_regulator_on:%-d %B %Y}."
        )
    with transaction.atomic():
        return _record(review, actor, sent_to_regulator_on=on or timezone.localdate())


def add_comment(
    review: Review,
    *,
    actor: User,
    text: str,
    standard: Standard | None = None,
    evidence: Iterable = (),
):
    """A provider's factual-accuracy comment on the shared draft, within the deadline, with
    files from its own library if it attaches any."""
    from reviews.models import ReportComment

    if not (actor.is_provider_user and actor.provider_id == review.service.provider_id):
        raise Forbidden("Only the provider's own users comment on its draft report.")
    if review.status != S.WITH_PROVIDER:
        raise NotNow("Comments are taken only while the draft report is with the provider.")
    if review.comments_due and timezone.localdate() > review.comments_due:
        raise NotNow(
            f"The time for comments ended on {review.comments_due:%d %B %Y}. Contact the "
            "quality officer."
        )
    if not text.strip():
        raise NotNow("Write the comment.")
    files = list(evidence)
    if any(e.provider_id != review.service.provider_id for e in files):
        raise Forbidden("Only evidence from your own library can go with a comment.")
    if standard is not None and not questions_of(review).filter(standard=standard).exists():
        raise NotNow("That section is not part of this report.")
    comment = ReportComment(review=review, standard=standard, text=text.strip(), author=actor)
    comment._history_user = actor
    with transaction.atomic():
        comment.save()
        if files:
            comment.evidence.set(files)
    return comment


def answer_comment(comment, *, actor: User, response: str, reason: str = ""):
    """The officer's answer: accepted and the report changed, or not accepted with a reason."""
    from reviews.models import CommentResponse, ReportComment

    _caseworker(actor)
    if response not in CommentResponse.values:
        raise NotNow("Choose whether the comment is accepted.")
    if response == CommentResponse.NOT_ACCEPTED and not reason.strip():
        raise NotNow("Say why the comment is not accepted.")
    with transaction.atomic():
        updated = ReportComment.objects.filter(pk=comment.pk, response="").update(
            response=response,
            response_reason=reason.strip(),
            responded_by=actor,
            responded_at=timezone.now(),
        )
        if not updated:
            raise NotNow("This comment has already been answered.")
        record_update(comment, actor, "response")
    return comment


def link_evidence(
    review: Review,
    question: Question,
    *,
    actor: User,
    add: Iterable = (),
    remove: Iterable = (),
) -> Answer:
    """Link files from the provider's evidence library to a question's answer, or unlink them.

    Links change one by one (add these, remove those) rather than being replaced by a whole
    list, so two officers linking evidence to the same question at once both keep theirs. Only
    the review's provider's files that passed the virus scan can be linked."""
    from providers.evidence import Evidence, ScanStatus

    _caseworker(actor)
    if review.status not in EDITABLE_VISIT_STATES:
        raise NotNow("The report has been shared: the visit record can no longer change.")
    if not questions_of(review).filter(pk=question.pk).exists():
        raise NotNow("That question is not part of this review.")
    add, remove = list(add), list(remove)
    linkable = Evidence.objects.filter(
        provider_id=review.service.provider_id, scan_status=ScanStatus.CLEAN
    )
    allowed = set(linkable.filter(pk__in=[e.pk for e in add]).values_list("pk", flat=True))
    if any(e.pk not in allowed for e in add):
        raise NotNow("Only the provider's own files that passed the virus scan can be linked.")
    with transaction.atomic():
        answer, _ = Answer.objects.select_for_update().get_or_create(
            review=review, question=question
        )
        answer._history_user = actor
        if add:
            answer.evidence.add(*add)
        if remove:
            answer.evidence.remove(*remove)
    return answer
