"""``seed_demo``'s memo: one Managed Placements Memo issued, from the demo's suspensions.

Runs last (qaf/management/commands/seed_demo.py), after the suspensions are in place; issues
nothing when a memo has been issued already, so a second run changes nothing.
"""

from __future__ import annotations

from escalation import memo_services
from escalation.models import MemoIssue


def seed_memo(context) -> None:
    if MemoIssue.objects.exists():
        context["created"].setdefault("memo issues", 0)
        return
    manager = context["staff"]["manager"]
    memo_services.issue(actor=manager, expected_previous=None)
    context["created"]["memo issues"] = 1
