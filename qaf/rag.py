"""Red, Amber, Green: the one definition of the RAG values, their labels and their order.

Risk results (SPEC §4), review ratings and standard scores (SPEC §6), the dashboard, charts
and downloads all rate with these three values; the escalation workflows will too. The values
are what the database stores ("green", "amber", "red"): never change them.

``worst(rags)`` is SPEC §4's "Red over Amber over Green" (and §6's suggested review rating,
the worst standard RAG); ``severity(rag)`` is its order as a number, for comparisons and for
sorting in SQL (``rank_expression``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models


class Rag(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


GREEN, AMBER, RED = Rag.GREEN.value, Rag.AMBER.value, Rag.RED.value
# A factor of the risk matrix that does not apply to a service (never an overall rating).
NOT_APPLICABLE = "n/a"

# Best to worst. Anything else (no rating yet, "n/a") is below Green.
ORDER: tuple[str, ...] = (GREEN, AMBER, RED)
# What a risk factor's "rag" may be (SPEC §9): a RAG, or n/a.
FACTOR_VALUES: tuple[str, ...] = (*ORDER, NOT_APPLICABLE)
WORST_FIRST: tuple[str, ...] = tuple(reversed(ORDER))
_SEVERITY = {rag: index for index, rag in enumerate(ORDER)}
LABELS: dict[str, str] = dict(Rag.choices)


def severity(rag: str | None) -> int:
    """Green 0, Amber 1, Red 2; no rating (None, "", "n/a") -1."""
    return _SEVERITY.get(rag or "", -1)


def worst(rags: Iterable[str | None]) -> str | None:
    """The worst RAG of ``rags``, leaving out what is not a RAG (None, "", "n/a"); None if
    there is none."""
    rated = [rag for rag in rags if rag in _SEVERITY]
    return max(rated, key=_SEVERITY.__getitem__) if rated else None


def is_worse(new: str | None, old: str | None) -> bool:
    """``new`` is further up the scale than ``old`` (a first rating, from none, is not)."""
    return bool(old) and severity(new) > severity(old)


def label(rag: str | None, default: str = "") -> str:
    """ "Green", "Amber", "Red"; ``default`` for no rating."""
    return LABELS.get(rag or "", default) if rag else default


def rank_expression(path: str) -> models.Case:
    """SQL for sorting by a RAG column: Red 3, Amber 2, Green 1, none 0 (descending puts Red
    first)."""
    return models.Case(
        *(models.When(**{path: rag}, then=models.Value(severity(rag) + 1)) for rag in ORDER),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )
