"""Staff pages of public summaries (issue 14 item 5): publishing one from a final review's
page (a form with a preview of the public page), the list of them, each one's page with its
history, and withdrawing one (a confirmation page with the reason).

Officers and managers publish and withdraw; every staff role reads the list; provider users
read the published ones on the public pages. The role first (403), then the scope (404).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from qaf.generic import get_scoped_or_404, history_rows, parse_id
from qaf.scoping import can
from reviews import public
from reviews.models import SUMMARY_MAX_LENGTH, PublishedSummary, Review, SummaryState
from reviews.public_workflows import CASEWORK_ONLY, SUMMARY

PER_PAGE = 50

GUIDANCE = (
    "Write for the public, in plain English. Say what the review found and what the service "
    "does well or must improve. Do not name anyone: no staff, no people who use the service, "
    "no relatives; do not describe anyone so that they could be recognised; leave out "
    "safeguarding matters and anything told in confidence."
)


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label="Plain-language summary",
        help_text=GUIDANCE,
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={
            "required": "Write the plain-language summary the public will read",
            "max_length": f"The summary must be {SUMMARY_MAX_LENGTH:,} characters or fewer",
        },
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is the summary withdrawn?",
        help_text="Staff only: kept with the summary's history. The public page says only "
        "that the summary was withdrawn.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why the summary is withdrawn"},
    )


def _forbid_unless(user, action: str) -> None:
    if not can(user, action, PublishedSummary):
        raise PermissionDenied(
            CASEWORK_ONLY if action == "act" else "Your role does not allow this."
        )


@login_required
def summary_list(request):
    """Every summary published, the withdrawn ones too, newest first."""
    _forbid_unless(request.user, "view")
    rows = (
        PublishedSummary.objects.visible_to(request.user)
        .exclude(state=SummaryState.DRAFT)
        .select_related("published_by", "withdrawn_by")
        .order_by("-published_at", "-pk")
    )
    state = request.GET.get("state", "")
    if state in (SummaryState.PUBLISHED, SummaryState.WITHDRAWN):
        rows = rows.filter(state=state)
    page = Paginator(rows, PER_PAGE).get_page(parse_id(request.GET.get("page")) or 1)
    return render(
        request,
        "reviews/summaries/list.html",
        {"page_obj": page, "state": state, "states": SummaryState.choices[1:]},
    )


@login_required
def summary_detail(request, pk: int):
    _forbid_unless(request.user, "view")
    row = get_object_or_404(
        PublishedSummary.objects.visible_to(request.user)
        .exclude(state=SummaryState.DRAFT)
        .select_related("review__service", "published_by", "withdrawn_by"),
        pk=pk,
    )
    return render(
        request,
        "reviews/summaries/detail.html",
        {
            "row": row,
            "actions": SUMMARY.actions_for(row, request.user),
            "history": history_rows(row),
        },
    )


@login_required
def publish(request, review_pk: int):
    """The form, its preview (the public page as it will be) and publishing."""
    _forbid_unless(request.user, "act")
    review = get_scoped_or_404(Review, request.user, review_pk)
    refusal = public.publish_refusal(review, request.user)
    if isinstance(refusal, public.Forbidden):
        raise PermissionDenied(refusal.reason)
    form = SummaryForm(request.POST or None)
    preview = None
    if request.method == "POST" and refusal is None and form.is_valid():
        text = form.cleaned_data["summary"]
        if "preview" in request.POST:
            preview = PublishedSummary(review=review, summary=text, **public.public_facts(review))
            problem = public.publish_refusal(review, request.user, summary=text)
            if problem is not None:
                form.add_error("summary", problem.reason)
        else:
            try:
                row = public.publish(review, actor=request.user, summary=text)
            except public.WorkflowError as exc:
                if isinstance(exc, public.Forbidden):
                    raise PermissionDenied(exc.reason) from exc
                form.add_error(None, exc.reason)
            else:
                messages.success(request, "The summary is published on the public pages.")
                return redirect(row)
    return render(
        request,
        "reviews/summaries/publish.html",
        {
            "review": review,
            "form": form,
            "preview": preview,
            "refusal": refusal,
            "existing": PublishedSummary.objects.filter(review=review)
            .exclude(state=SummaryState.DRAFT)
            .first(),
        },
    )


@login_required
def step(request, pk: int, step: str):
    """A step of a published summary with a page of its own: withdrawing it."""
    t = SUMMARY.transitions.get(step)
    if t is None or not t.title:
        raise Http404("No such step.")
    _forbid_unless(request.user, t.permission)
    row = get_object_or_404(
        PublishedSummary.objects.restrict(request.user, t.permission)
        .exclude(state=SummaryState.DRAFT)
        .select_related("review__service"),
        pk=pk,
    )
    refusal = SUMMARY.refusal(row, step, request.user)
    if isinstance(refusal, public.Forbidden):
        raise PermissionDenied(refusal.reason)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            public.take_step(row, step, actor=request.user, **form.cleaned_data)
        except public.WorkflowError as exc:
            if isinstance(exc, public.Forbidden):
                raise PermissionDenied(exc.reason) from exc
            form.add_error(None, exc.reason)
        else:
            messages.success(request, "The summary is withdrawn from the public pages.")
            return redirect(row)
    return render(
        request,
        "reviews/summaries/step.html",
        {"row": row, "form": form, "title": t.title, "button": t.button, "refusal": refusal},
    )
