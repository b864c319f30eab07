"""Suspension pages: the list, proposing one from a service's page, the suspension's own page
with the steps its user may take now, each step's page, and deciding an appeal.

Every change goes through escalation.services (the workflow tables); a refusal is a message
on the page (409) or a 403, never a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from escalation import appeals, qim_services, services
from escalation.forms import (
    AppealForm,
    CommentForm,
    DecideAppealForm,
    LiftForm,
    ProposeForm,
    ReasonedCommentForm,
)
from escalation.models import OPEN_STATES, Appeal, Suspension, SuspensionReason
from escalation.tables import SuspensionFilter, SuspensionTable
from escalation.workflows import APPEAL, SUSPENSION
from providers.models import Service
from qaf.forms import add_model_errors
from qaf.generic import ScopedListView, get_scoped_or_404, history_rows
from qaf.models import Document
from qaf.scoping import can
from qaf.workflow import Forbidden, WorkflowError

EXISTING_PLACEMENTS = (
    "A suspension never ends placements or packages of care already in place: it holds the "
    "service from new ones."
)


def suspension_context(service: Service, user) -> dict:
    """What a service's page shows of its suspensions: the banner of one in force, the list
    (staff see proposals too; provider users only what was decided), and whether this user may
    propose one now."""
    rows = list(
        Suspension.objects.visible_to(user).filter(service=service).order_by("-created_at")[:10]
    )
    return {
        "suspension_in_force": next((s for s in rows if s.in_force), None),
        "service_suspensions": rows,
        "can_propose_suspension": can(user, "add", Suspension)
        and not any(s.status in OPEN_STATES for s in rows),
        "existing_placements": EXISTING_PLACEMENTS,
    }


class SuspensionList(ScopedListView):
    model = Suspension
    table_class = SuspensionTable
    filterset_class = SuspensionFilter
    select_related = ("service", "service__provider", "proposed_by", "decided_by")
    page_title = "Suspensions"


suspension_list = SuspensionList.as_view()


@login_required
def suspension_propose(request, service_pk: int):
    if not can(request.user, "add", Suspension):
        raise PermissionDenied("Only quality officers and managers propose suspensions.")
    service = get_scoped_or_404(Service, request.user, service_pk)
    # ``?qim=ID``: the commissioning position decided at a Quality Improvement Meeting, which
    # prefills the proposal and records the suspension on the meeting (escalation.qim_services).
    qim = _qim_from_query(request, service)
    initial = qim_proposal_initial(qim) if qim is not None else None
    form = ProposeForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                suspension = services.propose(service, actor=request.user, **form.cleaned_data)
                if qim is not None:
                    qim_services.record_suspension(qim, actor=request.user, suspension=suspension)
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except WorkflowError as exc:
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            add_model_errors(form, exc)
        else:
            messages.success(request, "Suspension proposed: another manager decides it.")
            return redirect(suspension)
    return render(
        request,
        "escalation/propose.html",
        {
            "form": form,
            "service": service,
            "existing_placements": EXISTING_PLACEMENTS,
            "qim": qim,
        },
    )


def _qim_from_query(request, service: Service):
    """The meeting named by ``?qim=``, when it is one of this service's that the user sees;
    anything else is ignored (a plain proposal)."""
    from escalation.models import QualityImprovementMeeting
    from qaf.generic import parse_id

    pk = parse_id(request.GET.get("qim"))
    if pk is None:
        return None
    # Only a meeting whose decided position still waits for its suspension.
    return (
        QualityImprovementMeeting.objects.visible_to(request.user)
        .filter(pk=pk, case__service=service, position__in=["suspend", "restrict"])
        .filter(suspension__isnull=True)
        .select_related("case__service")
        .first()
    )


def qim_proposal_initial(qim) -> dict:
    """The proposal as the meeting's position calls for it: the restriction and the reason."""
    from django.utils.formats import date_format

    return {
        "restriction": qim.suspension_restriction,
        "reasons": [SuspensionReason.OTHER],
        "other_reason": (
            f"Commissioning position decided at the Quality Improvement Meeting of "
            f"{date_format(qim.day, 'j F Y')}: {qim.get_position_display().lower()}. "
            f"{qim.position_reason}"
        ).strip(),
    }


def _suspension_for(request, pk: int) -> Suspension:
    return get_scoped_or_404(Suspension, request.user, pk)


@login_required
def suspension_detail(request, pk: int):
    suspension = _suspension_for(request, pk)
    user = request.user
    staff = not user.is_provider_user
    appeals = list(
        suspension.appeals.select_related("submitted_by", "decided_by").prefetch_related("evidence")
    )
    for appeal in appeals:
        appeal.can_decide = APPEAL.allows(appeal, "decide", user, parent=suspension)
    documents = Document.objects.visible_to(user).about(suspension)
    return render(
        request,
        "escalation/detail.html",
        {
            "suspension": suspension,
            "is_provider": user.is_provider_user,
            "next_steps": SUSPENSION.actions_for(suspension, user),
            "appeals": appeals,
            "documents": documents,
            "existing_placements": EXISTING_PLACEMENTS,
            "history": history_rows(suspension) if staff else None,
        },
    )


# The steps with a form, and what each sends to the service.
FORMS = {
    "approve": CommentForm,
    "reject": ReasonedCommentForm,
    "propose-lift": LiftForm,
    "approve-lift": CommentForm,
    "reject-lift": ReasonedCommentForm,
    "appeal": AppealForm,
}


@login_required
def suspension_step(request, pk: int, step: str):
    suspension, t, form, refusal, done = appeals.step_page(
        request,
        step,
        fetch=lambda: _suspension_for(request, pk),
        workflow=SUSPENSION,
        forms=FORMS,
        services=services,
        appeal_form=AppealForm,
    )
    if done:
        return done
    return render(
        request,
        "escalation/step.html",
        {
            "suspension": suspension,
            "title": t.title,
            "button": t.button or t.title,
            "style": t.style,
            "form": form,
            "refusal": refusal.reason if refusal else "",
            "existing_placements": EXISTING_PLACEMENTS,
        },
    )


@login_required
def appeal_decide(request, pk: int, appeal_pk: int):
    if not can(request.user, "change_commissioning_status", Suspension):
        raise PermissionDenied("Only a quality manager decides an appeal.")
    suspension = _suspension_for(request, pk)
    appeal = get_object_or_404(Appeal, pk=appeal_pk, suspension=suspension)
    refusal = APPEAL.refusal(appeal, "decide", request.user, parent=suspension)
    if isinstance(refusal, Forbidden):
        raise PermissionDenied(refusal.reason)
    form = DecideAppealForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decide_appeal(appeal, actor=request.user, **form.cleaned_data)
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except WorkflowError as exc:
            form.add_error(None, exc.reason)
        else:
            messages.success(request, f"Appeal {appeal.get_status_display().lower()}")
            return redirect(suspension)
    return render(
        request,
        "escalation/decide_appeal.html",
        {"suspension": suspension, "appeal": appeal, "form": form},
    )
