"""Invitations of provider portal users (issue 12): an organisation's administrator (or the
council's quality team) invites a colleague by email; the link in the email sets a password once
and expires after ``QAF_INVITATION_DAYS`` days (7 by default).

Only the sha256 of the link's secret is stored: a copy of the database does not let anyone sign
up. An invitation is open until it is accepted or withdrawn; at most one is open per
organisation and email address (a constraint). Whether an open one still works is a matter of
the clock (``state``), so an expired one stays open until it is sent again or withdrawn.

State changes go through ``providers.portal_users``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import models
from simple_history.models import HistoricalRecords

from qaf.scoping import ScopedQuerySet


def new_secret() -> tuple[str, str]:
    """A random secret for a link, and the hash that is stored."""
    secret = secrets.token_urlsafe(32)
    return secret, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class InvitationState(models.TextChoices):
    PENDING = "pending", "Waiting to be accepted"
    EXPIRED = "expired", "Expired"
    ACCEPTED = "accepted", "Accepted"
    WITHDRAWN = "withdrawn", "Withdrawn"


def state(invitation: Invitation, now: datetime) -> str:
    """The invitation's state at ``now``: its link works up to and including ``expires_at``."""
    if invitation.accepted_at is not None:
        return InvitationState.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationState.WITHDRAWN
    if now > invitation.expires_at:
        return InvitationState.EXPIRED
    return InvitationState.PENDING


class InvitationQuerySet(ScopedQuerySet):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor withdrawn (expired or not)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    provider = models.ForeignKey(
        "providers.Provider", on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField("email address", help_text="Stored in lower case")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    administrator = models.BooleanField(
        "will be an administrator",
        default=False,
        help_text="They will manage their organisation's users too.",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        "qaf.User", on_delete=models.PROTECT, related_name="+", verbose_name="invited by"
    )
    created_at = models.DateTimeField()
    # The last time its link was sent (a resend makes a new link): it expires from then.
    sent_at = models.DateTimeField("sent")
    sent_by = models.ForeignKey(
        "qaf.User", on_delete=models.PROTECT, related_name="+", verbose_name="sent by"
    )
    expires_at = models.DateTimeField("expires")
    accepted_at = models.DateTimeField("accepted", null=True, blank=True)
    user = models.ForeignKey(
        "qaf.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The account made when it was accepted",
    )
    revoked_at = models.DateTimeField("withdrawn", null=True, blank=True)
    revoked_by = models.ForeignKey(
        "qaf.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="withdrawn by",
    )

    objects = InvitationQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="providers_one_open_invitation",
                violation_error_message="This person already has an invitation waiting.",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("sent_at")),
                name="providers_invitation_expires_after_sending",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="providers_invitation_accepted_or_withdrawn",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(user__isnull=False),
                name="providers_invitation_accepted_has_user",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.full_name} ({self.email})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
