"""Escalation case pages: opening one from a service's page, the case's own page (its stage,
dates and clocks, the contact, the board's papers, the letters, the whole history and the
steps the user may take now), each step's page, editing the papers and putting the case on a
board meeting's agenda.

Every change goes through escalation.case_services (the workflow table); a refusal is a
message on the page (409) or a 403, never a 500. Provider users see their own case's stage,
the dates that concern them and its letters; never the papers, the reasons or the history.

For other pages: ``service_case_context(service, user)`` (the service page's panel); the
escalation queue is ``escalation.queue``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from escalation import board
from escalation import case_services as services
from escalation.case_forms import (
    AdvanceForm,
    AgendaForm,
    ContactForm,
    OpenCaseForm,
    PapersForm,
    ReasonForm,
)
from escalation.case_workflows import ADVANCE_TITLES, CASE, POLICY_MODEL
from escalation.models import BoardMeeting, CaseMove, EscalationCase, Stage
from providers.models import Service
from qaf.concurrency import BadVersion, StaleEdit
from qaf.generic import get_scoped_or_404, history_rows
from qaf.models import Document
from qaf.scoping import can
from qaf.workflow import Forbidden, WorkflowError

CASEWORK_ONLY = "Only quality officers and managers run escalation cases."


# --- What other pages show -----------------------------------------------------------------------


def service_case_context(service: Service, user) -> dict:
    """The service page's panel: its open case (and stage), and whether this user may open one."""
    if not can(user, "view", EscalationCase):
        return {}
    visible = EscalationCase.objects.visible_to(user).filter(service=service)
    open_case = visible.exclude(stage=Stage.CLOSED).first()
    return {
        "escalation_case": open_case,
        "closed_cases": visible.filter(stage=Stage.CLOSED).count(),
        "can_open_case": open_case is None and can(user, "add", EscalationCase),
    }


# --- Opening -------------------------------------------------------------------------------------


@login_required
def case_open(request, service_pk: int):
    if not can(request.user, "add", EscalationCase):
        raise PermissionDenied("Only quality officers and managers open escalation cases.")
    service = get_scoped_or_404(Service, request.user, service_pk)
    existing = services.open_case_of(service)
    form = OpenCaseForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            case = services.open_case(
                service,
                actor=request.user,
                concerns=form.cleaned_data["concerns"],
                lead=form.cleaned_data["lead"],
            )
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except WorkflowError as exc:
            status = 409
            form.add_error(None, exc.reason)
        else:
            messages.success(
                request, "Escalation case opened at the informal stage: contact the provider."
            )
            return redirect(case)
    return render(
        request,
        "escalation/case/open.html",
        {"form": form, "service": service, "existing": existing},
        status=status,
    )


# --- The case's page -----------------------------------------------------------------------------


def _case_for(request, pk: int, action: str = "view") -> EscalationCase:
    """The role first (403), then the case (404 outside the user's scope)."""
    if not can(request.user, action, EscalationCase):
        raise PermissionDenied(
            CASEWORK_ONLY if action != "view" else "Your role does not allow this."
        )
    cases = EscalationCase.objects.visible_to(request.user).select_related(
        "service", "service__provider", "lead", "opened_by", "referred_by", "closed_by"
    )
    case = cases.filter(pk=pk).first()
    if case is None:
        raise Http404("No such escalation case.")
    return case


def _moves(case: EscalationCase):
    return (
        CaseMove.objects.filter(case=case)
        .select_related("actor", "decision__meeting")
        .order_by("at", "pk")
    )


def _agenda(case: EscalationCase) -> list:
    """The board meetings the case is (or was) on the agenda of."""
    from django.contrib.contenttypes.models import ContentType

    from escalation.models import AgendaItem

    items = AgendaItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(EscalationCase), subject_id=case.pk
    ).select_related("meeting")
    return sorted((i.meeting for i in items), key=lambda m: m.starts_at)


@login_required
def case_detail(request, pk: int):
    case = _case_for(request, pk)
    user = request.user
    staff = not user.is_provider_user
    today = timezone.localdate()
    clocks = case.clocks(today)
    context = {
        "case": case,
        "is_provider": not staff,
        "clocks": clocks if staff else [c for c in clocks if c.for_provider],
        "documents": Document.objects.visible_to(user).about(case),
        "service_url": case.service.get_absolute_url(),
    }
    if staff:
        context |= {
            "next_steps": CASE.actions_for(case, user),
            "papers": board.subject_papers(case) if can(user, "papers", EscalationCase) else [],
            "outcomes": board.subject_outcomes(case),
            "moves": _moves(case),
            "meetings": _agenda(case),
            "can_edit_papers": case.is_open and can(user, "change", EscalationCase),
            "can_add_to_agenda": case.stage
            in {Stage.BOARD, Stage.RECTIFICATION_NOTICE, Stage.FINAL_WARNING}
            and can(user, "act", BoardMeeting),
            "history": history_rows(case),
        }
    return render(request, "escalation/case/detail.html", context)


# --- Steps ---------------------------------------------------------------------------------------


def _form_for(step: str, case: EscalationCase, data):
    if step == "record-contact":
        initial = {
            "contact_kind": case.contact_kind or None,
            "contact_on": case.contact_on,
            "contact_with": case.contact_with,
            "contact_outcome": case.contact_outcome,
        }
        return ContactForm(data, initial=initial)
    if step == "advance":
        return AdvanceForm(data, case=case)
    if step == "close":
        return ReasonForm(
            data,
            case=case,
            confirm="I want to close this case: it cannot be opened again (a new case can be)",
        )
    return ReasonForm(data, case=case)


def _title(step: str, case: EscalationCase) -> str:
    if step == "advance":
        return ADVANCE_TITLES.get(case.stage, CASE.transitions[step].title)
    return CASE.transitions[step].title


@login_required
def case_step(request, pk: int, step: str):
    t = CASE.transitions.get(step)
    if t is None:
        raise Http404("No such step.")
    case = _case_for(request, pk, t.permission)
    refusal = CASE.refusal(case, step, request.user)
    if isinstance(refusal, Forbidden):
        raise PermissionDenied(refusal.reason)
    data = request.POST if request.method == "POST" else None
    form = _form_for(step, case, data)
    title = _title(step, case)  # before the step moves the case
    status = 200
    if request.method == "POST" and form.is_valid():
        params = form.step_params() if hasattr(form, "step_params") else dict(form.cleaned_data)
        try:
            services.take_step(case, step, actor=request.user, **params)
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except WorkflowError as exc:
            status = 409
            form.add_error(None, exc.reason)
        else:
            messages.success(request, f"Done: {title[0].lower()}{title[1:]}.")
            return redirect(case)
    return render(
        request,
        "escalation/case/step.html",
        {
            "case": case,
            "step": step,
            "title": title,
            "button": t.button or title,
            "style": t.style,
            "form": form,
            "refusal": refusal.reason if refusal else "",
            "outcomes": board.subject_outcomes(case) if step == "advance" else [],
        },
        status=status,
    )


# --- The papers and the agenda ------------------------------------------------------------------


@login_required
def case_papers(request, pk: int):
    case = _case_for(request, pk, "change")
    initial = {name: getattr(case, name) for name in services.PAPERS_FIELDS}
    form = PapersForm(
        request.POST if request.method == "POST" else None,
        initial={**initial, "version": case.version},
    )
    status = 200
    if not case.is_open:
        status = 409 if request.method == "POST" else 200
        form = None
    elif request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.save_papers(case, actor=request.user, version=version, **data)
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except (WorkflowError, StaleEdit, BadVersion) as exc:
            status = 409
            form.add_error(None, getattr(exc, "reason", str(exc)))
        else:
            messages.success(request, "The board papers are saved.")
            return redirect(case)
    return render(
        request,
        "escalation/case/papers.html",
        {"case": case, "form": form, "papers": board.subject_papers(case)},
        status=status,
    )


@login_required
def case_agenda(request, pk: int):
    """Put the case on a planned board meeting's agenda (managers and board members)."""
    if not can(request.user, "act", BoardMeeting):
        raise PermissionDenied("Only board members and managers arrange the board's business.")
    case = _case_for(request, pk)
    form = AgendaForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        meeting = form.cleaned_data["meeting"]
        try:
            board.add_to_agenda(meeting, case, actor=request.user)
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except WorkflowError as exc:
            status = 409
            form.add_error(None, exc.reason)
        else:
            messages.success(request, f"The case is on the agenda of the {meeting}.")
            return redirect(case)
    return render(
        request,
        "escalation/case/agenda.html",
        {"case": case, "form": form, "outcomes": board.subject_outcomes(case)},
        status=status,
    )


__all__ = [
    "POLICY_MODEL",
    "case_agenda",
    "case_detail",
    "case_open",
    "case_papers",
    "case_step",
    "service_case_context",
]
