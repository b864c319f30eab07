"""Template context for every page: the council's branding and the service navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_staff_member", False))


def _is_provider(user: Any) -> bool:
    return bool(getattr(user, "is_provider_user", False))


def _is_admin(user: Any) -> bool:
    has_role = getattr(user, "has_role", None)
    return bool(has_role and has_role("admin"))


def _is_manager_or_admin(user: Any) -> bool:
    has_role = getattr(user, "has_role", None)
    return bool(has_role and has_role("manager", "admin"))


def _is_provider_admin(user: Any) -> bool:
    return bool(getattr(user, "is_provider_admin", False))


def _own_provider(user: Any) -> dict[str, Any]:
    return {"pk": user.provider_id}


# The service navigation, in order: (label, URL name, who sees it, URL kwargs from the user).
# An item whose URL does not exist (yet) is left out, so apps can add routes independently.
NavItem = tuple[str, str, Callable[[Any], bool], Callable[[Any], dict[str, Any]] | None]
NAV_ITEMS: list[NavItem] = [
    ("Home", "home", lambda user: _is_staff(user) or _is_provider(user), None),
    ("Dashboard", "risk:dashboard", _is_staff, None),
    ("Providers", "providers:provider_list", _is_staff, None),
    ("Services", "providers:service_list", _is_staff, None),
    ("Contracts", "providers:contract_list", _is_staff, None),
    ("Intelligence", "providers:intelligence_list", _is_staff, None),
    ("Reviews", "reviews:review_list", _is_staff, None),
    ("Plans", "escalation:plan_list", _is_staff, None),
    ("Suspensions", "escalation:suspension_list", _is_staff, None),
    ("Escalations", "escalation:case_queue", _is_staff, None),
    ("Managed placements", "memo:current", _is_staff, None),
    ("Board", "board:meetings", _is_staff, None),
    ("Imports", "imports:job_list", _is_manager_or_admin, None),
    ("Our services", "providers:service_list", _is_provider, None),
    ("Our organisation", "providers:provider_detail", _is_provider, _own_provider),
    ("Reviews", "reviews:review_list", _is_provider, None),
    ("Administration", "admin:index", _is_admin, None),
    ("Toolkits", "reviews:toolkit_list", _is_admin, None),
    ("Letters", "letters:list", _is_admin, None),
    ("Data protection", "privacy:index", _is_admin, None),
    ("Evidence library", "providers:evidence_library", _is_provider, None),
    ("Information requests", "reviews:request_list", _is_provider, None),
    ("Improvement plans", "escalation:plan_list", _is_provider, None),
    # The organisation's administrators manage its portal users (issue 12).
    ("Our users", "providers:provider_users", _is_provider_admin, _own_provider),
]


def nav_items(request: HttpRequest) -> list[dict[str, Any]]:
    """The navigation items this request's user may see, each with ``label``, ``url`` and
    ``active`` (the current page is inside the item's URL; Home only on an exact match)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    from qaf.twofactor import pending

    if pending(user):
        return []  # every link would lead back to the code page: show none until it is given
    items = []
    for label, url_name, visible_to, url_kwargs in NAV_ITEMS:
        if not visible_to(user):
            continue
        try:
            url = reverse(url_name, kwargs=url_kwargs(user) if url_kwargs else None)
        except NoReverseMatch:
            continue
        matches = request.path == url if url_name == "home" else request.path.startswith(url)
        items.append({"label": label, "url": url, "active": matches})
    # When URLs nest (/providers/ and /providers/services/) only the closest item is current.
    matching = [item for item in items if item["active"]]
    if len(matching) > 1:
        closest = max(matching, key=lambda item: len(item["url"]))
        for item in matching:
            item["active"] = item is closest
    return items


def qaf(request: HttpRequest) -> dict[str, Any]:
    return {
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.COUNCIL_SERVICE_NAME,
        # Optional phase banner ("Beta"); off unless a QAF_PHASE setting is added.
        "service_phase": getattr(settings, "QAF_PHASE", ""),
        "nav_items": nav_items(request),
    }
