"""Staff two-factor sign-in (SPEC §10): a code from an authenticator app after the password.

django-otp does the cryptography and the throttling: a ``TOTPDevice`` per member of staff (the
authenticator app) and a ``StaticDevice`` holding their single-use recovery codes. This module
holds what QAF adds around it:

- ``needs_two_factor(user)``: who is asked (council staff and anyone who can open Django admin;
  provider users are not);
- ``StaffTwoFactorMiddleware``: with ``QAF_STAFF_2FA`` on, sends a member of staff who signed in
  with their password but has not yet given a code to the verify page (or to set-up, when they
  have no app yet) from every page;
- the set-up, verify and manage pages, and the API token serializer that asks for ``otp_token``
  (the token view: ``qaf.tokens``);
- ``api_refusal(request)``: why a session-authenticated API request must wait (used by
  ``qaf.permissions.RolePermission``).

Nothing secret is logged: the log names the user and what happened, never a code or key.
"""

from __future__ import annotations

import base64
import functools
import logging
import math
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_DIGITS = 10
WRONG_CODE = "The code is not right: enter the 6-digit code your app shows now"
WRONG_CODE_OR_RECOVERY = (
    "The code is not right: enter the 6-digit code your app shows now, or a recovery code"
)
ENTER_CODE = "Enter the 6-digit code your authenticator app shows"
SET_UP_FIRST = "Set up two-factor sign-in in QAF first"

# Pages an unverified member of staff may still open (URL names, as `view_name`).
_EXEMPT_VIEWS = frozenset(
    {
        "two_factor_setup",
        "two_factor_verify",
        "logout",
        "admin:logout",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "healthz",
        "accessibility",
        # The public pages: the same for everyone, signed in or not (reviews.public_views).
        "public:index",
        "public:summary",
        "public:json",
    }
)


def enabled() -> bool:
    """Read per request, so that a test (or a settings override) can turn it on."""
    return bool(getattr(settings, "QAF_STAFF_2FA", False))


def needs_two_factor(user) -> bool:
    """Council staff (any role) and anyone who can open Django admin. Provider users are not
    asked: their accounts reach one organisation's own data only (README, People and roles)."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff_member or user.is_staff or user.is_superuser)


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)  # installed by django-otp's OTPMiddleware
    return bool(check and check())


def has_app(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending(user) -> bool:
    """The user signed in with a password but still owes a code."""
    return enabled() and needs_two_factor(user) and not is_verified(user)


# --- Codes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    device: object | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.device is not None


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def _wait_message(locked_until) -> str:
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many wrong codes: wait {seconds} {unit}, then try again"


def _check(devices, code: str, wrong: str) -> Outcome:
    """Try ``code`` on each device (already locked for update), honouring django-otp's
    throttle: after n wrong codes in a row a device refuses for 2^(n-1) seconds."""
    locked_until = []
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed:
            locked_until.append((info or {}).get("locked_until") or timezone.now())
            continue
        if device.verify_token(code):
            return Outcome(device=device)
    if devices and len(locked_until) == len(devices):
        return Outcome(error=_wait_message(min(locked_until)))
    return Outcome(error=wrong)


def verify_code(user, code: str) -> Outcome:
    """A 6-digit code from the user's app or one of their recovery codes (used up)."""
    code = _normalise(code)
    if re.fullmatch(r"\d{6}", code):
        model, kind = TOTPDevice, "authenticator app"
    elif re.fullmatch(rf"\d{{{RECOVERY_CODE_DIGITS}}}", code):
        model, kind = StaticDevice, "recovery code"
    else:
        logger.warning("Two-factor code refused for user %s: not a code", user.pk)
        return Outcome(error=WRONG_CODE_OR_RECOVERY)
    # Locked for update, so that two tries at once cannot both pass or dodge the throttle.
    # The outcome is returned, not raised, so that a wrong try's throttle count is committed.
    with transaction.atomic():
        devices = list(model.objects.filter(user=user, confirmed=True).select_for_update())
        outcome = _check(devices, code, WRONG_CODE_OR_RECOVERY)
    if outcome.ok:
        logger.info("Two-factor sign-in verified for user %s with %s", user.pk, kind)
    else:
        logger.warning("Two-factor code refused for user %s (%s): %s", user.pk, kind, outcome.error)
    return outcome


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with ten new ones, returned to be shown once.

    Digits only, so that the one code field can keep a numeric keyboard on phones."""
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(f"{secrets.randbelow(10**RECOVERY_CODE_DIGITS):0{RECOVERY_CODE_DIGITS}d}")
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user).order_by("pk").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        elif not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return sorted(codes)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _confirm_app(request, device: TOTPDevice, code: str) -> tuple[Outcome, list[str]]:
    """The first code from a new app: confirm it (replacing any older app), sign the session
    in with it and make new recovery codes."""
    user = request.user
    code = _normalise(code)
    if not re.fullmatch(r"\d{6}", code):
        return Outcome(error=WRONG_CODE), []
    with transaction.atomic():
        locked = list(TOTPDevice.objects.filter(pk=device.pk, user=user).select_for_update())
        outcome = _check(locked, code, WRONG_CODE)
    if not outcome.ok:
        logger.warning("Two-factor set-up code refused for user %s: %s", user.pk, outcome.error)
        return outcome, []
    with transaction.atomic():
        others = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
        replaced = others.filter(confirmed=True).exists()
        others.delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = new_recovery_codes(user)
    device.confirmed = True
    # A new session key with the new trust, as after a code at sign-in (verify).
    request.session.cycle_key()
    otp_login(request, device)
    logger.info(
        "Two-factor sign-in set up for user %s%s",
        user.pk,
        " (a new app replaced the old one)" if replaced else "",
    )
    return outcome, codes


@receiver(post_delete, sender=TOTPDevice)
def _log_app_removed(sender, instance, **kwargs):
    # An administrator's reset (Django admin) deletes the device; admin's own log says who.
    if instance.confirmed:
        logger.info("Two-factor app removed for user %s (device %s)", instance.user_id, instance.pk)


# --- Pages -------------------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Enter the 6-digit code",
        max_length=40,
        error_messages={"required": ENTER_CODE},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "autocapitalize": "none",
                "class": "govuk-input--width-10",
            }
        ),
    )

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = help_text


def _next_url(request, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _staff_page(view):
    """Staff only, and only while the feature is on (off: the pages do not exist)."""

    @functools.wraps(view)
    @never_cache
    @login_required
    def wrapped(request, *args, **kwargs):
        if not enabled():
            raise Http404("Two-factor sign-in is off")
        if not needs_two_factor(request.user):
            raise PermissionDenied("Two-factor sign-in is for council staff")
        return view(request, *args, **kwargs)

    return wrapped


def _verified_page(view):
    """Staff who have given their code this session (the middleware sends the rest away too)."""

    @_staff_page
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_verified(request.user):
            return redirect(_with_next("two_factor_verify", request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapped


def _qr_svg(device: TOTPDevice) -> str:
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", svgclass="qaf-qr-code"
    )
    # One accessible image; the key beside it is the text alternative.
    label = "QR code to scan with your authenticator app"
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S308


def _key_groups(device: TOTPDevice) -> str:
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@_staff_page
def setup(request):
    """Add an authenticator app: scan the QR code (or type the key), then give its code."""
    user = request.user
    replacing = has_app(user)
    if replacing and not is_verified(user):
        # Only someone who has given a code may swap the app for another.
        return redirect(_with_next("two_factor_verify", _next_url(request)))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    next_url = _next_url(request)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        outcome, codes = _confirm_app(request, device, form.cleaned_data["code"])
        if outcome.ok:
            return _show_codes(request, codes, next_url, first_time=not replacing)
        form.add_error("code", outcome.error)
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device),
            "key": _key_groups(device),
            "replacing": replacing,
            "next": next_url,
        },
    )


def _show_codes(request, codes: list[str], next_url: str, *, first_time: bool):
    # Shown in the answer to the POST and nowhere else: never stored in the session or cached.
    return render(
        request,
        "registration/two_factor_recovery_codes.html",
        {
            "codes": [f"{c[:5]} {c[5:]}" for c in codes],
            "next": next_url,
            "first_time": first_time,
        },
    )


@_staff_page
def verify(request):
    """After the password: a code from the app, or a recovery code."""
    user = request.user
    next_url = _next_url(request)
    if is_verified(user):
        return HttpResponseRedirect(next_url)
    if not has_app(user):
        return redirect(_with_next("two_factor_setup", next_url))
    form = CodeForm(
        request.POST or None,
        help_text="Open the authenticator app on your phone. If you do not have your phone, "
        "enter one of your recovery codes instead.",
    )
    if form.is_valid():
        outcome = verify_code(user, form.cleaned_data["code"])
        if outcome.ok:
            request.session.cycle_key()
            otp_login(request, outcome.device)
            if isinstance(outcome.device, StaticDevice):
                left = recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You used a recovery code. You have {left} left: make new ones from "
                    "Two-factor sign-in at the top of the page.",
                )
            return HttpResponseRedirect(next_url)
        form.add_error("code", outcome.error)
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": next_url},
    )


@_verified_page
def manage(request):
    """Status, and the two ways to start again."""
    user = request.user
    app = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    return render(
        request,
        "registration/two_factor_manage.html",
        {"app": app, "codes_left": recovery_codes_left(user), "codes_total": RECOVERY_CODE_COUNT},
    )


@_verified_page
def new_codes(request):
    """Confirm, then replace the recovery codes and show the new ones once."""
    if request.method == "POST":
        codes = new_recovery_codes(request.user)
        logger.info("Recovery codes replaced for user %s", request.user.pk)
        return _show_codes(request, codes, reverse("two_factor_manage"), first_time=False)
    return render(
        request,
        "registration/two_factor_confirm.html",
        {
            "title": "Make new recovery codes",
            "body": "Your old recovery codes will stop working. You will see the new ones once: "
            "have somewhere safe ready to keep them.",
            "button": "Make new recovery codes",
        },
    )


@_verified_page
def new_app(request):
    """Confirm, then set up another authenticator app (the old one works until it is done)."""
    if request.method == "POST":
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        return redirect(_with_next("two_factor_setup", reverse("two_factor_manage")))
    return render(
        request,
        "registration/two_factor_confirm.html",
        {
            "title": "Set up a new authenticator app",
            "body": "Use this when you have a new phone. Your current app keeps working until "
            "you enter a code from the new one; then it stops working, and you get new "
            "recovery codes.",
            "button": "Continue",
        },
    )


# --- Middleware ----------------------------------------------------------------------------------


class StaffTwoFactorMiddleware:
    """With ``QAF_STAFF_2FA`` on, a member of staff owing a code sees only the 2FA pages.

    After django-otp's ``OTPMiddleware`` (which sets ``user.is_verified()``) and django-htmx's.
    The API answers for itself (``api_refusal``): a 403 there, not a redirect to a page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not pending(request.user):
            return None
        match = request.resolver_match
        static = urlsplit(settings.STATIC_URL).path
        if (
            match.view_name in _EXEMPT_VIEWS
            or match.route.startswith("api/")
            or request.path.startswith("/" + static.lstrip("/"))
        ):
            return None
        htmx = getattr(request, "htmx", None)
        if htmx:
            here = htmx.current_url_abs_path or ""
        else:
            here = request.get_full_path() if request.method in ("GET", "HEAD") else ""
        target = _with_next(
            "two_factor_verify" if has_app(request.user) else "two_factor_setup", here
        )
        if htmx:
            return HttpResponseClientRedirect(target)
        return HttpResponseRedirect(target)


# --- API -------------------------------------------------------------------------------------


def api_refusal(request) -> str:
    """Why this API request must be refused, or "": a session from a browser where the
    member of staff has not given their code. (A token was issued only against a code.)"""
    if not pending(request.user):
        return ""
    if not isinstance(request.successful_authenticator, SessionAuthentication):
        return ""
    return (
        "Two-factor sign-in is not complete: enter the code from your authenticator app in "
        "QAF, then try again."
    )


class AuthTokenWithCodeSerializer(AuthTokenSerializer):
    otp_token = serializers.CharField(
        label="Two-factor code",
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Staff with two-factor sign-in: the 6-digit code from the authenticator app "
        "(or a recovery code).",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if not (enabled() and needs_two_factor(user)):
            return attrs
        if not has_app(user):
            raise serializers.ValidationError(SET_UP_FIRST, code="two_factor_setup")
        code = attrs.get("otp_token") or ""
        if not code.strip():
            raise serializers.ValidationError(
                {"otp_token": f"{ENTER_CODE} (two-factor sign-in is on for staff)"},
                code="required",
            )
        outcome = verify_code(user, code)
        if not outcome.ok:
            raise serializers.ValidationError({"otp_token": outcome.error}, code="invalid")
        return attrs
