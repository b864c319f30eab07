"""Revocation pages: the list, proposing one from a service's page, the revocation's own page
with the steps its user may take now, each step's page, putting it on a board meeting's agenda,
and deciding the provider's appeal.

Every change goes through escalation.revocation_services (the workflow tables) or
escalation.board; a refusal is a message on the page (409) or a 403, never a 500. Provider users
reach only their own organisation's revocations once the board has decided (404 otherwise), and
see the outcome, the letters and their appeal: never the proposal, the meeting's notes or the
board's papers.
"""

from __future__ import annotations

import django_filters as df
import django_tables2 as tables
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from escalation import appeals, board
from escalation import revocation_services as services
from escalation.agenda_views import agenda_items, check_arranger, put_on_agenda
from escalation.models import (
    OPEN_REVOCATION_STATES,
    BoardMeeting,
    Revocation,
    RevocationAppeal,
    RevocationStatus,
)
from escalation.revocation_forms import (
    ConfirmForm,
    DecideRevocationAppealForm,
    MeetingForm,
    ProposeRevocationForm,
    RevocationAppealForm,
    RevokeForm,
    WithdrawForm,
)
from escalation.revocation_workflows import REVOCATION, REVOCATION_APPEAL
from providers.filters import ScopedFilterSet, _checkboxes
from providers.models import Service
from providers.tables import DateColumn
from qaf.exports import field, iso_date, model_fields, person_field
from qaf.forms import add_model_errors
from qaf.generic import ScopedListView, get_scoped_or_404, history_rows
from qaf.models import Document
from qaf.scoping import can
from qaf.workflow import Forbidden, WorkflowError

WHAT_IT_MEANS = (
    "A revocation ends the council's current placements and packages of care with the service "
    "and arranges other care for the people it supports. It comes only after all other options "
    "are exhausted, after a meeting with the provider, and with the board's decision."
)


def service_context(service: Service, user) -> dict:
    """What a service's page shows of its revocations (include
    ``escalation/revocation/_service_revocations.html``): the open one, and whether this user
    may propose one now."""
    rows = list(Revocation.objects.visible_to(user).filter(service=service)[:5])
    open_one = next((r for r in rows if r.status in OPEN_REVOCATION_STATES), None)
    return {
        "open_revocation": open_one,
        "service_revocations": rows,
        "can_propose_revocation": can(user, "add", Revocation)
        and open_one is None
        and service.commissioning_status != "decommissioned",
    }


def home_context(user) -> dict:
    """Officers' and managers' home page: the revocations under way (proposed, with the board)
    and, for managers, the appeals waiting for one who did not revoke."""
    if not can(user, "act", Revocation):
        return {}
    under_way = list(
        Revocation.objects.filter(
            status__in=[RevocationStatus.PROPOSED, RevocationStatus.WITH_BOARD]
        )
        .select_related("service")
        .order_by("proposed_on", "pk")[:20]
    )
    appeals = []
    if can(user, "change_commissioning_status", Revocation):
        appeals = list(
            RevocationAppeal.objects.filter(status="pending")
            .exclude(revocation__decided_by=user)
            .select_related("revocation__service")
            .order_by("submitted_at", "pk")[:20]
        )
    return {"revocations_home": {"under_way": under_way, "appeals": appeals}}


# --- The list ---------------------------------------------------------------------------------

REVOCATION_EXPORT = (
    field("service", "service__name"),
    field("provider", "service__provider__name"),
    *model_fields(Revocation, ["status"]),
    person_field("proposed_by"),
    field("proposed_on", convert=iso_date),
    field("meeting_on", convert=iso_date),
    field("decided_on", convert=iso_date),
    field("ended_on", convert=iso_date),
)


class RevocationTable(tables.Table):
    service = tables.Column(
        linkify=lambda record: record.get_absolute_url(), order_by=("service__name",)
    )
    provider = tables.Column(accessor="service__provider__name", verbose_name="Provider")
    status = tables.Column()
    proposed_on = DateColumn(verbose_name="Proposed")
    decided_on = DateColumn(verbose_name="Decided")

    class Meta:
        model = Revocation
        fields = ["service", "provider", "status", "proposed_on", "decided_on"]
        empty_text = (
            "No revocations match. An officer or manager proposes one from a service's page."
        )

    export_fields = REVOCATION_EXPORT


class RevocationFilter(ScopedFilterSet):
    status = df.MultipleChoiceFilter(choices=RevocationStatus.choices, widget=_checkboxes())

    class Meta:
        model = Revocation
        fields = ["status"]


class RevocationList(ScopedListView):
    model = Revocation
    table_class = RevocationTable
    filterset_class = RevocationFilter
    select_related = ("service", "service__provider", "proposed_by")
    page_title = "Revocations"


revocation_list = RevocationList.as_view()


# --- Proposing ---------------------------------------------------------------------------------


@login_required
def propose(request, service_pk: int):
    if not can(request.user, "add", Revocation):
        raise PermissionDenied("Only quality officers and managers propose a revocation.")
    service = get_scoped_or_404(Service, request.user, service_pk)
    form = ProposeRevocationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            revocation = services.propose(service, actor=request.user, **form.cleaned_data)
        except WorkflowError as exc:
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            add_model_errors(form, exc)
        else:
            messages.success(request, "Revocation proposed: next, the meeting with the provider.")
            return redirect(revocation)
    return render(
        request,
        "escalation/revocation/propose.html",
        {"form": form, "service": service, "what_it_means": WHAT_IT_MEANS},
    )


# --- The revocation's page ---------------------------------------------------------------------


def _revocation_for(request, pk: int) -> Revocation:
    return get_scoped_or_404(Revocation, request.user, pk)


@login_required
def detail(request, pk: int):
    revocation = _revocation_for(request, pk)
    user = request.user
    staff = not user.is_provider_user
    appeal = RevocationAppeal.objects.filter(revocation=revocation).first()
    can_decide_appeal = appeal is not None and REVOCATION_APPEAL.allows(
        appeal, "decide", user, parent=revocation
    )
    agenda = agenda_items(revocation) if staff else []
    can_add_to_agenda = (
        staff
        and revocation.status == RevocationStatus.WITH_BOARD
        and can(user, "act", BoardMeeting)
    )
    return render(
        request,
        "escalation/revocation/detail.html",
        {
            "revocation": revocation,
            "is_provider": user.is_provider_user,
            "next_steps": REVOCATION.actions_for(revocation, user),
            "appeal": appeal,
            "can_decide_appeal": can_decide_appeal,
            "agenda": agenda,
            "can_add_to_agenda": can_add_to_agenda,
            "documents": Document.objects.visible_to(user).about(revocation),
            "what_it_means": WHAT_IT_MEANS,
            "history": history_rows(revocation) if staff else None,
        },
    )


# The steps with a page, and their forms.
FORMS = {
    "record-meeting": MeetingForm,
    "revoke": RevokeForm,
    "not-revoked": ConfirmForm,
    "withdraw": WithdrawForm,
    "appeal": RevocationAppealForm,
}


@login_required
def step(request, pk: int, step: str):
    revocation, t, form, refusal, done = appeals.step_page(
        request,
        step,
        fetch=lambda: _revocation_for(request, pk),
        workflow=REVOCATION,
        forms=FORMS,
        services=services,
        appeal_form=RevocationAppealForm,
    )
    if done:
        return done
    return render(
        request,
        "escalation/revocation/step.html",
        {
            "revocation": revocation,
            "title": t.title,
            "button": t.button or t.title,
            "style": t.style,
            "form": form,
            "refusal": refusal.reason if refusal else "",
            "is_provider": request.user.is_provider_user,
            "decision": board.decision_for(revocation, "revoke") if step == "revoke" else None,
        },
    )


@login_required
def agenda(request, pk: int):
    """Put the revocation on a planned board meeting's agenda (escalation.board)."""
    check_arranger(request.user)
    revocation = _revocation_for(request, pk)
    refusal = ""
    if revocation.status != RevocationStatus.WITH_BOARD:
        refusal = "The board is asked once the meeting with the provider has been recorded."
    return put_on_agenda(
        request,
        revocation,
        back_url=revocation.get_absolute_url(),
        caption=f"Revocation: {revocation.service.name}",
        refusal=refusal,
    )


@login_required
def appeal_decide(request, pk: int):
    if not can(request.user, "change_commissioning_status", Revocation):
        raise PermissionDenied("Only a quality manager decides an appeal.")
    revocation = _revocation_for(request, pk)
    appeal = get_object_or_404(RevocationAppeal, revocation=revocation)
    refusal = REVOCATION_APPEAL.refusal(appeal, "decide", request.user, parent=revocation)
    if isinstance(refusal, Forbidden):
        raise PermissionDenied(refusal.reason)
    form = DecideRevocationAppealForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decide_appeal(appeal, actor=request.user, **form.cleaned_data)
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except WorkflowError as exc:
            form.add_error(None, exc.reason)
        else:
            messages.success(request, f"Appeal {appeal.get_status_display().lower()}")
            return redirect(revocation)
    return render(
        request,
        "escalation/revocation/decide_appeal.html",
        {
            "revocation": revocation,
            "appeal": appeal,
            "form": form,
            "refusal": refusal.reason if refusal else "",
        },
    )
