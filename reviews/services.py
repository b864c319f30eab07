"""Every step of a QA review, with its actor (STYLE habit 1), for pages and the API alike.

State changes are rows of the review's workflow table (reviews.workflows) applied by the one
mechanism (qaf.workflow): a step the rules forbid raises ``Forbidden`` (not allowed for this
user: 403) or ``NotNow`` (not allowed in this state: 409) with a reason, and changes nothing;
two people taking the same step at once get exactly one success. What is here besides is what a
step needs around the table: planning a review, the visit record's answers and notes (each with
its own version, so two officers on one visit are told rather than overwritten), evidence links.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from providers.models import Service
from qaf.models import Role, User
from qaf.workflow import Forbidden, NotNow, WorkflowError
from reviews.models import (
    Answer,
    Question,
    Review,
    ReviewKind,
    ReviewStatus,
    Standard,
    StandardNote,
    Toolkit,
)
from reviews.queries import current_toolkit, questions_of, standard_scores
from reviews.scoring import suggested_rating
from reviews.workflows import COMMENT, EDITABLE_VISIT_STATES, REVIEW

S = ReviewStatus

__all__ = [
    "EDITABLE_VISIT_STATES",
    "Conflict",
    "Forbidden",
    "NotNow",
    "WorkflowError",
    "current_toolkit",
    "questions_of",
    "standard_scores",
    "suggested_rating",
]


@dataclass
class Conflict(Exception):
    """A visit answer (or a standard's notes) was saved by someone else after this edit began.

    ``server`` is the row as the server has it: an unsaved, empty one (version 0) when nobody
    has answered yet and the edit named a version that never existed."""

    server: Answer | StandardNote

    @property
    def server_version(self) -> int:
        return self.server.version


def _caseworker(actor: User) -> None:
    if actor is None or not actor.has_role(Role.OFFICER, Role.MANAGER):
        raise Forbidden("Only quality officers and managers carry out reviews.")


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


# --- The workflow's steps -----------------------------------------------------------------------


def take_step(review: Review, action: str, *, actor: User, **params) -> Review:
    """Any step of the review's table (reviews.workflows.REVIEW) by its name."""
    REVIEW.apply(review, action, actor=actor, **params)
    return review


def record_visit(review: Review, *, actor: User, visit_date: date | None = None) -> Review:
    return take_step(review, "record-visit", actor=actor, visit_date=visit_date)


def mark_information_requested(review: Review, *, actor: User) -> Review:
    return take_step(review, "mark-information-requested", actor=actor)


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
    return take_step(
        review,
        "prepare-draft",
        actor=actor,
        rating=rating,
        override_reason=override_reason,
        summary=summary,
        actions_required=actions_required,
    )


def share_draft(review: Review, *, actor: User, today: date | None = None) -> Review:
    return take_step(review, "share-draft", actor=actor, today=today)


def finalise(review: Review, *, actor: User, today: date | None = None) -> Review:
    return take_step(review, "finalise", actor=actor, today=today)


def finalise_early(
    review: Review, *, actor: User, reason: str, today: date | None = None
) -> Review:
    """A manager issues the final report before the provider's time for comments ends, with a
    reason that the history keeps."""
    return take_step(review, "finalise-early", actor=actor, reason=reason, today=today)


def no_further_comments(review: Review, *, actor: User, today: date | None = None) -> Review:
    """The provider says it has no more comments on the draft: with every comment answered, the
    final report need not wait for the end of its 14 days."""
    return take_step(review, "no-further-comments", actor=actor, today=today)


def cancel(review: Review, *, actor: User, reason: str) -> Review:
    return take_step(review, "cancel", actor=actor, reason=reason)


def request_manager_review(review: Review, *, actor: User) -> Review:
    """Ask a quality manager to review a disputed report before it is finalised: the report
    waits in the managers' queue (home page, review list) until one records their review."""
    return take_step(review, "request-manager-review", actor=actor)


def record_manager_review(review: Review, *, actor: User) -> Review:
    return take_step(review, "manager-reviewed", actor=actor)


def record_sent_to_regulator(review: Review, *, actor: User, on: date | None = None) -> Review:
    return take_step(review, "sent-to-regulator", actor=actor, on=on)


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
    files = list(evidence)
    if any(e.provider_id != review.service.provider_id for e in files):
        raise Forbidden("Only evidence from your own library can go with a comment.")
    step = REVIEW.apply(
        review, "comment", actor=actor, text=text, standard=standard, evidence=files
    )
    return step.result


def answer_comment(comment, *, actor: User, response: str, reason: str = ""):
    """The officer's answer: accepted and the report changed, or not accepted with a reason."""
    COMMENT.apply(comment, "answer", actor=actor, response=response, reason=reason)
    return comment


# --- The visit record: answers, notes and evidence links ---------------------------------------


def _open_visit_record(review: Review, actor: User, question: Question | None = None) -> None:
    """Lock the review for this save and check that its visit record may change (the review's
    "edit-visit" step): a save never lands after the draft was shared."""
    REVIEW.apply(review, "edit-visit", actor=actor)
    if question is not None and not questions_of(review).filter(pk=question.pk).exists():
        raise NotNow("That question is not part of this review.")


def _save_versioned(model, lookup: dict, *, actor: User, expected_version: int, values: dict):
    """Write ``values`` (those not None) to the visit record's row named by ``lookup`` if
    nobody saved it since ``expected_version`` (0: nobody has saved it yet); else ``Conflict``
    with the row as the server has it. Call with the review locked (``_open_visit_record``)."""
    row = model.objects.select_for_update().filter(**lookup).first() or model(**lookup)
    if row.version != expected_version:
        raise Conflict(row)
    for name, value in values.items():
        if value is not None:
            setattr(row, name, value)
    row.version += 1
    row.updated_by = actor
    row._history_user = actor
    row.full_clean(exclude=list(lookup))
    row.save()
    return row


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
    with transaction.atomic():
        _open_visit_record(review, actor, question)
        return _save_versioned(
            Answer,
            {"review": review, "question": question},
            actor=actor,
            expected_version=expected_version,
            values={"score": score, "notes": notes},
        )


def save_standard_note(
    review: Review,
    standard: Standard,
    *,
    actor: User,
    expected_version: int,
    findings: str | None = None,
    people_spoken_to: str | None = None,
) -> StandardNote:
    with transaction.atomic():
        _open_visit_record(review, actor)
        return _save_versioned(
            StandardNote,
            {"review": review, "standard": standard},
            actor=actor,
            expected_version=expected_version,
            values={"findings": findings, "people_spoken_to": people_spoken_to},
        )


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
    from providers.evidence import Evidence

    add, remove = list(add), list(remove)
    with transaction.atomic():
        _open_visit_record(review, actor, question)
        linkable = Evidence.objects.linkable_for(review.service.provider_id)
        allowed = set(linkable.filter(pk__in=[e.pk for e in add]).values_list("pk", flat=True))
        if any(e.pk not in allowed for e in add):
            raise NotNow("Only the provider's own files that passed the virus scan can be linked.")
        answer, _ = Answer.objects.select_for_update().get_or_create(
            review=review, question=question
        )
        answer._history_user = actor
        if add:
            answer.evidence.add(*add)
        if remove:
            answer.evidence.remove(*remove)
    return answer
