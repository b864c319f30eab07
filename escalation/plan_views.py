"""Improvement plan pages (SPEC §6; source 000 §7): the list, asking for a plan (or recording
that none is needed), the plan's page, writing it (the person responsible, issues, actions),
submitting, returning with comments, accepting, updates on actions, verifying and reopening.

Thin: a form and a call to ``escalation.plan_services``. The role first (403), then the plan in
the user's scope (404): a provider user never reaches another organisation's plan by any id.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format

from escalation import plan_documents
from escalation import plan_services as services
from escalation.models import (
    WITH_PROVIDER,
    ImprovementPlan,
    PlanAction,
    PlanIssue,
    PlanSuggestion,
    PlanSuggestionStatus,
)
from escalation.plan_forms import (
    STEP_FORMS,
    ActionForm,
    IssueForm,
    NotNeededForm,
    OpenPlanForm,
    PlanDetailsForm,
    ReturnForm,
    UpdateForm,
)
from escalation.plan_tables import (
    PlanFilter,
    PlanTable,
    SuggestionFilter,
    SuggestionTable,
)
from escalation.plan_workflows import ACTION, CASEWORK_ONLY, PLAN, PLAN_WRITERS, POLICY
from providers.models import Service
from qaf.concurrency import BadVersion, StaleEdit
from qaf.files import UploadRefused
from qaf.generic import ScopedListView, get_scoped_or_404
from qaf.scoping import can

ROLE_REFUSED = "Your role does not allow this."
REASONS = {
    "add": CASEWORK_ONLY,
    "act": CASEWORK_ONLY,
    "draft": PLAN_WRITERS,
    "update": PLAN_WRITERS,
}


def _require(user, action: str) -> None:
    if not can(user, action, POLICY):
        raise PermissionDenied(REASONS.get(action, ROLE_REFUSED))


def _plan_for(request, pk: int, action: str = "view") -> ImprovementPlan:
    """The role first (403), then the plan in the user's scope (404)."""
    _require(request.user, action)
    plans = ImprovementPlan.objects.visible_to(request.user).select_related(
        "service__provider", "service__lead_officer", "requested_by", "accepted_by"
    )
    return get_object_or_404(plans, pk=pk)


def _action_for(request, pk: int, action: str = "view") -> PlanAction:
    _require(request.user, action)
    actions = PlanAction.objects.visible_to(request.user).select_related(
        "plan__service__provider", "issue"
    )
    return get_object_or_404(actions, pk=pk)


def _refused(error) -> None:
    if isinstance(error, services.Forbidden):
        raise PermissionDenied(error.reason)


def _attempt(form, call) -> int:
    """Make the service ``call`` for a valid ``form``: 0 when it was done, else the status to
    answer with, its reason on the form and nothing saved (a refusal of the role is a 403)."""
    try:
        call()
    except services.WorkflowError as exc:
        _refused(exc)
        form.add_error(None, exc.reason)
        return 409
    except (StaleEdit, BadVersion) as exc:
        form.add_error(None, str(exc))
        return 409
    except ValidationError as exc:
        form.add_error(None, "; ".join(exc.messages))
        return 400
    except UploadRefused as exc:
        form.add_error("file", exc.reason)
        return 400
    return 0


class PlanList(ScopedListView):
    model = ImprovementPlan
    table_class = PlanTable
    filterset_class = PlanFilter
    select_related = ("service", "service__provider", "requested_by")
    page_title = "Improvement plans"

    def scoped_queryset(self):
        return super().scoped_queryset().with_overdue(timezone.localdate())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = False  # asked for from a service's page or a suggestion
        return context


plan_list = PlanList.as_view()


class SuggestionList(ScopedListView):
    """The triggers waiting for an officer's decision, across the council (000 §7)."""

    model = PlanSuggestion
    policy_model = POLICY
    permission_action = "add"
    table_class = SuggestionTable
    filterset_class = SuggestionFilter
    select_related = ("service", "service__provider", "review")
    page_title = "Improvement plans suggested"

    def scoped_queryset(self):
        return super().scoped_queryset().filter(status=PlanSuggestionStatus.OPEN)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = False
        return context


suggestion_list = SuggestionList.as_view()


@login_required
def plan_open(request, service_pk: int):
    """Ask for a plan (14 days to submit it), or add the triggers to the service's open plan."""
    _require(request.user, "add")
    service = get_scoped_or_404(Service, request.user, service_pk)
    current = ImprovementPlan.objects.filter(service=service).open().first()
    waiting = PlanSuggestion.objects.filter(service=service, status=PlanSuggestionStatus.OPEN)
    initial = {}
    if request.GET.get("suggestion", "").isdigit():
        initial["suggestions"] = waiting.filter(pk=int(request.GET["suggestion"]))
    form = OpenPlanForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        suggestions=waiting,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if current is not None:
            status = _attempt(
                form,
                lambda: services.add_issue(
                    current, actor=request.user, suggestions=data["suggestions"], text=data["text"]
                ),
            )
            done = "Added to the open improvement plan."
        else:
            status = _attempt(
                form,
                lambda: services.open_plan(
                    service, actor=request.user, suggestions=data["suggestions"], text=data["text"]
                ),
            )
        if not status:
            plan = ImprovementPlan.objects.filter(service=service).open().get()
            if current is None:
                done = (
                    "Improvement plan asked for: the provider submits it by "
                    f"{date_format(plan.submit_due, 'j F Y')}."
                )
            messages.success(request, done)
            return redirect(plan)
    return render(
        request,
        "escalation/plan/open.html",
        {"service": service, "form": form, "current": current},
        status=status,
    )


@login_required
def suggestion_not_needed(request, pk: int):
    _require(request.user, "add")
    suggestion = get_object_or_404(
        PlanSuggestion.objects.visible_to(request.user).select_related("service__provider"),
        pk=pk,
    )
    form = NotNeededForm(request.POST if request.method == "POST" else None)
    status = 200
    refusal = services.SUGGESTION.refusal(suggestion, "not-needed", request.user)
    _refused(refusal)
    if request.method == "POST" and form.is_valid():
        status = _attempt(
            form,
            lambda: services.not_needed(
                suggestion, actor=request.user, reason=form.cleaned_data["reason"]
            ),
        )
        if not status:
            messages.success(request, "Recorded: no improvement plan is needed.")
            return redirect(suggestion.service)
    return render(
        request,
        "escalation/plan/not_needed.html",
        {"suggestion": suggestion, "form": form, "refusal": refusal.reason if refusal else ""},
        status=status,
    )


@login_required
def plan_detail(request, pk: int):
    plan = _plan_for(request, pk)
    user = request.user
    today = timezone.localdate()
    issues = list(plan.issues.select_related("standard", "review").order_by("pk"))
    actions = list(
        plan.actions.prefetch_related("updates__evidence", "updates__author").order_by(
            "due_on", "pk"
        )
    )
    writable = plan.status in WITH_PROVIDER and can(user, "draft", POLICY)
    for action in actions:
        action.is_overdue = action.is_overdue(today)
        action.steps = ACTION.actions_for(action, user, today=today)
        action.can_edit = writable and not action.agreed
    for issue in issues:
        issue.plan_actions = [a for a in actions if a.issue_id == issue.pk]
    return render(
        request,
        "escalation/plan/detail.html",
        {
            "plan": plan,
            "service": plan.service,
            "issues": issues,
            "is_provider": user.is_provider_user,
            "writable": writable,
            "can_add_issue": PLAN.refusal(plan, "add-issue", user) is None,
            "submission_overdue": plan.submission_overdue_on(today),
            "overdue_count": sum(1 for a in actions if a.is_overdue),
            "next_steps": PLAN.actions_for(plan, user, today=today),
            "documents": plan_documents.documents_of(plan, user),
            "history": services.history(plan),
        },
    )


@login_required
def plan_edit(request, pk: int):
    plan = _plan_for(request, pk, "draft")
    initial = {
        "version": plan.version,
        "responsible_person": plan.responsible_person,
        "consultation": plan.consultation,
    }
    form = PlanDetailsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        status = _attempt(
            form,
            lambda: services.edit_plan(
                plan,
                actor=request.user,
                version=data["version"],
                responsible_person=data["responsible_person"],
                consultation=data["consultation"],
            ),
        )
        if not status:
            messages.success(request, "Plan details saved.")
            return redirect(plan)
    return _form_page(request, plan, form, "Plan details", "Save", status)


def _form_page(request, plan, form, title, button, status=200, *, intro="", style="primary"):
    return render(
        request,
        "escalation/plan/form.html",
        {
            "plan": plan,
            "service": plan.service,
            "form": form,
            "title": title,
            "button": button,
            "intro": intro,
            "style": style,
        },
        status=status,
    )


@login_required
def plan_issue_add(request, pk: int):
    plan = _plan_for(request, pk, "draft")
    _refused(PLAN.refusal(plan, "add-issue", request.user))
    form = IssueForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        status = _attempt(
            form, lambda: services.add_issue(plan, actor=request.user, **form.cleaned_data)
        )
        if not status:
            messages.success(request, "Issue added: add its actions.")
            return redirect(plan)
    intro = ""
    if not plan.with_provider:
        intro = (
            "The plan goes back to the provider to add the actions for the new issue, and is "
            "submitted again."
        )
    return _form_page(request, plan, form, "Add an issue", "Add the issue", status, intro=intro)


@login_required
def plan_action_add(request, pk: int, issue_pk: int):
    plan = _plan_for(request, pk, "draft")
    issue = get_object_or_404(PlanIssue.objects.filter(plan=plan), pk=issue_pk)
    form = ActionForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        status = _attempt(form, lambda: services.add_action(issue, actor=request.user, **data))
        if not status:
            messages.success(request, "Action added.")
            return redirect(plan)
    return _form_page(
        request, plan, form, "Add an action", "Add the action", status, intro=issue.text
    )


@login_required
def plan_action_edit(request, pk: int, action_pk: int):
    plan = _plan_for(request, pk, "draft")
    action = get_object_or_404(PlanAction.objects.filter(plan=plan), pk=action_pk)
    initial = {
        "version": action.version,
        "what": action.what,
        "success_measure": action.success_measure,
        "responsible": action.responsible,
        "due_on": action.due_on,
    }
    form = ActionForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        status = _attempt(
            form, lambda: services.edit_action(action, actor=request.user, version=version, **data)
        )
        if not status:
            messages.success(request, "Action saved.")
            return redirect(plan)
    # A returned plan's comment on this action is what the provider answers by changing it.
    intro = f"The council's comment: {action.return_comment}" if action.return_comment else ""
    return _form_page(
        request, plan, form, "Change the action", "Save the action", status, intro=intro
    )


@login_required
def plan_action_delete(request, pk: int, action_pk: int):
    """Removing an action asks first (GOV.UK: a confirmation before a destructive step)."""
    plan = _plan_for(request, pk, "draft")
    action = get_object_or_404(PlanAction.objects.filter(plan=plan), pk=action_pk)
    error, status = "", 200
    if request.method == "POST":
        try:
            services.delete_action(action, actor=request.user)
        except services.WorkflowError as exc:
            _refused(exc)
            error, status = exc.reason, 409
        else:
            messages.success(request, "Action removed.")
            return redirect(plan)
    return render(
        request,
        "escalation/plan/delete_action.html",
        {"plan": plan, "service": plan.service, "action": action, "error": error},
        status=status,
    )


@login_required
def plan_return(request, pk: int):
    plan = _plan_for(request, pk, "act")
    refusal = PLAN.refusal(plan, "return", request.user)
    _refused(refusal)
    actions = list(plan.actions.order_by("issue_id", "due_on", "pk"))
    form = ReturnForm(request.POST if request.method == "POST" else None, actions=actions)
    status = 200
    if request.method == "POST" and form.is_valid():
        status = _attempt(
            form,
            lambda: services.return_plan(
                plan,
                actor=request.user,
                comment=form.cleaned_data["comment"],
                comments=form.comments(),
            ),
        )
        if not status:
            messages.success(request, "Plan returned to the provider with your comments.")
            return redirect(plan)
    intro = (
        refusal.reason
        if refusal
        else ("The provider has 14 days to change the plan and submit it again.")
    )
    return _form_page(
        request,
        plan,
        form,
        "Return the plan with comments",
        "Return the plan",
        status,
        intro=intro,
        style="warning",
    )


def _titled(workflow, step: str):
    """The step's row, when it has a page of its own (else 404)."""
    t = workflow.transitions.get(step)
    if t is None or not t.title:
        raise Http404("No such step.")
    return t


def _step_page(request, obj, plan, workflow, step: str, *, on_done):
    t = _titled(workflow, step)
    refusal = workflow.refusal(obj, step, request.user)
    _refused(refusal)
    form_class = STEP_FORMS.get(step)
    form = form_class(request.POST if request.method == "POST" else None) if form_class else None
    status = 200
    if request.method == "POST" and (form is None or form.is_valid()):
        params = dict(form.cleaned_data) if form is not None else {}
        try:
            workflow.apply(obj, step, actor=request.user, **params)
        except services.WorkflowError as exc:  # the reason is shown with or without a form
            _refused(exc)
            status, refusal = 409, exc
            if form is not None:
                form.add_error(None, exc.reason)
        else:
            messages.success(request, on_done(t))
            return redirect(plan)
    return render(
        request,
        "escalation/plan/step.html",
        {
            "plan": plan,
            "service": plan.service,
            "obj": obj,
            "title": t.title,
            "button": t.button or t.title,
            "style": t.style,
            "form": form,
            "refusal": refusal.reason if refusal else "",
        },
        status=status,
    )


@login_required
def plan_step(request, pk: int, step: str):
    plan = _plan_for(request, pk, _titled(PLAN, step).permission)
    return _step_page(
        request, plan, plan, PLAN, step, on_done=lambda t: f"Done: {t.title.lower()}."
    )


@login_required
def plan_action_step(request, pk: int, step: str):
    action = _action_for(request, pk, _titled(ACTION, step).permission)

    def done(t):
        action.plan.refresh_from_db()
        closed = " Every action is verified: the plan is closed." if not action.plan.is_open else ""
        return f"Done: {t.title.lower()}.{closed}"

    return _step_page(request, action, action.plan, ACTION, step, on_done=done)


@login_required
def plan_action_update(request, pk: int):
    action = _action_for(request, pk, "update")
    plan = action.plan
    refusal = ACTION.refusal(action, "update", request.user)
    _refused(refusal)
    provider = plan.service.provider
    form = UpdateForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        provider_id=provider.pk,
        initial={"status": action.status if action.status != "not_started" else "in_progress"},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def post():
            with transaction.atomic():  # a refused update leaves no new upload behind
                files = form.attached(provider=provider, actor=request.user)
                services.post_update(
                    action,
                    actor=request.user,
                    text=data["text"],
                    status=data["status"],
                    evidence=files,
                )

        status = _attempt(form, post)
        if not status:
            messages.success(request, "Update posted.")
            return redirect(plan)
    return render(
        request,
        "escalation/plan/update.html",
        {
            "plan": plan,
            "service": plan.service,
            "action": action,
            "form": form,
            "refusal": refusal.reason if refusal else "",
        },
        status=status,
    )


# --- What the service page and the home pages show ----------------------------------------------


def service_context(service: Service, user) -> dict:
    """The service page's improvement plan panel: the open plan, the triggers waiting for an
    officer (staff only), and the earlier plans."""
    if not can(user, "view", POLICY):
        return {}
    today = timezone.localdate()
    plans = list(
        ImprovementPlan.objects.visible_to(user)
        .filter(service=service)
        .with_overdue(today)
        .order_by("-requested_on", "-pk")[:10]
    )
    current = next((p for p in plans if p.is_open), None)
    return {
        "show_plans": True,
        "current_plan": current,
        "past_plans": [p for p in plans if not p.is_open],
        "plan_suggestions": list(services.open_suggestions(user, service))
        if not user.is_provider_user
        else [],
        "can_ask_for_plan": can(user, "add", POLICY),
    }


def home_context(user) -> dict:
    """The officer's home page: plans suggested, plans waiting for them (submitted, or with an
    action done to verify) and plans with something overdue; the provider's: its open plans."""
    if not can(user, "view", POLICY):
        return {}
    today = timezone.localdate()
    plans = ImprovementPlan.objects.visible_to(user).open().with_overdue(today)
    plans = plans.select_related("service").order_by("submit_due", "pk")
    if user.is_provider_user:
        return {"my_plans": list(plans[:20])}
    if not can(user, "act", POLICY):
        return {}
    from django.db.models import Exists, OuterRef, Q

    done = PlanAction.objects.filter(plan=OuterRef("pk"), status="done")
    waiting = (
        plans.annotate(to_verify=Exists(done))
        .filter(
            Q(status="submitted")
            | Q(to_verify=True)
            | Q(submission_overdue=True)
            | Q(overdue_actions=True)
        )
        .filter(Q(service__lead_officer=user) | Q(requested_by=user))
    )
    suggestions = services.open_suggestions(user)
    mine = suggestions.filter(service__lead_officer=user)
    return {
        "plan_suggestions": list(mine[:10]),
        "plan_suggestions_count": suggestions.count(),
        "plans_waiting": list(waiting[:20]),
    }
