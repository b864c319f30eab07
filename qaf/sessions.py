"""Sessions end after inactivity, and pages warn before they do (SPEC §10, issue 13).

A signed-in browser session ends ``QAF_SESSION_IDLE_MINUTES`` (30 by default) after the user's
last request, and ``SESSION_COOKIE_AGE`` (8 hours) after signing in whatever the activity. The
session records both times (``IdleTimeoutMiddleware``): a shared office computer left signed in
shows nothing for long. Why a middleware rather than ``SESSION_SAVE_EVERY_REQUEST`` with a short
cookie age: that would make the 8 hours an idle limit too, and write the session on every
request; here the last activity is written at most once a minute.

What counts as activity: any request from the user's browser, htmx's included (the visit form's
autosave is someone typing), except those that say ``X-QAF-Background: 1`` (the import page's
progress poll, and the warning script asking how long is left). API requests with a token do
not use the session at all: their own expiry is ``QAF_API_TOKEN_DAYS`` (qaf/tokens.py).

A session that has ended is signed out before any view runs: the page sends the user to sign
in with ``next`` (an htmx request is told to load the sign-in page), and after signing in they
are back where they were. ``static/js/session-timeout.js`` shows a dialog
``QAF_SESSION_WARNING_SECONDS`` before the end, offering "Stay signed in", which posts to
``session_keepalive``.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

logger = logging.getLogger(__name__)

LAST_ACTIVITY = "qaf_last_activity"
SIGNED_IN_AT = "qaf_signed_in_at"
BACKGROUND_HEADER = "HTTP_X_QAF_BACKGROUND"
# The last activity is written when it is older than this: one session write a minute at most.
RECORD_EVERY_SECONDS = 60


def idle_seconds() -> int:
    return settings.QAF_SESSION_IDLE_MINUTES * 60


def _now() -> float:
    return time.time()


def seconds_left(session, now: float | None = None) -> int:
    """Seconds until this session ends for inactivity (or reaches its 8 hours, if sooner)."""
    now = _now() if now is None else now
    last = session.get(LAST_ACTIVITY, now)
    left = idle_seconds() - (now - last)
    signed_in = session.get(SIGNED_IN_AT)
    if signed_in is not None:
        left = min(left, settings.SESSION_COOKIE_AGE - (now - signed_in))
    return max(0, int(left))


def _is_background(request) -> bool:
    return request.META.get(BACKGROUND_HEADER) == "1"


@receiver(user_logged_in)
def _record_sign_in(sender, request, user, **kwargs):
    # login() has already given the session a new key (no fixation); this starts its clocks.
    if request is not None and hasattr(request, "session"):
        now = _now()
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_ACTIVITY] = now


class IdleTimeoutMiddleware:
    """After AuthenticationMiddleware: signs out a session past its idle or absolute limit,
    and records the activity of the others."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = _now()
            session = request.session
            if seconds_left(session, now) <= 0:
                return self._sign_out(request)
            last = session.get(LAST_ACTIVITY)
            if last is None or (not _is_background(request) and now - last >= RECORD_EVERY_SECONDS):
                session[LAST_ACTIVITY] = now
        return self.get_response(request)

    def _sign_out(self, request):
        user = request.user
        signed_in = request.session.get(SIGNED_IN_AT)
        # Which limit ended it: 8 hours since signing in, or the idle minutes.
        whole_day = signed_in is not None and (_now() - signed_in >= settings.SESSION_COOKIE_AGE)
        logger.info(
            "Session of user %s ended %s",
            user.pk,
            "at its time limit" if whole_day else "after inactivity",
        )
        logout(request)
        messages.info(
            request,
            f"You were signed out because you signed in {settings.SESSION_COOKIE_AGE // 3600} "
            "hours ago. Sign in to carry on."
            if whole_day
            else "You were signed out because you had not used QAF for "
            f"{settings.QAF_SESSION_IDLE_MINUTES} minutes. Sign in to carry on.",
        )
        htmx = getattr(request, "htmx", None)
        if htmx:
            # The page that made the request is where to come back to, not the partial (a
            # background poll too: followed, the redirect would swap the sign-in page into it).
            here = htmx.current_url_abs_path or ""
            query = f"?{urlencode({'next': here})}" if here else ""
            return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL) + query)
        # Anything else goes on signed out: a page is sent to sign in with ``next``, the API
        # answers 401/403.
        return self.get_response(request)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def keepalive(request):
    """GET: how long the session has left (the warning script asks with X-QAF-Background, so
    asking is not activity). POST: "Stay signed in", which restarts the idle clock."""
    if request.method == "POST":
        request.session[LAST_ACTIVITY] = _now()
    return JsonResponse(
        {
            "seconds_left": seconds_left(request.session),
            "warning_seconds": settings.QAF_SESSION_WARNING_SECONDS,
        }
    )


def context(request) -> dict:
    """The warning script's figures, for signed-in pages (templates/base.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return {}
    return {
        "session_timeout": {
            "seconds_left": seconds_left(request.session),
            "idle_seconds": idle_seconds(),
            "warning_seconds": settings.QAF_SESSION_WARNING_SECONDS,
        }
    }
