"""Concern level pages: the managers' queue (``/concern-levels/``), the step pages (decide,
propose, approve, do not approve, withdraw, dismiss a suggestion) and what the service, provider
and home pages show. Thin: each step is a form and a call to ``escalation.concern_services``;
a refusal comes back as the reason on the page (403 for the role or the four eyes).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from escalation import concern_services as services
from escalation.agenda_views import agenda_items, check_arranger, put_on_agenda
from escalation.concern import LEVELS, level_text, needs_second_decision
from escalation.concern_workflows import (
    CONCERN,
    POLICY_MODEL,
    SUGGESTION,
    board_decision_for,
    prefetch_board_decisions,
)
from escalation.models import ConcernDecision, ConcernLevel, ConcernSuggestion, Level
from providers.models import Provider, Service
from qaf import policy
from qaf.generic import get_scoped_or_404
from qaf.models import User
from qaf.scoping import can
from risk import jobs
from risk.models import JobRun

HISTORY_ROWS = 20
QUEUE_PAGE = 50


def can_view(user: User) -> bool:
    return can(user, "view", POLICY_MODEL)


def _accept_url(concern: ConcernLevel, suggestion: ConcernSuggestion, user: User) -> str:
    """The decide or propose page, ready to accept the suggestion, when ``user`` may take that
    step now; else ""."""
    action = "propose" if needs_second_decision(concern.level, suggestion.level) else "decide"
    if not CONCERN.allows(concern, action, user):
        return ""
    return (
        reverse("concern:step", args=[concern.service_id, action]) + f"?suggestion={suggestion.pk}"
    )


def _dismiss_url(suggestion: ConcernSuggestion, user: User) -> str:
    if not SUGGESTION.allows(suggestion, "dismiss", user):
        return ""
    return reverse("concern:suggestion_step", args=[suggestion.pk, "dismiss"])


# --- What other pages show ------------------------------------------------------------------


def service_context(service: Service, user: User) -> dict:
    """The service page's concern level section (staff only: provider users get nothing)."""
    if not can_view(user):
        return {}
    concern = services.concern_of(service)
    suggestion = ConcernSuggestion.objects.waiting().filter(service=service).first()
    decisions = list(
        ConcernDecision.objects.filter(service=service)
        .select_related("decided_by", "proposed_by")
        .order_by("-decided_on", "-pk")[:HISTORY_ROWS]
    )
    values = policy.current_values()
    return {
        "concern": concern,
        "concern_text": level_text(concern.level, values),
        "concern_other_texts": [level_text(n, values) for n in LEVELS if n != concern.level],
        "concern_steps": CONCERN.actions_for(concern, user),
        "concern_suggestion": suggestion,
        "concern_accept_url": _accept_url(concern, suggestion, user) if suggestion else "",
        "concern_dismiss_url": _dismiss_url(suggestion, user) if suggestion else "",
        "concern_decisions": decisions,
        "concern_agenda": agenda_items(concern) if concern.proposed_level else [],
        "concern_can_add_to_agenda": bool(concern.proposed_level)
        and can(user, "act", "escalation.boardmeeting"),
    }


def provider_context(provider: Provider, user: User) -> dict:
    """The provider page: its services above level 1 and what the highest level means."""
    if not can_view(user):
        return {}
    raised = list(
        ConcernLevel.objects.filter(service__provider=provider, level__gt=1)
        .select_related("service")
        .order_by("-level", "service__name")
    )
    waiting = ConcernSuggestion.objects.waiting().filter(service__provider=provider).count()
    highest = raised[0].level if raised else 1
    return {
        "concern_show": True,
        "concern_raised": raised,
        "concern_highest": level_text(highest, policy.current_values()),
        "concern_suggestions_count": waiting,
    }


def home_context(user: User) -> dict:
    """The managers' home page: how many decisions wait for them, linking to the queue."""
    if not can(user, "decide", POLICY_MODEL):
        return {}
    return {
        "concern_waiting": {
            "suggestions": ConcernSuggestion.objects.waiting().count(),
            "proposals": ConcernLevel.objects.filter(proposed_level__isnull=False).count(),
        }
    }


# --- The queue -----------------------------------------------------------------------------------


@login_required
def queue(request):
    """Suggestions waiting for a decision, and proposals waiting for the board."""
    user = request.user
    if not can_view(user):
        raise PermissionDenied("Your role does not allow this.")
    proposals = list(
        ConcernLevel.objects.filter(proposed_level__isnull=False)
        .select_related("service__provider", "proposed_by")
        .order_by("proposed_on", "pk")
    )
    prefetch_board_decisions(proposals)
    for concern in proposals:
        concern.steps = [a for a in CONCERN.actions_for(concern, user) if a.allowed]
    suggestions = (
        ConcernSuggestion.objects.waiting()
        .select_related("service__provider", "service__concern__proposed_by")
        .order_by("-level", "created_for", "pk")
    )
    page = Paginator(suggestions, QUEUE_PAGE).get_page(request.GET.get("page"))
    for suggestion in page.object_list:
        concern = services.concern_of(suggestion.service)
        suggestion.current = concern.level
        suggestion.accept_url = _accept_url(concern, suggestion, user)
        suggestion.dismiss_url = _dismiss_url(suggestion, user)
    values = policy.current_values()
    last_run = (
        JobRun.objects.filter(
            name__in=(jobs.NIGHTLY, jobs.CONCERN_LEVELS), status=JobRun.Status.SUCCEEDED
        )
        .order_by("-finished_at")
        .first()
    )
    counts = dict(
        ConcernLevel.objects.filter(level__gt=1)
        .values_list("level")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("level", "n")
    )
    return render(
        request,
        "escalation/concern/queue.html",
        {
            "proposals": proposals,
            "page": page,
            "level_counts": [(level_text(n, values), counts.get(n, 0)) for n in (3, 2)],
            "level_texts": [level_text(n, values) for n in LEVELS],
            "can_decide": can(user, "decide", POLICY_MODEL),
            "last_run": last_run,
        },
    )


# --- Steps -------------------------------------------------------------------------------------


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        label="New concern level",
        error_messages={"required": "Choose the level", "invalid_choice": "Choose the level"},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reason for the decision",
        help_text="The service's history keeps it, with your name and today's date.",
        error_messages={"required": "Give the reason for the decision"},
    )
    suggestion = forms.IntegerField(required=False, widget=forms.HiddenInput)
    from_level = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, concern: ConcernLevel, propose: bool, **kwargs):
        super().__init__(*args, **kwargs)
        targets = [
            n
            for n in LEVELS
            if n != concern.level and needs_second_decision(concern.level, n) == propose
        ]
        self.fields["level"].choices = [
            (n, f"{Level(n).label} ({level_text(n).intervention.lower()})") for n in targets
        ]
        if len(targets) == 1:
            self.fields["level"].initial = targets[0]
        if propose:
            self.fields["reason"].label = "Reason for the proposal"
            self.fields["reason"].help_text = (
                "The board decides the move at a quorate meeting: put it on a meeting's agenda "
                "next. The service's history keeps the reason with your name."
            )


class CommentForm(forms.Form):
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Your comment",
        help_text="The proposer's reason is kept with the decision; add anything you want kept "
        "beside it.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why?",
        error_messages={"required": "Give the reason"},
    )

    def __init__(self, *args, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


class BoardCommentForm(forms.Form):
    """Recording the board's decision not to approve: its reason is the board's."""

    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Your comment",
        help_text="The board's reason is kept with the decision; add anything you want kept "
        "beside it.",
    )


def _title_of(workflow, step: str) -> tuple[str, str]:
    t = workflow.transitions.get(step)
    if t is None or not t.title:
        raise Http404("No such step.")
    return t.title, t.button or t.title


def _form_for(step: str, concern: ConcernLevel, data, initial: dict):
    if step in ("decide", "propose"):
        return LevelForm(data, concern=concern, propose=step == "propose", initial=initial)
    if step == "approve":
        return CommentForm(data)
    if step == "reject":
        return BoardCommentForm(data)
    return None


def _initial(request, concern: ConcernLevel) -> dict:
    """Accepting a suggestion: its id and level, when it is the service's waiting one."""
    initial = {"from_level": concern.level}
    raw = request.GET.get("suggestion", "")
    if raw.isdigit() and len(raw) < 19:
        suggestion = (
            ConcernSuggestion.objects.waiting()
            .filter(pk=int(raw), service_id=concern.service_id)
            .first()
        )
        if suggestion is not None:
            initial |= {"suggestion": suggestion.pk, "level": suggestion.level}
    return initial


def _posted(request):
    """The form's data on a POST, even an empty one (approving has no required field)."""
    return request.POST if request.method == "POST" else None


def _fail(request, exc: services.WorkflowError):
    if isinstance(exc, services.Forbidden):
        raise PermissionDenied(exc.reason)
    messages.error(request, exc.reason)


@login_required
def step(request, pk: int, step: str):
    title, button = _title_of(CONCERN, step)
    # The role first (403), then the scope (404), then this manager and this service (the
    # proposer approving their own proposal: 403).
    if not can(request.user, CONCERN.transition(step).permission, POLICY_MODEL):
        raise PermissionDenied("Only quality managers decide concern levels.")
    service = get_scoped_or_404(Service, request.user, pk)
    concern = services.concern_of(service)
    refusal = CONCERN.refusal(concern, step, request.user)
    if isinstance(refusal, services.Forbidden):
        raise PermissionDenied(refusal.reason)
    values = policy.current_values()
    form = _form_for(step, concern, _posted(request), _initial(request, concern))
    if request.method == "POST" and (form is None or form.is_valid()):
        data = form.cleaned_data if form is not None else {}
        try:
            done = services.take_step(service, step, actor=request.user, **data)
        except services.WorkflowError as exc:
            if form is None:
                _fail(request, exc)
                return redirect(_service_url(service))
            if isinstance(exc, services.Forbidden):
                raise PermissionDenied(exc.reason) from exc
            form.add_error(None, exc.reason)
        else:
            messages.success(request, _done(step, done.obj))
            return redirect(_service_url(service))
    return render(
        request,
        "escalation/concern/step.html",
        {
            "service": service,
            "concern": concern,
            "concern_text": level_text(concern.level, values),
            "title": title,
            "button": button,
            "style": CONCERN.transition(step).style,
            "form": form,
            "suggestion": _named_suggestion(form, service),
            "proposal": concern if step in ("approve", "reject", "withdraw") else None,
            "proposed_text": (
                level_text(concern.proposed_level, values) if concern.proposed_level else None
            ),
            "board_decision": (
                board_decision_for(concern, step) if step in ("approve", "reject") else None
            ),
            "refusal": refusal.reason if refusal else "",
        },
    )


@login_required
def agenda(request, pk: int):
    """Put the proposed move on a planned board meeting's agenda: the board decides it."""
    check_arranger(request.user)
    service = get_scoped_or_404(Service, request.user, pk)
    concern = services.concern_of(service)
    refusal = "" if concern.proposed_level is not None else "No move is proposed."
    if concern._state.adding:
        refusal = "No move is proposed."
    return put_on_agenda(
        request,
        concern,
        back_url=_service_url(service),
        caption=f"Concern level: {service.name}",
        refusal=refusal,
    )


def _done(step: str, concern: ConcernLevel) -> str:
    if step == "propose":
        return (
            f"Level {concern.proposed_level} is proposed: put it on a board meeting's agenda for "
            "the board's decision."
        )
    if step == "reject":
        return f"The board did not approve it: the service stays at level {concern.level}."
    if step == "withdraw":
        return "The proposal is withdrawn."
    return f"The service is now at level {concern.level}."


def _named_suggestion(form, service: Service) -> ConcernSuggestion | None:
    """The suggestion the decision accepts, as the form carries it (initial or posted)."""
    if not isinstance(form, LevelForm):
        return None
    raw = str(form["suggestion"].value() or "")
    if not (raw.isdigit() and len(raw) < 19):
        return None
    return ConcernSuggestion.objects.filter(pk=int(raw), service=service).first()


def _service_url(service: Service) -> str:
    return service.get_absolute_url() + "#concern-level"


@login_required
def suggestion_step(request, pk: int, step: str):
    title, button = _title_of(SUGGESTION, step)
    if not can(request.user, SUGGESTION.transition(step).permission, POLICY_MODEL):
        raise PermissionDenied("Only quality managers decide concern levels.")
    suggestion = get_object_or_404(
        ConcernSuggestion.objects.visible_to(request.user).select_related("service__provider"),
        pk=pk,
    )
    form = ReasonForm(_posted(request), label="Why is the suggestion dismissed?")
    from_queue = "queue" in (request.GET.get("next"), request.POST.get("next"))
    if request.method == "POST" and form.is_valid():
        try:
            services.dismiss(suggestion, actor=request.user, reason=form.cleaned_data["reason"])
        except services.WorkflowError as exc:
            if isinstance(exc, services.Forbidden):
                raise PermissionDenied(exc.reason) from exc
            form.add_error(None, exc.reason)
        else:
            messages.success(request, "The suggestion is dismissed.")
            if from_queue:
                return redirect("concern:queue")
            return redirect(_service_url(suggestion.service))
    return render(
        request,
        "escalation/concern/dismiss.html",
        {
            "suggestion": suggestion,
            "service": suggestion.service,
            "title": title,
            "button": button,
            "form": form,
            "from_queue": from_queue,
            "suggested_text": level_text(suggestion.level, policy.current_values()),
        },
    )
