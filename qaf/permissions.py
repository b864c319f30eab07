"""DRF permission that asks the same question as the pages: ``qaf.scoping.can``."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from qaf.scoping import can

_METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class RolePermission(BasePermission):
    """Role check for the view's model; rows outside the user's scope are 404 by the queryset.

    A workflow action declares its own: ``@action(..., scope_action="approve")`` is checked as
    ``can(user, "approve", model)`` (the viewset declares ``scope_action = None``).
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        # DRF imports this module while its views load; qaf.twofactor imports those views.
        from qaf.twofactor import api_refusal

        refusal = api_refusal(request)  # staff signed in without their two-factor code yet
        if refusal:
            raise PermissionDenied(refusal)
        model = getattr(view, "scoped_model", None)
        if model is None:
            queryset = getattr(view, "queryset", None)
            model = queryset.model if queryset is not None else None
        if model is None:
            return False
        # ``@action(..., scope_action="act")`` arrives as an attribute of the view instance.
        action = getattr(view, "scope_action", None) or _METHOD_ACTIONS.get(
            request.method, "change"
        )
        return can(request.user, action, model)
