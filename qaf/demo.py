"""Demo people for ``seed_demo`` (SPEC §9 names)."""

from __future__ import annotations

from datetime import timedelta

from qaf.models import Role, User

DEMO_USERS = [
    ("admin", "Administrator"),
    ("officer", "Quality officer"),
    ("officer2", "Quality officer"),
    ("manager", "Quality manager"),
    ("manager2", "Quality manager"),
    ("board", "Board member (decision maker)"),
    ("board2", "Board member"),
    ("board3", "Board member"),
    ("partner", "Partner, read-only (safeguarding team)"),
    ("provider_a", "Provider user and administrator, Sunrise Care Ltd"),
    ("provider_a2", "Provider user, Sunrise Care Ltd"),
    ("provider_b", "Provider user, Oak Lodge Ltd"),
]

_STAFF = {
    "admin": ("Alex", "Admin", [Role.ADMIN], "System owner"),
    "officer": ("Olivia", "Okafor", [Role.OFFICER], "Quality Monitoring Officer"),
    "officer2": ("Owen", "Price", [Role.OFFICER], "Commercial and Quality Support Officer"),
    "manager": ("Maya", "Mistry", [Role.MANAGER], "Commercial and Quality Support Manager"),
    "manager2": ("Mo", "Hughes", [Role.MANAGER], "Quality Team Manager"),
    "board": ("Bea", "Barker", [Role.BOARD], "Director of Adult Social Care"),
    "board2": ("Ben", "Clarke", [Role.BOARD], "Head of Finance"),
    "board3": ("Bryony", "Shah", [Role.BOARD], "Head of Commissioning"),
    "partner": ("Pia", "Patel", [Role.PARTNER], "Safeguarding Adults Team Lead"),
}

_PROVIDER_USERS = {
    "provider_a": ("Pat", "Jones", "Sunrise Care Ltd", "Registered Manager"),
    "provider_a2": ("Sam", "Lee", "Sunrise Care Ltd", "Deputy Manager"),
    "provider_b": ("Quinn", "Walsh", "Oak Lodge Ltd", "Operations Director"),
}


def _ensure_user(context, username: str, **fields) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={**fields, "email": f"{username}@demo.qaf.example"}
    )
    if created or not user.check_password(context["password"]):
        user.set_password(context["password"])
        user.save(update_fields=["password"])
    context["created"]["users"] = context["created"].get("users", 0) + int(created)
    return user


def seed_staff(context) -> None:
    for username, (first, last, roles, title) in _STAFF.items():
        is_admin = Role.ADMIN in roles
        context.setdefault("staff", {})[username] = _ensure_user(
            context,
            username,
            first_name=first,
            last_name=last,
            roles=roles,
            job_title=title,
            is_staff=is_admin,
            is_superuser=is_admin,
        )


# Sunrise's administrator (issue 12): manages Sunrise's portal users.
_PROVIDER_ADMINS = {"provider_a"}
# An invitation Pat sent that is waiting (never emailed: "Resend" sends a working link).
_INVITATION = ("Riley", "Brooks", "riley.brooks@demo.qaf.example", "Sunrise Care Ltd", "provider_a")


def seed_provider_users(context) -> None:
    users = {}
    for username, (first, last, provider_name, title) in _PROVIDER_USERS.items():
        users[username] = _ensure_user(
            context,
            username,
            first_name=first,
            last_name=last,
            job_title=title,
            provider=context["providers"][provider_name],
        )
    for username in _PROVIDER_ADMINS:
        user = users[username]
        if not user.provider_admin:
            user.provider_admin = True
            user.save(update_fields=["provider_admin"])
    _seed_invitation(context, users)


def _seed_invitation(context, users) -> None:
    from django.conf import settings
    from django.utils import timezone

    from providers.invitations import Invitation, new_secret

    first, last, email, provider_name, by = _INVITATION
    provider = context["providers"][provider_name]
    if Invitation.objects.filter(provider=provider, email=email).exists():
        return
    sent = timezone.now() - timedelta(days=2)
    invitation = Invitation(
        provider=provider,
        email=email,
        first_name=first,
        last_name=last,
        token_hash=new_secret()[1],  # the secret is thrown away: nobody has this link
        invited_by=users[by],
        sent_by=users[by],
        created_at=sent,
        sent_at=sent,
        expires_at=sent + timedelta(days=settings.QAF_INVITATION_DAYS),
    )
    invitation._history_user = users[by]
    invitation.save()
    context["created"]["invitations"] = context["created"].get("invitations", 0) + 1
