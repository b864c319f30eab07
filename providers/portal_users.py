"""A provider organisation's portal users (issue 12): invitations, accepting one, deactivating
and reactivating, and who is the organisation's administrator. Pages and the API call these;
the rules are checked here, in the transaction that writes, with the actor recorded in the
history.

Who may: the roles of ``qaf.scoping.POLICY["providers.provideruser"]`` (officers, managers and
the administrator for any provider; a provider's own administrators for their organisation).
A refusal raises ``qaf.workflow.Forbidden`` (403: not this user) or ``NotNow`` (409: not in
this state), or ``ValidationError`` on a field (400: the email address of an existing
account).

Rules:
- An invitation's link carries a random secret; only its sha256 is stored. It works until its
  ``expires_at`` (``QAF_INVITATION_DAYS`` after it was sent) and once only: accepting locks the
  row with ``SELECT ... FOR UPDATE WHERE accepted_at IS NULL AND revoked_at IS NULL AND
  expires_at >= now AND token_hash = ...`` and writes the account in the same transaction, so
  two tabs at once make one account. Sending again makes a new secret (the old link stops
  working) and a new expiry.
- One open invitation per organisation and address; none for an address that already has an
  account (the username is the address).
- Nobody deactivates themself. A provider's administrator keeps at least one active
  administrator in their organisation (they cannot demote the last one, themself included);
  the council's staff may leave an organisation without one (the person left; staff manage it
  meanwhile).
- A deactivated user cannot sign in, their sessions stop at the next request (Django ignores an
  inactive user's session) and their API token is deleted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from providers.invitations import Invitation, InvitationState, hash_secret, new_secret, state
from providers.models import Provider
from qaf.models import User, record_update
from qaf.scoping import PROVIDER, can, roles_of
from qaf.tokens import revoke_token
from qaf.workflow import Forbidden, NotNow

logger = logging.getLogger(__name__)

POLICY_NAME = "providers.provideruser"
ROLE_REFUSED = (
    "Only the council's quality team and your organisation's administrators manage its users."
)
ASK_AGAIN = "Ask your organisation's administrator to invite you again."


# --- Who may, and what they see ------------------------------------------------------------------


def may_manage(actor: User, provider: Provider | int) -> bool:
    """May ``actor`` manage the users of ``provider``? Staff of the policy's roles: any
    provider; a provider's administrator: their own organisation's only."""
    provider_id = getattr(provider, "pk", provider)
    if not can(actor, "change", POLICY_NAME):
        return False
    return PROVIDER not in roles_of(actor) or actor.provider_id == provider_id


def _check(actor: User, provider_id: int) -> None:
    if not may_manage(actor, provider_id):
        raise Forbidden(ROLE_REFUSED)


def providers_for(actor: User) -> QuerySet[Provider]:
    """The organisations whose users ``actor`` may see: none without the role."""
    if not can(actor, "view", POLICY_NAME):
        return Provider.objects.none()
    return Provider.objects.visible_to(actor)


def users_visible_to(actor: User) -> QuerySet[User]:
    """Provider users ``actor`` may see (staff: every provider's; an administrator: their own
    organisation's; anyone else: none)."""
    if not can(actor, "view", POLICY_NAME):
        return User.objects.none()
    users = User.objects.filter(provider__isnull=False)
    if PROVIDER in roles_of(actor):
        users = users.filter(provider_id=actor.provider_id)
    return users


def invitations_visible_to(actor: User) -> QuerySet[Invitation]:
    if not can(actor, "view", POLICY_NAME):
        return Invitation.objects.none()
    return Invitation.objects.visible_to(actor)


def active_admins(provider_id: int) -> QuerySet[User]:
    return User.objects.filter(provider_id=provider_id, provider_admin=True, is_active=True)


# --- Inviting -------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _existing_account(email: str) -> User | None:
    return User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()


def _refuse_existing(provider: Provider, email: str) -> None:
    account = _existing_account(email)
    if account is None:
        return
    if account.provider_id == provider.pk and not account.is_active:
        message = (
            f"{account.get_full_name() or email} has a deactivated account: reactivate it from "
            "the list of users instead."
        )
    elif account.provider_id == provider.pk:
        message = f"{account.get_full_name() or email} already has an account."
    else:
        # Another organisation's person, or council staff: say no more than that it exists.
        message = (
            "This email address already has a QAF account. Ask the council's quality team "
            "if it should move to your organisation."
        )
    raise ValidationError({"email": message})


def _check_username(email: str) -> None:
    """The address becomes the username: it must be one (no quotes, spaces; 150 at most)."""
    try:
        User._meta.get_field("username").clean(email, None)
    except ValidationError:
        raise ValidationError(
            {
                "email": "This address cannot be a username: use one of at most 150 letters, "
                "digits and the characters @ . + - _"
            }
        ) from None


def invite(
    provider: Provider,
    *,
    actor: User,
    email: str,
    first_name: str,
    last_name: str,
    administrator: bool = False,
    base_url: str,
    now: datetime | None = None,
) -> Invitation:
    """Invite a colleague to ``provider``'s portal and email them the link (after commit).

    An open invitation to the same address that has expired is withdrawn and replaced; one that
    still works is refused (send it again instead)."""
    _check(actor, provider.pk)
    now = now or timezone.now()
    email = normalise_email(email)
    secret, token_hash = new_secret()
    invitation = Invitation(
        provider=provider,
        email=email,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        administrator=bool(administrator),
        token_hash=token_hash,
        invited_by=actor,
        sent_by=actor,
        created_at=now,
        sent_at=now,
        expires_at=now + timedelta(days=settings.QAF_INVITATION_DAYS),
    )
    invitation.full_clean(exclude=["token_hash"], validate_constraints=False)
    _check_username(email)
    _refuse_existing(provider, email)
    try:
        with transaction.atomic():
            waiting = (
                Invitation.objects.select_for_update()
                .open()
                .filter(provider=provider, email=email)
                .first()
            )
            if waiting is not None:
                if state(waiting, now) == InvitationState.PENDING:
                    raise ValidationError(
                        {
                            "email": f"{waiting.full_name} was invited on "
                            f"{_when(waiting.sent_at)}; the invitation works until "
                            f"{_when(waiting.expires_at)}. Send it again from the list if the "
                            "email was lost."
                        }
                    )
                _withdraw(waiting, actor=actor, now=now, reason="Replaced by a new invitation")
            invitation._history_user = actor
            invitation.save()
            _after_commit(partial(_send, invitation.pk, secret, base_url))
    except IntegrityError:
        # Two invitations of one person at once: the constraint lets one through.
        raise NotNow("This person was invited a moment ago: see the list.") from None
    logger.info("Invitation %s to provider %s by user %s", invitation.pk, provider.pk, actor.pk)
    return invitation


def resend(
    invitation: Invitation, *, actor: User, base_url: str, now: datetime | None = None
) -> Invitation:
    """A new link (the old one stops working) and a new expiry, emailed again."""
    _check(actor, invitation.provider_id)
    now = now or timezone.now()
    secret, token_hash = new_secret()
    with transaction.atomic():
        updated = (
            Invitation.objects.open()
            .filter(pk=invitation.pk)
            .update(
                token_hash=token_hash,
                sent_at=now,
                sent_by=actor,
                expires_at=now + timedelta(days=settings.QAF_INVITATION_DAYS),
            )
        )
        if not updated:
            raise NotNow(_closed_reason(invitation))
        record_update(invitation, actor, "sent_at")
        _after_commit(partial(_send, invitation.pk, secret, base_url))
    return invitation


def withdraw(invitation: Invitation, *, actor: User, now: datetime | None = None) -> Invitation:
    """The link stops working; the person can be invited again."""
    _check(actor, invitation.provider_id)
    with transaction.atomic():
        _withdraw(invitation, actor=actor, now=now or timezone.now())
    return invitation


def _withdraw(invitation: Invitation, *, actor: User, now: datetime, reason: str = "") -> None:
    updated = (
        Invitation.objects.open().filter(pk=invitation.pk).update(revoked_at=now, revoked_by=actor)
    )
    if not updated:
        raise NotNow(_closed_reason(invitation))
    if reason:
        invitation._change_reason = reason
    record_update(invitation, actor, "revoked_at")


def _closed_reason(invitation: Invitation) -> str:
    fresh = Invitation.objects.get(pk=invitation.pk)
    if fresh.accepted_at:
        return f"{fresh.full_name} accepted the invitation on {_when(fresh.accepted_at)}."
    return f"The invitation of {fresh.full_name} was withdrawn on {_when(fresh.revoked_at)}."


def _when(moment: datetime | None) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localtime(moment), "j F Y H:i") if moment else ""


def _after_commit(send) -> None:
    # The email goes once the invitation is committed: a rolled-back one is never sent.
    transaction.on_commit(send)


def link_path(secret: str) -> str:
    return reverse("providers:accept_invitation", args=[secret])


def _send(invitation_id: int, secret: str, base_url: str) -> None:
    """Email the link (after the invitation is committed). A failure is logged: the
    administrator sees the invitation waiting and can send it again."""
    invitation = Invitation.objects.select_related("provider", "sent_by").get(pk=invitation_id)
    context = {
        "invitation": invitation,
        "link": base_url.rstrip("/") + link_path(secret),
        "days": settings.QAF_INVITATION_DAYS,
        "expires": _when(invitation.expires_at),
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.COUNCIL_SERVICE_NAME,
    }
    try:
        send_mail(
            subject=f"{settings.COUNCIL_NAME}: you are invited to the provider portal for "
            f"{invitation.provider.name}",
            message=render_to_string("providers/users/invitation_email.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invitation.email],
        )
    except Exception:
        logger.exception("Invitation %s: the email could not be sent", invitation_id)


# --- Accepting -----------------------------------------------------------------------------------


class LinkRefused(Exception):
    """The link does not work (unknown, replaced, used, withdrawn or expired): ``reason`` says
    which and what to do."""

    def __init__(self, reason: str, *, title: str = "This invitation link does not work"):
        super().__init__(reason)
        self.reason = reason
        self.title = title


def find(secret: str, *, now: datetime | None = None) -> Invitation:
    """The invitation the link names, if it still works, else ``LinkRefused``."""
    invitation = (
        Invitation.objects.filter(token_hash=hash_secret(secret or ""))
        .select_related("provider")
        .first()
    )
    _check_link(invitation, now or timezone.now())
    return invitation


def _check_link(invitation: Invitation | None, now: datetime) -> None:
    if invitation is None:
        raise LinkRefused(
            "The link is not complete, or a newer invitation has replaced it. If you were sent "
            f"a newer email, use the link in that one. Otherwise: {ASK_AGAIN.lower()}"
        )
    current = state(invitation, now)
    if current == InvitationState.ACCEPTED:
        raise LinkRefused(
            "This invitation has already been used to set a password. Sign in with your email "
            "address and that password, or use \u201cForgotten your password?\u201d on the "
            "sign-in page.",
            title="This invitation has already been used",
        )
    if current == InvitationState.WITHDRAWN:
        raise LinkRefused(
            f"Your organisation withdrew this invitation. {ASK_AGAIN}",
            title="This invitation was withdrawn",
        )
    if current == InvitationState.EXPIRED:
        raise LinkRefused(
            f"The invitation expired on {_when(invitation.expires_at)}. {ASK_AGAIN}",
            title="This invitation has expired",
        )


def new_user_for(invitation: Invitation) -> User:
    """The account an invitation makes (unsaved): the username is the email address."""
    return User(
        username=invitation.email,
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        provider_id=invitation.provider_id,
        provider_admin=invitation.administrator,
        roles=[],
    )


def accept(secret: str, *, password: str, now: datetime | None = None) -> User:
    """Make the invited person's account with ``password`` (Django's password validators), once.

    ``LinkRefused`` when the link does not work (any more); ``ValidationError`` for a password
    the validators refuse (nothing is written)."""
    now = now or timezone.now()
    invitation = find(secret, now=now)
    user = new_user_for(invitation)
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            # Claim the invitation: lock it only while it is open, unexpired and this is its
            # link. A second tab waits here, then finds it accepted (PostgreSQL checks the
            # conditions again on the row as the first left it).
            claimed = (
                Invitation.objects.select_for_update()
                .filter(
                    pk=invitation.pk,
                    token_hash=invitation.token_hash,
                    accepted_at__isnull=True,
                    revoked_at__isnull=True,
                    expires_at__gte=now,
                )
                .first()
            )
            if claimed is None:
                _check_link(Invitation.objects.filter(pk=invitation.pk).first(), now)
                raise LinkRefused(ASK_AGAIN)  # a newer link replaced it meanwhile
            user.date_joined = now
            user._history_user = invitation.sent_by
            user._change_reason = f"Accepted the invitation sent by {invitation.sent_by}"
            user.full_clean(exclude=["password"], validate_unique=False)
            user.save()
            Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
                accepted_at=now, user=user
            )
            invitation._change_reason = "Accepted"
            record_update(invitation, user, "accepted_at")
    except IntegrityError:
        # The address got an account meanwhile (the username is unique).
        raise LinkRefused(
            "An account with your email address already exists. Sign in with it, or ask your "
            "organisation's administrator."
        ) from None
    logger.info("Invitation %s accepted: user %s", invitation.pk, user.pk)
    return user


# --- Deactivating, reactivating, administrators ----------------------------------------------


def _provider_user(user: User) -> None:
    if not user.provider_id:
        raise NotNow("Only provider users are managed here; council staff in the admin pages.")


def deactivate(user: User, *, actor: User) -> User:
    """The user can no longer sign in or use the API; their history stays."""
    _provider_user(user)
    _check(actor, user.provider_id)
    if user.pk == actor.pk:
        raise Forbidden("You cannot deactivate your own account. Ask another administrator.")
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
            raise NotNow(f"{user} is already deactivated.")
        record_update(user, actor, "is_active")
        revoke_token(user)
    logger.info("User %s deactivated by user %s", user.pk, actor.pk)
    return user


def reactivate(user: User, *, actor: User) -> User:
    _provider_user(user)
    _check(actor, user.provider_id)
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
            raise NotNow(f"{user} is already active.")
        record_update(user, actor, "is_active")
    logger.info("User %s reactivated by user %s", user.pk, actor.pk)
    return user


def set_administrator(user: User, administrator: bool, *, actor: User) -> User:
    """Make ``user`` their organisation's administrator, or not. A provider's administrator
    cannot remove the organisation's last active administrator (themself included)."""
    _provider_user(user)
    _check(actor, user.provider_id)
    with transaction.atomic():
        # Lock the organisation's administrators, so two demotions at once cannot leave none.
        admins = list(
            active_admins(user.provider_id).select_for_update().values_list("pk", flat=True)
        )
        if administrator:
            updated = User.objects.filter(pk=user.pk, is_active=True, provider_admin=False)
            if not updated.update(provider_admin=True):
                raise NotNow(
                    f"{user} is already an administrator."
                    if user.pk in admins
                    else f"{user} is deactivated: reactivate them first."
                )
        else:
            if PROVIDER in roles_of(actor) and admins == [user.pk]:
                raise NotNow(
                    f"{user} is the organisation's only active administrator: make someone else "
                    "an administrator first."
                )
            if not User.objects.filter(pk=user.pk, provider_admin=True).update(
                provider_admin=False
            ):
                raise NotNow(f"{user} is not an administrator.")
        record_update(user, actor, "provider_admin")
    return user
