"""Information request pages: officers write, send and review them; provider users answer each
item in the portal. Every state change goes through reviews.information."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from providers.forms import AttachEvidenceForm
from providers.models import Service
from qaf import policy
from qaf.files import UploadRefused
from qaf.forms import add_model_errors
from qaf.generic import get_scoped_or_404
from qaf.models import Document
from qaf.scoping import can
from qaf.validators import validate_plausible_date
from qaf.workflow import Forbidden, WorkflowError
from reviews import information as info
from reviews.deadlines import INFORMATION_REQUEST_DAYS
from reviews.models import InformationRequest, InformationRequestItem, Review
from reviews.views import _fail
from reviews.workflows import ITEM, REQUEST

PAGE_SIZE = 50


class RequestForm(forms.Form):
    title = forms.CharField(max_length=200, initial="Information request")
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Covering note to the provider",
    )
    items = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Documents and questions",
        help_text="One per line",
        error_messages={"required": "List at least one document or question"},
    )
    due_date = forms.DateField(
        required=False,
        validators=[validate_plausible_date],
        label="Due date",
        help_text=(
            "Leave empty for the usual period from the day it is sent. For example, 27/3/2026"
        ),
    )

    def clean_items(self):
        lines = [line.strip() for line in self.cleaned_data["items"].splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            raise forms.ValidationError("List at least one document or question")
        return lines


class SendForm(forms.Form):
    due_date = forms.DateField(
        required=False,
        validators=[validate_plausible_date],
        label="Due date",
        help_text="Leave empty for the usual period from today. For example, 27/3/2026",
    )


class AnswerForm(AttachEvidenceForm):
    response = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    field_order = ["response", *AttachEvidenceForm.field_order]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("response", "").strip() and not self.has_files() and not self.errors:
            raise forms.ValidationError("Write an answer, choose a file or upload one")
        return cleaned


@login_required
def request_list(request):
    user = request.user
    if not can(user, "view", InformationRequest):
        raise PermissionDenied("Your role does not allow this.")
    rows = info.with_overdue(
        InformationRequest.objects.visible_to(user).select_related("service", "service__provider")
    )
    service_id = request.GET.get("service", "")
    if service_id.isdigit():
        rows = rows.filter(service_id=service_id)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/information/list.html",
        {"page_obj": page, "is_provider": user.is_provider_user},
    )


@login_required
def request_create(request, service_pk: int):
    if not can(request.user, "add", InformationRequest):
        raise PermissionDenied("Your role does not allow this.")
    service = get_scoped_or_404(Service, request.user, service_pk)
    review = None
    review_id = request.GET.get("review", "")
    if review_id.isdigit():
        review = get_object_or_404(
            Review.objects.visible_to(request.user), pk=review_id, service=service
        )
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req = info.create_request(
                service,
                actor=request.user,
                items=data["items"],
                title=data["title"],
                message=data["message"],
                review=review,
                due_date=data["due_date"],
            )
        except WorkflowError as exc:
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            add_model_errors(form, exc)
        else:
            messages.success(request, "Draft saved. Check it, then send it to the provider.")
            return redirect(req)
    return render(
        request,
        "reviews/information/create.html",
        {"form": form, "service": service, "review": review},
    )


def _request_for(request, pk: int) -> InformationRequest:
    return get_scoped_or_404(InformationRequest, request.user, pk)


@login_required
def request_detail(request, pk: int):
    req = _request_for(request, pk)
    user = request.user
    items = list(req.items.prefetch_related("evidence").select_related("answered_by"))
    for item in items:
        item.can_answer = ITEM.allows(item, "answer", user, parent=req)
        item.can_review = ITEM.allows(item, "review", user, parent=req)
    return render(
        request,
        "reviews/information/detail.html",
        {
            "req": req,
            "items": items,
            "overdue": info.is_overdue(req),
            "actions": REQUEST.actions_for(req, user),
            "documents": Document.objects.visible_to(user).about(req),
        },
    )


STEPS = {
    "send": (info.send_request, "Request sent"),
    "close": (info.close_request, "Request closed"),
}


@login_required
def request_step(request, pk: int, step: str):
    """``send`` and ``close``: a confirmation page (GET) and the change (POST)."""
    if step not in STEPS:
        raise Http404("No such step")
    if not can(request.user, "act", InformationRequest):
        raise PermissionDenied("Your role does not allow this.")
    req = _request_for(request, pk)
    action, done = STEPS[step]
    title = REQUEST.transition(step).title
    form = None
    if step == "send":
        data = request.POST if request.method == "POST" else None
        form = SendForm(data, initial={"due_date": req.due_date})
    if request.method == "POST" and (form is None or form.is_valid()):
        extra = {"due_date": form.cleaned_data["due_date"]} if form else {}
        try:
            action(req, actor=request.user, **extra)
        except WorkflowError as exc:
            if form is None or isinstance(exc, Forbidden):
                _fail(request, exc)
                return redirect(req)
            form.add_error("due_date", exc.reason)
        else:
            messages.success(request, done)
            return redirect(req)
    return render(
        request,
        "reviews/information/confirm.html",
        {
            "req": req,
            "title": title,
            "step": step,
            "form": form,
            "usual_days": policy.deadline(INFORMATION_REQUEST_DAYS),
        },
    )


def _item_for(request, pk: int, item_pk: int) -> InformationRequestItem:
    req = _request_for(request, pk)
    return get_object_or_404(req.items.select_related("request__service"), pk=item_pk)


@login_required
def item_answer(request, pk: int, item_pk: int):
    user = request.user
    if not can(user, "answer", InformationRequest):
        raise PermissionDenied("Only the provider's own users answer information requests.")
    item = _item_for(request, pk, item_pk)
    initial = {"response": item.response, "evidence": list(item.evidence.all())}
    form = AnswerForm(
        request.POST or None,
        request.FILES or None,
        provider_id=user.provider_id,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            # One transaction: a refused answer leaves no new file in the library either.
            with transaction.atomic():
                files = form.attached(provider=user.provider, actor=user)
                info.answer_item(
                    item, actor=user, response=form.cleaned_data["response"], evidence=files
                )
        except UploadRefused as exc:
            form.add_error("file", exc.reason)
        except WorkflowError as exc:
            if isinstance(exc, Forbidden):
                raise PermissionDenied(exc.reason) from exc
            form.add_error(None, exc.reason)
        else:
            messages.success(request, "Answer saved")
            return redirect(item.request)
    return render(
        request,
        "reviews/information/answer.html",
        {"form": form, "item": item, "req": item.request},
    )


@require_POST
@login_required
def item_review(request, pk: int, item_pk: int):
    if not can(request.user, "act", InformationRequest):
        raise PermissionDenied("Your role does not allow this.")
    item = _item_for(request, pk, item_pk)
    try:
        info.review_item(
            item,
            actor=request.user,
            status=request.POST.get("status", ""),
            comment=request.POST.get("comment", ""),
            version=request.POST.get("version"),
        )
    except WorkflowError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"Item {item.order}: {item.get_status_display().lower()}")
    return redirect(item.request)
