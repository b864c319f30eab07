"""Review pages: the list, planning a review, the review's own page and its workflow steps.

Each step is a GET (a confirmation or a small form) and a POST that calls reviews.services;
a refusal comes back as an error message on the page, never a 500.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from providers.forms import AttachEvidenceForm
from providers.models import Service
from qaf import charts, policy
from qaf.files import UploadRefused
from qaf.forms import add_model_errors
from qaf.generic import ScopedListView, get_scoped_or_404, history_rows
from qaf.models import Document, User
from qaf.scoping import can
from qaf.validators import validate_plausible_date
from reviews import public, services
from reviews.deadlines import PROVIDER_COMMENT_DAYS
from reviews.models import (
    CommentResponse,
    Rag,
    ReportComment,
    Review,
    ReviewKind,
    ReviewStatus,
    Standard,
)
from reviews.queries import suggested_for
from reviews.scoring import suggested_rating
from reviews.tables import ReviewFilter, ReviewTable
from reviews.workflows import COMMENT, REVIEW


class ReviewList(ScopedListView):
    model = Review
    table_class = ReviewTable
    filterset_class = ReviewFilter
    select_related = ("service", "service__provider", "officer")
    page_title = "QA reviews"
    hidden_filters = ("provider",)

    def get_table_kwargs(self):
        return {"request": self.request}


review_list = ReviewList.as_view()


class PlanForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ReviewKind.choices,
        widget=forms.RadioSelect,
        initial=ReviewKind.FULL,
        label="Kind of review",
    )
    focus_standards = forms.ModelMultipleChoiceField(
        queryset=Standard.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Standards a focused review looks at",
        help_text="Only for a focused review",
    )
    officer = forms.ModelChoiceField(
        queryset=User.objects.filter(Review.may_carry_out),
        label="Officer carrying out the review",
    )
    announced = forms.TypedChoiceField(
        choices=[
            ("yes", "Announced: the provider knows the date"),
            ("no", "Unannounced: the date is never shown to the provider beforehand"),
        ],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        initial="yes",
        label="Will the visit be announced?",
    )
    visit_date = forms.DateField(
        required=False, label="Planned visit date", validators=[validate_plausible_date]
    )

    def __init__(self, *args, toolkit=None, **kwargs):
        super().__init__(*args, **kwargs)
        if toolkit is not None:
            self.fields["focus_standards"].queryset = Standard.objects.filter(
                domain__toolkit=toolkit
            ).select_related("domain")
        self.fields["kind"].error_messages["required"] = "Choose the kind of review"
        self.fields["officer"].error_messages["required"] = "Choose the officer"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ReviewKind.FOCUSED and not cleaned.get("focus_standards"):
            self.add_error("focus_standards", "Choose the standards a focused review looks at")
        return cleaned


def _fail(request, exc: services.WorkflowError):
    if isinstance(exc, services.Forbidden):
        raise PermissionDenied(exc.reason)
    messages.error(request, exc.reason)


@login_required
def review_plan(request, service_pk: int):
    if not can(request.user, "add", Review):
        raise PermissionDenied("Your role does not allow this.")
    service = get_scoped_or_404(Service, request.user, service_pk)
    toolkit = services.current_toolkit()
    form = PlanForm(request.POST or None, toolkit=toolkit, initial={"officer": request.user})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.plan_review(
                service,
                actor=request.user,
                kind=data["kind"],
                officer=data["officer"],
                announced=data["announced"],
                visit_date=data["visit_date"],
                toolkit=toolkit,
                focus_standards=data["focus_standards"] or (),
            )
        except services.WorkflowError as exc:
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            add_model_errors(form, exc)
        else:
            messages.success(request, f"{review} planned")
            return redirect(review)
    return render(
        request, "reviews/plan.html", {"form": form, "service": service, "toolkit": toolkit}
    )


def _review_for(request, pk: int) -> Review:
    return get_scoped_or_404(Review, request.user, pk)


@login_required
def review_detail(request, pk: int):
    review = _review_for(request, pk)
    user = request.user
    staff = not user.is_provider_user
    documents = Document.objects.visible_to(user).about(review)
    scores = services.standard_scores(review) if staff and review.toolkit_id else []
    scores_chart = charts.score_bar_chart(
        [(f"{standard.code} {standard.title}", s.mean, s.rag) for standard, s in scores],
        title="Mean score of each standard so far",
        id_prefix="review-scores",
    )
    # The worst standard as the answers are now (SPEC §6), beside what the draft says.
    suggested_now = suggested_rating(s for _, s in scores) if scores else None
    stale_suggestion = bool(
        review.rating
        and review.status in (ReviewStatus.DRAFT, ReviewStatus.WITH_PROVIDER)
        and suggested_now != (review.suggested_rating or None)
    )
    actions = REVIEW.actions_for(review, user)
    comments = list(
        review.comments.select_related("standard", "author", "responded_by").prefetch_related(
            "evidence"
        )
    )
    for comment in comments:
        comment.can_answer = COMMENT.allows(comment, "answer", user, parent=review)
    may_comment = REVIEW.allows(review, "comment", user)
    # Its public summary (issue 14 item 5), for staff: the summary's state, or publishing one.
    final = staff and review.status == ReviewStatus.FINAL
    public_summary = public.summary_of(review) if final else None
    may_publish = final and public_summary is None and public.publish_refusal(review, user) is None
    return render(
        request,
        "reviews/detail.html",
        {
            "review": review,
            "next_steps": [a for a in actions if a.action != "request-information"],
            "request_information": next(
                (a for a in actions if a.action == "request-information"), None
            ),
            "show_rating": bool(review.rating) and review.rating_visible_to(user),
            "suggested_now": suggested_now,
            "stale_suggestion": stale_suggestion,
            "can_act": can(user, "act", Review),
            "is_provider": user.is_provider_user,
            "show_visit_date": review.visit_date_visible_to(user),
            "documents": documents,
            "scores": scores,
            "scores_chart": scores_chart if scores else "",
            "comments": comments,
            "information_requests": review.information_requests.visible_to(user),
            "comment_form": CommentForm(review=review) if may_comment else None,
            # The audit trail: every step with who took it (staff only, like the page's scores).
            "history": history_rows(review) if staff else None,
            "public_summary": public_summary,
            "may_publish": may_publish,
        },
    )


class DraftForm(forms.Form):
    rating = forms.ChoiceField(
        choices=Rag.choices, widget=forms.RadioSelect, label="Rating of the review"
    )
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why the rating differs from the suggested rating",
        help_text="Needed only when you choose a different rating. The report shows it.",
    )
    summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), label="Summary of findings"
    )
    actions_required = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, suggested=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggested = suggested
        self.fields["rating"].error_messages["required"] = "Choose the rating of the review"

    def clean(self):
        cleaned = super().clean()
        rating = cleaned.get("rating")
        if (
            rating
            and self.suggested
            and rating != self.suggested
            and not cleaned.get("override_reason", "").strip()
        ):
            self.add_error(
                "override_reason", "Explain why the rating differs from the suggested rating"
            )
        return cleaned


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why is the review cancelled?",
        error_messages={"required": "Give the reason for cancelling"},
    )


class EarlyFinalForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why issue the final report before the provider's deadline?",
        help_text="The review's history keeps the reason.",
        error_messages={"required": "Give the reason for not waiting"},
    )


class CommentForm(AttachEvidenceForm):
    standard = forms.ModelChoiceField(
        queryset=Standard.objects.none(),
        required=False,
        label="Section of the report",
        empty_label="The whole report",
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Your factual-accuracy comment",
        error_messages={"required": "Write your comment"},
    )
    field_order = ["standard", "text", *AttachEvidenceForm.field_order]

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, provider_id=review.service.provider_id, **kwargs)
        self.fields["evidence"].label = "Evidence for the comment from your library"
        # The report's own sections: a focused review's report has only its focus standards.
        self.fields["standard"].queryset = Standard.objects.filter(
            pk__in=services.questions_of(review).values("standard")
        ).order_by("domain__order", "order")


class AnswerForm(forms.Form):
    comment = forms.IntegerField(widget=forms.HiddenInput)
    response = forms.ChoiceField(
        choices=CommentResponse.choices, widget=forms.RadioSelect, label="Your answer"
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (needed when not accepted)",
    )


# The steps with a page of their own beyond the table's (reviews.workflows), and their forms.
FORMS = {
    "prepare-draft": DraftForm,
    "cancel": CancelForm,
    "comment": CommentForm,
    "finalise-early": EarlyFinalForm,
}
PAGES = {
    "comment": ("Comment on the draft report", "Send the comment"),
    "answer-comment": ("Answer a comment", "Save the answer"),
}


def _page_of(step: str) -> tuple[str, str]:
    """(title, what the button says) of a step's page; 404 for a step without one."""
    if step in PAGES:
        return PAGES[step]
    t = REVIEW.transitions.get(step)
    if t is None or not t.title:
        raise Http404("No such step.")
    return t.title, t.button or t.title


def _hint(step: str) -> str:
    """What the step's page tells the officer before they confirm."""
    if step == "share-draft":
        days = policy.deadline(PROVIDER_COMMENT_DAYS)
        return (
            "The provider sees the draft report (marked DRAFT) in their portal and has "
            f"{days} days to send factual-accuracy comments."
        )
    if step in ("finalise", "finalise-early"):
        return (
            "The final report is issued to the provider and the service is re-rated straight "
            "away. This cannot be undone."
        )
    if step == "no-further-comments":
        return (
            "The officer can then issue the final report without waiting for the end of your "
            "time for comments. You cannot add comments afterwards."
        )
    return ""


def _run_step(step: str, review: Review, user: User, data: dict, form=None):
    if step == "comment":
        return services.add_comment(
            review,
            actor=user,
            text=data["text"],
            standard=data.get("standard"),
            evidence=form.attached(provider=review.service.provider, actor=user),
        )
    if step == "answer-comment":
        return services.answer_comment(
            get_object_or_404(ReportComment, pk=data["comment"], review=review),
            actor=user,
            response=data["response"],
            reason=data.get("reason", ""),
        )
    return services.take_step(review, step, actor=user, **data)


@login_required
def review_step(request, pk: int, step: str):
    title, button = _page_of(step)
    # The role first (403), then the scope (404), as everywhere (qaf/scoping.py); then the
    # rules about this user and this review (a provider user of another organisation: 403).
    permission = "act" if step == "answer-comment" else REVIEW.transition(step).permission
    if not can(request.user, permission, Review):
        raise PermissionDenied("Your role does not allow this.")
    review = _review_for(request, pk)
    if step != "answer-comment":
        refusal = REVIEW.refusal(review, step, request.user)
        if isinstance(refusal, services.Forbidden):
            raise PermissionDenied(refusal.reason)
    form_class = FORMS.get(step, AnswerForm if step == "answer-comment" else None)
    kwargs = {}
    if form_class is DraftForm:
        suggested = suggested_for(review)
        kwargs = {
            "suggested": suggested,
            "initial": {
                "rating": review.rating or suggested,
                "override_reason": review.override_reason,
                "summary": review.summary,
                "actions_required": review.actions_required,
            },
        }
    elif form_class in (CommentForm,):
        kwargs = {"review": review}
    form = form_class(request.POST or None, request.FILES or None, **kwargs) if form_class else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            # One transaction: a refused step leaves nothing behind, not even a new upload.
            with transaction.atomic():
                _run_step(step, review, request.user, form.cleaned_data if form else {}, form)
        except UploadRefused as exc:
            form.add_error("file", exc.reason)
        except services.WorkflowError as exc:
            if form is None:
                _fail(request, exc)
                return redirect(review)
            if isinstance(exc, services.Forbidden):
                raise PermissionDenied(exc.reason) from exc
            form.add_error(None, exc.reason)
        else:
            messages.success(request, f"Done: {title.lower()}")
            return redirect(review)
    return render(
        request,
        "reviews/step.html",
        {
            "review": review,
            "title": title,
            "form": form,
            "button": button,
            "step": step,
            "style": REVIEW.transitions[step].style if step in REVIEW.transitions else "primary",
            "hint": _hint(step),
            "suggested": kwargs.get("suggested"),
        },
    )
