"""Quality Improvement Meeting pages (SPEC §6 "Escalation", formal stage; source 003 Tables
1-3): arranging one for a case, the meeting's page (details, invitation, agenda, notes and
actions, the position, documents), its steps, the notes form and marking an action done.

Thin: a form and a call to ``escalation.qim_services``. Staff read every meeting; officers and
managers act; provider users read the meetings of their own services they were invited to, with
their documents and the provider's actions, and nothing of another provider's (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from escalation import qim_documents
from escalation import qim_services as services
from escalation.models import (
    AGENDA,
    EscalationCase,
    QimAction,
    QualityImprovementMeeting,
    Suspension,
)
from escalation.qim_forms import FORMS, ArrangeForm, NotesForm
from escalation.qim_workflows import ACTION, QIM
from qaf.forms import add_model_errors
from qaf.generic import history_rows
from qaf.models import User
from qaf.scoping import can

POLICY = services.QIM_POLICY
ROLE_REFUSED = "Your role does not allow this."


def _require(user, action: str) -> None:
    if not can(user, action, POLICY):
        raise PermissionDenied(services.CASEWORK_ONLY if action != "view" else ROLE_REFUSED)


def _qim_for(request, pk: int, action: str = "view") -> QualityImprovementMeeting:
    """The role first (403), then the meeting in the user's scope (404)."""
    _require(request.user, action)
    qims = QualityImprovementMeeting.objects.visible_to(request.user).select_related(
        "case__service__provider", "chair", "suspension"
    )
    return get_object_or_404(qims, pk=pk)


def case_url(case: EscalationCase) -> str:
    """The case's page, once the case pages are routed (another branch builds them)."""
    try:
        return case.get_absolute_url()
    except NoReverseMatch:
        return case.service.get_absolute_url()


def suspension_url(qim: QualityImprovementMeeting) -> str:
    """The suspension proposal page, prefilled from the position decided at this meeting."""
    url = reverse("escalation:suspension_propose", args=[qim.case.service_id])
    return f"{url}?qim={qim.pk}"


@login_required
def qim_arrange(request, case_pk: int):
    _require(request.user, "add")
    cases = EscalationCase.objects.visible_to(request.user).select_related("service__provider")
    case = get_object_or_404(cases, pk=case_pk)
    initial = {"chair": request.user.pk} if not request.user.is_provider_user else {}
    form = ArrangeForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            qim = services.arrange(
                case,
                actor=request.user,
                starts_at=data["starts_at"],
                chair=data["chair"],
                venue=data["venue"],
                other_attendees=data["other_attendees"],
                required_attendees=data["required_attendees"],
                follow_up=data["follow_up"],
            )
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except services.WorkflowError as exc:
            status = 409
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            if "starts_at" in getattr(exc, "error_dict", {}):
                exc = ValidationError({"day": exc.error_dict.pop("starts_at")})
            add_model_errors(form, exc)
        else:
            messages.success(request, f"{qim} arranged. Issue the invitation next.")
            return redirect(qim)
    return render(
        request,
        "escalation/qim/arrange.html",
        {
            "case": case,
            "case_url": case_url(case),
            "form": form,
            "default_venue": services.default_venue(case),
        },
        status=status,
    )


def _actions_for_user(qim: QualityImprovementMeeting, user):
    actions = QimAction.objects.visible_to(user).filter(qim=qim).select_related("owner", "done_by")
    return list(actions)


@login_required
def qim_detail(request, pk: int):
    qim = _qim_for(request, pk)
    user = request.user
    staff = not user.is_provider_user
    today = timezone.localdate()
    actions = _actions_for_user(qim, user)
    can_act = can(user, "act", POLICY)
    for action in actions:
        action.is_overdue = action.overdue_on(today)
        action.can_complete = can_act and ACTION.allows(action, "complete", user, parent=qim)
    points = {n.item: n.key_points for n in qim.agenda_notes.all()}
    agenda = [
        {
            "entry": e,
            "points": points.get(e.number, ""),
            "actions": [a for a in actions if a.item == e.number],
        }
        for e in AGENDA
    ]
    needs_suspension = bool(qim.suspension_restriction) and not qim.suspension_id
    return render(
        request,
        "escalation/qim/detail.html",
        {
            "qim": qim,
            "case": qim.case,
            "case_url": case_url(qim.case),
            "when": qim_documents.when(qim),
            "is_provider": not staff,
            "agenda": agenda,
            "actions": actions,
            "overdue_count": sum(1 for a in actions if a.is_overdue),
            "next_steps": QIM.actions_for(qim, user) if staff else [],
            "suspension_url": suspension_url(qim)
            if needs_suspension and staff and can(user, "add", Suspension)
            else "",
            "documents": qim_documents.documents_of(qim, user),
            "history": history_rows(qim) if staff else None,
        },
    )


@login_required
def qim_step(request, pk: int, step: str):
    t = QIM.transitions.get(step)
    if t is None or not t.title:
        raise Http404("No such step.")
    qim = _qim_for(request, pk, t.permission)
    refusal = QIM.refusal(qim, step, request.user)
    if isinstance(refusal, services.Forbidden):
        raise PermissionDenied(refusal.reason)
    form_class = FORMS.get(step)
    data = request.POST if request.method == "POST" else None
    form = form_class(data) if form_class else None
    status = 200
    if request.method == "POST" and (form is None or form.is_valid()):
        params = dict(form.cleaned_data) if form is not None else {}
        try:
            services.take_step(qim, step, actor=request.user, **params)
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except services.WorkflowError as exc:
            status = 409
            if form is None:
                messages.error(request, exc.reason)
            else:
                form.add_error(None, exc.reason)
            refusal = exc
        else:
            messages.success(request, f"Done: {t.title.lower()}.")
            return redirect(qim)
    return render(
        request,
        "escalation/qim/step.html",
        {
            "qim": qim,
            "when": qim_documents.when(qim),
            "step": step,
            "title": t.title,
            "button": t.button or t.title,
            "style": t.style,
            "form": form,
            "refusal": refusal.reason if refusal else "",
            "agenda": AGENDA,
        },
        status=status,
    )


def _owners(qim: QualityImprovementMeeting):
    """Who an action may name: the quality team and the provider's own users."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(provider__isnull=True, roles__overlap=sorted(services.CHAIR_ROLES))
            | Q(provider_id=qim.case.service.provider_id)
        )
        .order_by("last_name", "first_name", "username")
    )


@login_required
def qim_notes(request, pk: int):
    """Table 3: attendees, apologies, one block per agenda item, rows of new actions."""
    qim = _qim_for(request, pk, "act")
    refusal = QIM.refusal(qim, "record-notes", request.user)
    if isinstance(refusal, services.Forbidden):
        raise PermissionDenied(refusal.reason)
    owners = _owners(qim)
    status = 200
    if request.method == "POST" and request.POST.get("add_row"):
        # Another row, without JavaScript: the form as typed, one row longer, nothing saved.
        try:
            rows = int(request.POST.get("rows") or 0) + 1
        except ValueError:
            rows = 1
        form = NotesForm(initial=request.POST.dict(), rows=rows, owners=owners)
    elif request.method == "POST":
        form = NotesForm(request.POST, owners=owners)
        if form.is_valid():
            try:
                made = services.record_notes(qim, actor=request.user, **form.service_kwargs())
            except services.Forbidden as exc:
                raise PermissionDenied(exc.reason) from exc
            except services.WorkflowError as exc:
                status = 409
                form.add_error(None, exc.reason)
            else:
                added = f" {len(made)} action{'s' if len(made) != 1 else ''} added." if made else ""
                messages.success(request, f"Notes recorded and issued.{added}")
                return redirect(qim)
    else:
        points = {n.item: n.key_points for n in qim.agenda_notes.all()}
        initial = {
            "version": qim.version,
            "attendees_council": qim.attendees_council,
            "attendees_provider": qim.attendees_provider,
            "attendees_other": qim.attendees_other,
            "apologies": qim.apologies,
            **{f"points_{item}": text for item, text in points.items()},
        }
        form = NotesForm(initial=initial, owners=owners)
    existing = list(qim.actions.select_related("owner"))
    return render(
        request,
        "escalation/qim/notes.html",
        {
            "qim": qim,
            "when": qim_documents.when(qim),
            "form": form,
            "refusal": refusal.reason if refusal else "",
            "existing": existing,
        },
        status=status,
    )


@login_required
def qim_action_complete(request, pk: int, action_pk: int):
    qim = _qim_for(request, pk, "act")
    action = get_object_or_404(
        QimAction.objects.filter(qim=qim).select_related("owner"), pk=action_pk
    )
    refusal = ACTION.refusal(action, "complete", request.user, parent=qim)
    if isinstance(refusal, services.Forbidden):
        raise PermissionDenied(refusal.reason)
    status = 200
    error = refusal.reason if refusal else ""
    if request.method == "POST":
        try:
            services.complete_action(action, actor=request.user)
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except services.WorkflowError as exc:
            status = 409
            error = exc.reason
        else:
            messages.success(request, f"Action marked done: {action.text[:80]}")
            return redirect(qim)
    return render(
        request,
        "escalation/qim/complete_action.html",
        {"qim": qim, "action": action, "error": error, "when": qim_documents.when(qim)},
        status=status,
    )
