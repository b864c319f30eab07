"""Shared by the concern level tests: a suggestion waiting, as the nightly job makes it."""

from __future__ import annotations

from datetime import date

from escalation.models import ConcernSuggestion

TODAY = date(2026, 11, 25)


def waiting_suggestion(service, level: int = 2, from_level: int = 1) -> ConcernSuggestion:
    return ConcernSuggestion.objects.create(
        service=service,
        level=level,
        from_level=from_level,
        reasons=["The regulator's overall rating is Requires improvement."],
        triggers=["regulator_requires_improvement"],
        created_for=TODAY,
    )


def board_decides_concern(service, outcome: str, *, bea, maya, members=None, present=None):
    """The board decides the move proposed for ``service`` ("approve" or "reject") at a
    meeting held today (a decision counts only from the day of the proposal on)."""
    from django.utils import timezone

    from escalation.models import ConcernLevel
    from tests.escalation.board_support import QUORATE
    from tests.escalation.revocation_support import board_decides

    return board_decides(
        ConcernLevel.objects.get(pk=service.pk),
        outcome,
        bea=bea,
        maya=maya,
        members=members,
        present=present or QUORATE,
        day=timezone.localdate(),
    )
