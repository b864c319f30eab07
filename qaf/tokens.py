"""API tokens (SPEC §9) that end: issued for ``QAF_API_TOKEN_DAYS`` days, revoked by their user.

- ``POST /api/v1/auth/token/`` (username, password, and ``otp_token`` for staff with two-factor
  sign-in) answers ``{"token", "expires"}``: the user's current token, or a new one when there
  is none or it has expired. One token per user (DRF's ``authtoken``).
- ``ExpiringTokenAuthentication`` refuses an expired token with a 401 that says so.
- ``DELETE /api/v1/auth/token/`` revokes the caller's own token; so does the button on the
  "API token" page (``/accounts/api-token/``) and signing out of QAF.

The views are in ``qaf.token_views``: this module is DRF's authentication setting, imported
while DRF's own views load.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

logger = logging.getLogger(__name__)

EXPIRED = "The token has expired: ask for a new one with POST /api/v1/auth/token/."


def expires_at(token: Token) -> datetime:
    return token.created + timedelta(days=settings.QAF_API_TOKEN_DAYS)


def is_expired(token: Token, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= expires_at(token)


def issue_token(user) -> Token:
    """The user's token, a new one when they have none or theirs has expired."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and not is_expired(token):
            return token
        if token is not None:
            token.delete()
        token = Token.objects.create(user=user)
    logger.info("API token issued to user %s", user.pk)
    return token


def revoke_token(user) -> bool:
    """Delete the user's token; True when there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        logger.info("API token of user %s revoked", user.pk)
    return bool(deleted)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, but a token older than ``QAF_API_TOKEN_DAYS`` is a 401."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if is_expired(token):
            raise AuthenticationFailed(EXPIRED)
        return user, token


@receiver(user_logged_out)
def _revoke_at_sign_out(sender, request, user, **kwargs):
    # Signing out of QAF ends API access too: a token left behind would outlive the session.
    if user is not None:
        revoke_token(user)
