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
