"""Putting a board subject (a revocation, a proposed concern level) on a planned board meeting's
agenda, from the subject's own page: one page shared by every subject (escalation.board's
``add_to_agenda`` does the work and refuses what it must)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from escalation import board
from escalation.models import AgendaItem, BoardMeeting
from escalation.revocation_forms import AgendaForm
from qaf.scoping import can
from qaf.workflow import Forbidden, WorkflowError

ARRANGERS_ONLY = "Only board members and managers arrange the board's business."


def check_arranger(user) -> None:
    """403 for anyone who may not put items on the board's agenda (provider users included)."""
    if user.is_provider_user or not can(user, "act", BoardMeeting):
        raise PermissionDenied(ARRANGERS_ONLY)


def agenda_items(subject) -> list[AgendaItem]:
    """The meetings the subject is on the agenda of, soonest last."""
    return list(
        AgendaItem.objects.filter(
            subject_type=ContentType.objects.get_for_model(type(subject)), subject_id=subject.pk
        )
        .select_related("meeting")
        .order_by("meeting__starts_at")
    )


def put_on_agenda(request, subject, *, back_url: str, caption: str, refusal: str = ""):
    """The page: choose a planned meeting; ``refusal`` says why the subject cannot go now."""
    check_arranger(request.user)
    form = AgendaForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if refusal:
            form.add_error(None, refusal)
        else:
            try:
                board.add_to_agenda(form.cleaned_data["meeting"], subject, actor=request.user)
            except Forbidden as exc:
                raise PermissionDenied(exc.reason) from exc
            except WorkflowError as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, "Put on the board meeting's agenda.")
                return redirect(back_url)
    return render(
        request,
        "escalation/put_on_agenda.html",
        {
            "form": form,
            "refusal": refusal,
            "back_url": back_url,
            "caption": caption,
            "subject_title": board.subject_title(subject),
            "on_agenda": agenda_items(subject),
        },
    )
