"""Scoring a review (SPEC §6) as pure functions.

Standard score = the mean of its answered questions (not applicable left out); standard RAG:
mean >= 3 Green, >= 2 Amber, else Red; the suggested review RAG is the worst standard RAG.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from qaf.rag import AMBER, GREEN, RED, worst


@dataclass(frozen=True)
class StandardScore:
    standard_id: int
    answered: int
    mean: Decimal | None
    rag: str | None

    @property
    def mean_display(self) -> str:
        return f"{self.mean:.2f}" if self.mean is not None else "Not scored"


def standard_rag(mean: Decimal | None) -> str | None:
    if mean is None:
        return None
    if mean >= 3:
        return GREEN
    if mean >= 2:
        return AMBER
    return RED


def score_standard(standard_id: int, points: Iterable[int | None]) -> StandardScore:
    """``points``: 4/3/2/1 per answered question, None for not applicable or unanswered."""
    scored = [p for p in points if p is not None]
    if not scored:
        return StandardScore(standard_id, 0, None, None)
    mean = (Decimal(sum(scored)) / len(scored)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    # The RAG is decided on the exact mean, not the rounded one (2.995 is not Green).
    exact = Decimal(sum(scored)) / len(scored)
    return StandardScore(standard_id, len(scored), mean, standard_rag(exact))


def suggested_rating(standards: Iterable[StandardScore]) -> str | None:
    return worst(s.rag for s in standards)
