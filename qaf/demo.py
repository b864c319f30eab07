"""Demo people for ``seed_demo`` (SPEC §9 names)."""

from __future__ import annotations

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
    ("provider_a", "Provider user, Sunrise Care Ltd"),
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


def seed_provider_users(context) -> None:
    for username, (first, last, provider_name, title) in _PROVIDER_USERS.items():
        _ensure_user(
            context,
            username,
            first_name=first,
            last_name=last,
            job_title=title,
            provider=context["providers"][provider_name],
        )
