"""The name django-axes counts a sign-in attempt under (``AXES_USERNAME_CALLABLE``).

Axes stores the typed username in a 255-character column: a longer one overflowed it, and the
sign-in page and token endpoint answered 500. Cut to the column, the attempt is an ordinary
failure (no account has such a name) and counts towards the lockout like any other.
"""

from __future__ import annotations

from axes.models import AccessAttempt

MAX_LENGTH = AccessAttempt._meta.get_field("username").max_length


def axes_username(request, credentials: dict | None = None) -> str | None:
    """axes' own rule (the credentials' ``username``, else the posted one), cut to fit."""
    if credentials:
        name = credentials.get("username")
    else:
        name = getattr(request, "data", request.POST).get("username")
    return name[:MAX_LENGTH] if isinstance(name, str) else name
