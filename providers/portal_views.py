"""The pages of a provider organisation's portal users (issue 12): the list with its pending
invitations, inviting a colleague, a confirmation page per change, and the page an
invitation's link opens.

Thin: a form and a call to ``providers.portal_users``. The role is asked first (403 for a
provider user who is not their organisation's administrator, the board and partners), then the
organisation through ``Provider.objects.visible_to`` (404 for another organisation's), then the
user or invitation within that organisation (404 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from providers import portal_users as service
from providers.invitations import Invitation, InvitationState, state
from providers.models import Provider
from providers.portal_forms import AcceptForm, InviteForm
from qaf.forms import add_model_errors
from qaf.models import User
from qaf.scoping import can


def _provider_for(request, pk: int, action: str = "view") -> Provider:
    if not can(request.user, action, service.POLICY_NAME):
        raise PermissionDenied(service.ROLE_REFUSED)
    return get_object_or_404(service.providers_for(request.user), pk=pk)


def base_url(request) -> str:
    return request.build_absolute_uri("/")


@login_required
def users(request, pk: int):
    """``/providers/<id>/users/``: the organisation's users and its open invitations."""
    provider = _provider_for(request, pk)
    now = timezone.now()
    people = list(
        User.objects.filter(provider=provider).order_by(
            "-is_active", "last_name", "first_name", "pk"
        )
    )
    invitations = list(
        Invitation.objects.open()
        .filter(provider=provider)
        .select_related("invited_by", "sent_by")
        .order_by("expires_at", "pk")
    )
    for invitation in invitations:
        invitation.expired = state(invitation, now) == InvitationState.EXPIRED
    return render(
        request,
        "providers/users/list.html",
        {
            "provider": provider,
            "people": people,
            "invitations": invitations,
            "can_manage": service.may_manage(request.user, provider),
            "own": request.user.is_provider_user,
            "days": _days(),
        },
    )


def _days() -> int:
    from django.conf import settings

    return settings.QAF_INVITATION_DAYS


@login_required
def invite(request, pk: int):
    provider = _provider_for(request, pk, "add")
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            invitation = service.invite(
                provider, actor=request.user, base_url=base_url(request), **form.cleaned_data
            )
        except service.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except service.NotNow as exc:
            status = 409
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            add_model_errors(form, exc)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.full_name} at {invitation.email}. The link works "
                f"for {_days()} days.",
            )
            return redirect("providers:provider_users", provider.pk)
    return render(
        request,
        "providers/users/invite.html",
        {
            "provider": provider,
            "form": form,
            "days": _days(),
            "own": request.user.is_provider_user,
        },
        status=status,
    )


@dataclass(frozen=True)
class Step:
    title: str  # "{name}" is the person's
    button: str
    explanation: str
    done: str
    warning: bool = False


USER_STEPS = {
    "deactivate": Step(
        "Deactivate {name}",
        "Deactivate",
        "{name} will no longer be able to sign in or use the API, from their next click. "
        "Nothing they did is deleted. You can reactivate them later.",
        "{name} is deactivated.",
        warning=True,
    ),
    "reactivate": Step(
        "Reactivate {name}",
        "Reactivate",
        "{name} will be able to sign in again with their password (or reset it from the "
        "sign-in page).",
        "{name} is active again.",
    ),
    "make-administrator": Step(
        "Make {name} an administrator",
        "Make an administrator",
        "{name} will be able to invite, deactivate and reactivate the organisation's users, and "
        "name other administrators.",
        "{name} is now an administrator of the organisation.",
    ),
    "remove-administrator": Step(
        "Stop {name} being an administrator",
        "Stop being an administrator",
        "{name} will keep their account but will no longer manage the organisation's users.",
        "{name} is no longer an administrator of the organisation.",
        warning=True,
    ),
}

INVITATION_STEPS = {
    "resend": Step(
        "Send the invitation of {name} again",
        "Send again",
        "A new email goes to {email} with a new link that works for {days} days. The link in "
        "the earlier email stops working.",
        "The invitation of {name} was sent again.",
    ),
    "withdraw": Step(
        "Withdraw the invitation of {name}",
        "Withdraw the invitation",
        "The link sent to {email} stops working. You can invite them again later.",
        "The invitation of {name} was withdrawn.",
        warning=True,
    ),
}


def _run_user_step(step: str, person: User, actor: User) -> None:
    if step == "deactivate":
        service.deactivate(person, actor=actor)
    elif step == "reactivate":
        service.reactivate(person, actor=actor)
    else:
        service.set_administrator(person, step == "make-administrator", actor=actor)


@login_required
def user_step(request, pk: int, user_pk: int, step: str):
    """A confirmation page (GET) and the change (POST) for one of the organisation's users."""
    if step not in USER_STEPS:
        raise Http404("No such change.")
    provider = _provider_for(request, pk, "change")
    person = get_object_or_404(User.objects.filter(provider=provider), pk=user_pk)
    name = person.get_full_name() or person.username
    words = USER_STEPS[step]
    error, status = "", 200
    if request.method == "POST":
        try:
            _run_user_step(step, person, request.user)
        except service.Forbidden as exc:
            error, status = exc.reason, 403
        except service.NotNow as exc:
            error, status = exc.reason, 409
        else:
            messages.success(request, words.done.format(name=name))
            return redirect("providers:provider_users", provider.pk)
    return _confirm(request, provider, words, error, status, name=name, email=person.email)


@login_required
def invitation_step(request, pk: int, invitation_pk: int, step: str):
    if step not in INVITATION_STEPS:
        raise Http404("No such change.")
    provider = _provider_for(request, pk, "change")
    invitation = get_object_or_404(Invitation.objects.filter(provider=provider), pk=invitation_pk)
    words = INVITATION_STEPS[step]
    error, status = "", 200
    if request.method == "POST":
        try:
            if step == "resend":
                service.resend(invitation, actor=request.user, base_url=base_url(request))
            else:
                service.withdraw(invitation, actor=request.user)
        except service.Forbidden as exc:
            error, status = exc.reason, 403
        except service.NotNow as exc:
            error, status = exc.reason, 409
        else:
            messages.success(request, words.done.format(name=invitation.full_name))
            return redirect("providers:provider_users", provider.pk)
    return _confirm(
        request, provider, words, error, status, name=invitation.full_name, email=invitation.email
    )


def _confirm(request, provider, words: Step, error: str, status: int, **names):
    names["days"] = _days()
    return render(
        request,
        "providers/users/confirm.html",
        {
            "provider": provider,
            "title": words.title.format(**names),
            "explanation": words.explanation.format(**names),
            "button": words.button,
            "warning": words.warning,
            "error": error,
            "back": reverse("providers:provider_users", args=[provider.pk]),
        },
        status=status,
    )


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def accept(request, secret: str):
    """``/invitations/<secret>/``: the invited person chooses a password; their account is made
    and they sign in. A link that does not work says why and what to do (never a 500)."""
    if request.user.is_authenticated:
        return render(request, "providers/users/accept_signed_in.html", status=409)
    try:
        invitation = service.find(secret)
    except service.LinkRefused as exc:
        return _refused(request, exc)
    form = AcceptForm(service.new_user_for(invitation), request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = service.accept(secret, password=form.cleaned_data["new_password1"])
        except service.LinkRefused as exc:
            return _refused(request, exc)
        except ValidationError as exc:
            add_model_errors(form, exc)
        else:
            messages.success(
                request,
                f"Your account is ready. Sign in with your username, {user.username}, and the "
                "password you chose.",
            )
            return redirect("login")
    return render(request, "providers/users/accept.html", {"invitation": invitation, "form": form})


def _refused(request, exc: service.LinkRefused):
    return render(
        request,
        "providers/users/link_refused.html",
        {"title": exc.title, "reason": exc.reason},
        status=410,
    )
