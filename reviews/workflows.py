"""The review workflows as tables (qaf.workflow): the QA review, the officer's answers to the
provider's comments, information requests and their items (SPEC §6).

Each row says from which states a step starts, where it goes, who may take it and what must be
true; reviews.services and reviews.information call ``apply`` and add only what a step needs
besides (the files of a comment, the email of a request).
"""

from __future__ import annotations

import contextlib
import copy

from django.utils import timezone

from qaf import policy, rag
from qaf.models import Role
from qaf.workflow import NotNow, Step, Transition, Workflow
from reviews.deadlines import INFORMATION_REQUEST_DAYS, PROVIDER_COMMENT_DAYS
from reviews.models import (
    IN_PROGRESS,
    CommentResponse,
    InformationRequest,
    InformationRequestItem,
    ReportComment,
    Review,
    ReviewStatus,
)
from reviews.models.information import ItemStatus, RequestStatus
from reviews.queries import suggested_for, unscored_questions

S = ReviewStatus
CASEWORK_ONLY = "Only quality officers and managers carry out reviews."

# The visit record (answers, notes, evidence links) is the officer's until the draft is shared.
EDITABLE_VISIT_STATES = frozenset({S.PLANNED, S.INFORMATION_REQUESTED, S.VISIT_DONE, S.DRAFT})
READ_ONLY_REASONS = {
    S.WITH_PROVIDER: "The draft report has been shared with the provider: the visit record can "
    "no longer change.",
    S.FINAL: "The final report has been issued: the visit record can no longer change.",
    S.CANCELLED: "The review was cancelled: the visit record can no longer change.",
}
REPORT_STATES = frozenset({S.DRAFT, S.WITH_PROVIDER})


# --- Guards and checks: pure functions of the step, returning the reason or None ---------------


def _scored_something(step: Step):
    if step.facts["suggested"] is None:
        return "Score at least one question before writing the draft report."
    return None


def _every_question_scored(step: Step):
    """SPEC §6: each question is scored, or marked not applicable, before the draft."""
    left = step.facts["unscored"]
    if not left:
        return None
    shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
    count = f"{len(left)} question{'s' if len(left) != 1 else ''}"
    return (
        f"Score every question, or mark it not applicable, before the draft report: {count} "
        f"left ({shown})."
    )


def _rating_explained(step: Step):
    """The suggested rating is the worst standard's as the answers are now: a draft whose
    rating differs from it needs its written reason at every step, not only when written."""
    suggested, review = step.facts["suggested"], step.obj
    overridden = suggested and review.rating and review.rating != suggested
    if overridden and not review.override_reason.strip():
        return (
            f"The scores now suggest {rag.label(suggested)}, not the draft's "
            f"{rag.label(review.rating)}: write the draft report again to choose the rating "
            "(another rating needs its reason)."
        )
    return None


def _suggestion_now(step: Step) -> dict:
    """The suggested rating recomputed from the answers as they are now."""
    suggested, review = step.facts["suggested"], step.obj
    values = {"suggested_rating": suggested or ""}
    if review.rating == suggested:
        values["override_reason"] = ""  # no longer an override: the report says nothing
    return values


def _comment_period_over(step: Step):
    """SPEC §5 / 000 §6: the provider has its 14 days, unless every comment it made is answered
    and it has said it has no more."""
    review = step.obj
    due = review.comments_due
    if due is None or step.today > due:
        return None
    if review.no_more_comments_on and not step.facts["unanswered_comments"]:
        return None
    return (
        f"The provider may comment until {due:%-d %B %Y}. Issue the final report after that "
        "day, or once the provider has said it has no further comments and every comment is "
        "answered. A manager may issue it earlier, with a reason."
    )


def _comment_period_running(step: Step):
    due = step.obj.comments_due
    if due is None or step.today > due:
        return "The provider's time for comments is over: issue the final report as usual."
    return None


def _no_more_said_yet(step: Step):
    on = step.obj.no_more_comments_on
    if on:
        return f"You told the council on {on:%-d %B %Y} that you have no further comments."
    return None


def _early_reason_given(step: Step):
    if not step.text("reason"):
        return "Give the reason for issuing the final report before the provider's deadline."
    return None


def _comments_answered(step: Step):
    if step.facts["unanswered_comments"]:
        return "Answer every comment from the provider before issuing the final report."
    return None


def _manager_review_done(step: Step):
    if step.obj.waiting_for_manager:
        return "A manager has been asked to review the report and has not yet done so."
    return None


def _manager_not_asked_yet(step: Step):
    if step.obj.waiting_for_manager:
        return "A manager has already been asked to review this report."
    return None


def _manager_only(reason: str):
    def who(step: Step):
        return None if step.actor.has_role(Role.MANAGER) else reason

    return who


def _manager_review_asked(step: Step):
    review = step.obj
    if not review.manager_review_requested:
        return "No manager review has been asked for."
    if review.manager_reviewed_by_id is not None:
        return f"{review.manager_reviewed_by} has already reviewed the report."
    return None


def _not_sent_to_regulator_yet(step: Step):
    on = step.obj.sent_to_regulator_on
    if on:
        return f"Sending to the regulator was recorded already, for {on:%-d %B %Y}."
    return None


def _reason_given(step: Step):
    if not str(step.params.get("reason", "")).strip():
        return "Give the reason for cancelling the review."
    return None


def _providers_own_user(step: Step):
    actor, review = step.actor, step.obj
    if actor.is_provider_user and actor.provider_id == review.service.provider_id:
        return None
    return "Only the provider's own users comment on its draft report."


def _within_comment_period(step: Step):
    due = step.obj.comments_due
    if due and step.today > due:
        return f"The time for comments ended on {due:%d %B %Y}. Contact the quality officer."
    return None


def _comment_written(step: Step):
    return None if str(step.params.get("text", "")).strip() else "Write the comment."


def _section_of_report(step: Step):
    from reviews.queries import questions_of

    standard = step.params.get("standard")
    if standard is not None and not questions_of(step.obj).filter(standard=standard).exists():
        return "That section is not part of this report."
    return None


# --- Changes and effects --------------------------------------------------------------------


def _visit_recorded(step: Step) -> dict:
    # The day the visit happened: today unless the officer says otherwise.
    return {
        "visit_date": step.params.get("visit_date") or step.today,
        "visit_recorded_at": timezone.now(),
    }


def _draft(step: Step) -> dict:
    """The officer's RAG beside the suggested one (an override needs a written reason, shown in
    the report), the summary and the actions, validated as the model says."""
    p, suggested = step.params, step.facts["suggested"]
    rating, reason = p.get("rating", ""), p.get("override_reason", "")
    candidate = copy.copy(step.obj)
    candidate.rating, candidate.suggested_rating, candidate.override_reason = (
        rating,
        suggested,
        reason,
    )
    candidate.full_clean(exclude=["service", "toolkit", "officer"])
    return {
        "rating": rating,
        "suggested_rating": suggested,
        "override_reason": reason.strip() if rating != suggested else "",
        "summary": p.get("summary", ""),
        "actions_required": p.get("actions_required", ""),
    }


def _shared(step: Step) -> dict:
    return {
        "draft_shared_on": step.today,
        "comments_due": policy.due_date(PROVIDER_COMMENT_DAYS, step.today),
    }


def _issue_draft_report(step: Step) -> None:
    from reviews.documents import issue_report

    issue_report(step.obj, final=False, actor=step.actor)


def _issue_final_report(step: Step) -> None:
    from reviews.documents import issue_report

    issue_report(step.obj, final=True, actor=step.actor)


def _add_comment(step: Step) -> None:
    p = step.params
    comment = ReportComment(
        review=step.obj, standard=p.get("standard"), text=p["text"].strip(), author=step.actor
    )
    comment._history_user = step.actor
    comment.save()
    if p.get("evidence"):
        comment.evidence.set(p["evidence"])
    step.result = comment


def _request_url(review: Review) -> str:
    from django.urls import reverse

    return f"{reverse('reviews:request_create', args=[review.service_id])}?review={review.pk}"


REVIEW = Workflow(
    Review,
    name="review",
    url_name="reviews:review_step",
    forbidden=CASEWORK_ONLY,
    not_now=lambda review, t: (
        f"The review is {review.get_status_display().lower()}: it cannot be moved to "
        f"“{S(t.target).label.lower()}” from there."
        if isinstance(t.target, str)
        else f"The review is {review.get_status_display().lower()}: "
        f"“{(t.title or t.action).lower()}” is not possible now."
    ),
    facts={
        "suggested": suggested_for,
        "unscored": unscored_questions,
        "unanswered_comments": lambda review: review.comments.filter(response="").exists(),
    },
    tags={S.FINAL: "green", S.CANCELLED: "grey"},
    transitions=[
        Transition(
            "edit-visit",
            source=EDITABLE_VISIT_STATES,
            label="Open the visit form",
            style="primary",
            url=lambda review: _url("reviews:review_visit", review),
            state_reason=lambda review: READ_ONLY_REASONS.get(
                review.status, "The visit record can no longer change."
            ),
        ),
        Transition(
            "mark-information-requested",
            source={S.PLANNED},
            target=S.INFORMATION_REQUESTED,
        ),
        Transition(
            "record-visit",
            source={S.PLANNED, S.INFORMATION_REQUESTED},
            target=S.VISIT_DONE,
            changes=_visit_recorded,
            title="Record the visit as done",
            button="Record the visit",
        ),
        Transition(
            "prepare-draft",
            source={S.VISIT_DONE, S.DRAFT},
            target=S.DRAFT,
            guards=(_every_question_scored, _scored_something),
            changes=_draft,
            title="Write the draft report",
            label=lambda review: (
                "Change the draft report" if review.status == S.DRAFT else "Write the draft report"
            ),
            button="Save the draft report",
        ),
        Transition(
            "share-draft",
            source={S.DRAFT},
            target=S.WITH_PROVIDER,
            guards=(_every_question_scored, _scored_something, _rating_explained),
            changes=lambda step: {**_shared(step), **_suggestion_now(step)},
            effects=(_issue_draft_report,),
            title="Share the draft report with the provider",
            label="Share the draft with the provider",
            button="Share the draft",
            style="primary",
        ),
        Transition(
            "request-manager-review",
            source=REPORT_STATES,
            guards=(_manager_not_asked_yet,),
            changes=lambda step: {"manager_review_requested": True, "manager_reviewed_by": None},
            state_reason=lambda review: "A manager reviews a report once it is drafted.",
            title="Ask a manager to review the report",
            label="Ask a manager to review",
            button="Ask a manager",
        ),
        Transition(
            "manager-reviewed",
            source=REPORT_STATES,
            who=_manager_only("Only a quality manager reviews a disputed report."),
            guards=(_manager_review_asked,),
            changes=lambda step: {"manager_reviewed_by": step.actor},
            state_reason=lambda review: "The report is no longer in draft.",
            title="Record your review as manager",
            label="Record manager review",
            button="I have reviewed the report",
        ),
        Transition(
            "finalise",
            source={S.WITH_PROVIDER},
            target=S.FINAL,
            guards=(
                _comments_answered,
                _manager_review_done,
                _comment_period_over,
                _rating_explained,
            ),
            changes=lambda step: {"completed_on": step.today, **_suggestion_now(step)},
            effects=(_issue_final_report,),
            title="Issue the final report",
            button="Issue the final report",
            style="primary",
            explain=True,
        ),
        Transition(
            "finalise-early",
            source={S.WITH_PROVIDER},
            target=S.FINAL,
            who=_manager_only(
                "Only a quality manager issues a final report before the provider's time for "
                "comments ends."
            ),
            guards=(
                _comment_period_running,
                _comments_answered,
                _manager_review_done,
                _rating_explained,
            ),
            checks=(_early_reason_given,),
            changes=lambda step: {
                "completed_on": step.today,
                "finalised_early_reason": step.text("reason"),
                **_suggestion_now(step),
            },
            effects=(_issue_final_report,),
            title="Issue the final report before the provider's deadline",
            label="Issue the final report early",
            button="Issue the final report",
            style="warning",
        ),
        Transition(
            "sent-to-regulator",
            source={S.FINAL},
            guards=(_not_sent_to_regulator_yet,),
            changes=lambda step: {"sent_to_regulator_on": step.params.get("on") or step.today},
            state_reason=lambda review: "Only a final report is sent to the regulator.",
            title="Record that the report went to the regulator",
            label="Record sent to the regulator",
            button="Record it",
        ),
        Transition(
            "cancel",
            source=IN_PROGRESS,
            target=S.CANCELLED,
            checks=(_reason_given,),
            changes=lambda step: {"cancelled_reason": str(step.params["reason"]).strip()},
            title="Cancel the review",
            button="Cancel the review",
            style="warning",
        ),
        # Steps with a form elsewhere on the review's page, or a page of their own.
        Transition(
            "request-information",
            source=IN_PROGRESS,
            label="New information request",
            url=_request_url,
        ),
        Transition(
            "no-further-comments",
            source={S.WITH_PROVIDER},
            permission="comment",
            forbidden="Only the provider's own users comment on its draft report.",
            who=_providers_own_user,
            guards=(_within_comment_period, _no_more_said_yet),
            changes=lambda step: {
                "no_more_comments_on": step.today,
                "no_more_comments_by": step.actor,
            },
            state_reason=lambda review: (
                "Comments are taken only while the draft report is with the provider."
            ),
            title="Tell the council you have no further comments",
            label="We have no further comments",
            button="Confirm: no further comments",
        ),
        Transition(
            "comment",
            source={S.WITH_PROVIDER},
            permission="comment",
            forbidden="Only the provider's own users comment on its draft report.",
            who=_providers_own_user,
            guards=(_within_comment_period, _no_more_said_yet),
            checks=(_comment_written, _section_of_report),
            effects=(_add_comment,),
            state_reason=lambda review: (
                "Comments are taken only while the draft report is with the provider."
            ),
        ),
    ],
)


def _url(name: str, obj) -> str:
    from django.urls import reverse

    return reverse(name, args=[obj.pk])


# --- The officer's answer to a provider's comment -------------------------------------------


def _answer_chosen(step: Step):
    if step.params.get("response") not in CommentResponse.values:
        return "Choose whether the comment is accepted."
    if step.params["response"] == CommentResponse.NOT_ACCEPTED and not step.text("reason"):
        return "Say why the comment is not accepted."
    return None


COMMENT = Workflow(
    ReportComment,
    name="comment",
    field="response",
    policy_model="reviews.review",
    parent="review",
    forbidden=CASEWORK_ONLY,
    transitions=[
        Transition(
            "answer",
            source={""},
            target=lambda step: step.params["response"],
            checks=(_answer_chosen,),
            changes=lambda step: {
                "response_reason": step.text("reason"),
                "responded_by": step.actor,
                "responded_at": timezone.now(),
            },
            state_reason=lambda comment: "This comment has already been answered.",
        ),
    ],
)


# --- Information requests and their items -----------------------------------------------------


def _due_date_chosen(step: Step):
    """The due date the officer gives when sending, else the draft's; None for the usual
    period from the day it is sent."""
    return step.params.get("due_date", step.obj.due_date)


def _due_date_ahead(step: Step):
    """003 §1.3: the provider has its time from the day the request is sent. A date chosen
    when drafting that is no longer ahead is refused, not sent as already overdue."""
    due = _due_date_chosen(step)
    if due is not None and due <= step.today:
        days = policy.deadline(INFORMATION_REQUEST_DAYS)
        return (
            f"The due date, {due:%-d %B %Y}, is not after today: choose a later date, or "
            f"leave it empty for {days} days from sending."
        )
    return None


def _request_dates(step: Step) -> dict:
    """Issued today, due after the policy's days from today unless the officer set a date."""
    return {
        "issued_on": step.today,
        "due_date": _due_date_chosen(step) or policy.due_date(INFORMATION_REQUEST_DAYS, step.today),
    }


def _mark_review(step: Step) -> None:
    """A planned review whose request is sent moves to "information requested"."""
    review = step.obj.review
    if review is None or review.status != S.PLANNED:
        return
    with contextlib.suppress(NotNow):  # the visit was recorded meanwhile: nothing to mark
        REVIEW.apply(review, "mark-information-requested", actor=step.actor, today=step.today)


def _issue_request_letter(step: Step) -> None:
    from reviews.information import issue_request_letter

    issue_request_letter(step.obj, actor=step.actor)


def _email_request(step: Step) -> None:
    from reviews.information import email_provider

    email_provider(step.obj)


REQUEST = Workflow(
    InformationRequest,
    name="information request",
    url_name="reviews:request_step",
    forbidden=CASEWORK_ONLY,
    tags={RequestStatus.CLOSED: "grey", RequestStatus.DRAFT: "yellow"},
    transitions=[
        Transition(
            "send",
            source={RequestStatus.DRAFT},
            target=RequestStatus.SENT,
            checks=(_due_date_ahead,),
            changes=_request_dates,
            effects=(_mark_review, _issue_request_letter),
            on_commit=(_email_request,),
            state_reason=lambda req: (
                f"The request is {req.get_status_display().lower()}: it was sent already."
            ),
            title="Send the request to the provider",
            label="Send to the provider",
            style="primary",
        ),
        Transition(
            "close",
            source={RequestStatus.DRAFT, RequestStatus.SENT},
            target=RequestStatus.CLOSED,
            state_reason=lambda req: "The request is closed already.",
            title="Close the request",
        ),
    ],
)

WAITING_FOR_PROVIDER = frozenset({ItemStatus.OPEN, ItemStatus.NEEDS_MORE})
NOT_WAITING = "This item is not waiting for an answer."
NOT_REVIEWABLE = "Only an answered item of a sent request can be accepted or returned."


def _item_providers_own_user(step: Step):
    actor = step.actor
    if actor.is_provider_user and actor.provider_id == step.parent.service.provider_id:
        return None
    return "Only the provider's own users answer its information requests."


def _answer_given(step: Step):
    if not step.text("response") and not step.params.get("evidence"):
        return "Write an answer or attach evidence."
    return None


def _set_answer_evidence(step: Step) -> None:
    step.obj.evidence.set(step.params.get("evidence") or [])


def _review_chosen(step: Step):
    status = step.params.get("status")
    if status not in (ItemStatus.ACCEPTED, ItemStatus.NEEDS_MORE):
        return "Choose accepted or needs more."
    if status == ItemStatus.NEEDS_MORE and not step.text("comment"):
        return "Say what more is needed."
    return None


def _answer_seen(step: Step):
    """An officer's accept or "needs more" is about the answer they read: refused when the
    provider changed it since (the page and the API send the item's ``version``)."""
    seen = step.params.get("version")
    if seen in (None, ""):
        return None
    if str(seen) != str(step.obj.version):
        return (
            "The provider changed this answer after you opened it: read the new answer, then "
            "accept it or ask for more."
        )
    return None


def _request_sent(reason: str):
    def guard(step: Step):
        return None if step.parent.status == RequestStatus.SENT else reason

    return guard


ITEM = Workflow(
    InformationRequestItem,
    name="information request item",
    policy_model="reviews.informationrequest",
    parent="request",
    forbidden=CASEWORK_ONLY,
    tags={
        ItemStatus.ACCEPTED: "green",
        ItemStatus.NEEDS_MORE: "orange",
        ItemStatus.ANSWERED: "blue",
        ItemStatus.OPEN: "grey",
    },
    transitions=[
        Transition(
            "answer",
            source={*WAITING_FOR_PROVIDER, ItemStatus.ANSWERED},
            target=ItemStatus.ANSWERED,
            permission="answer",
            forbidden="Only the provider's own users answer its information requests.",
            who=_item_providers_own_user,
            guards=(_request_sent(NOT_WAITING),),
            checks=(_answer_given,),
            changes=lambda step: {
                "response": step.text("response"),
                "answered_by": step.actor,
                "answered_at": timezone.now(),
            },
            effects=(_set_answer_evidence,),
            state_reason=lambda item: NOT_WAITING,
        ),
        Transition(
            "review",
            source={ItemStatus.ANSWERED},
            target=lambda step: step.params["status"],
            guards=(_request_sent(NOT_REVIEWABLE),),
            checks=(_review_chosen, _answer_seen),
            changes=lambda step: {"officer_comment": step.text("comment")},
            state_reason=lambda item: NOT_REVIEWABLE,
        ),
    ],
)
