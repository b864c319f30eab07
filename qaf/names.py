"""The full names free text written about a provider must not hold: the council's staff and the
provider's own users (people who use the service have no accounts, so guidance is what keeps
their names out). Shared by every place that sends such text outside the council: the
shared-outcomes export (reviews.shared_outcomes) and the public summaries (reviews.public.names_in).

A full name is the user's first and last name, spaces normalised; it is found in the text
case-insensitively, spaces normalised too, so "OLIVIA  SMITH" is Olivia Smith.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

STAFF = None  # the key of the council's staff in ``names_near``


def _normal(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def names_near(provider_ids: Iterable[int]) -> dict[int | None, set[str]]:
    """The full names of the council's staff (under ``STAFF``) and of each provider's users
    (under the provider's id), in one query."""
    from django.db.models import Q

    from qaf.models import User

    ids = set(provider_ids)
    people = User.objects.filter(Q(provider__isnull=True) | Q(provider_id__in=ids)).exclude(
        last_name=""
    )
    names: dict[int | None, set[str]] = {STAFF: set(), **{pk: set() for pk in ids}}
    for provider_id, first, last in people.values_list("provider_id", "first_name", "last_name"):
        full = " ".join(f"{first} {last}".split())
        if " " in full:
            names[provider_id].add(full)
    return names


def named_in(text: str, names: Iterable[str]) -> list[str]:
    """The names (full names) that ``text`` holds, sorted; empty when it names none of them."""
    normal = _normal(text)
    if not normal:
        return []
    return sorted(
        {name for name in names if re.search(rf"(?<!\w){re.escape(_normal(name))}(?!\w)", normal)}
    )


def named_for_provider(text: str, provider_id: int, names: dict[int | None, set[str]]):
    """The staff and the provider's users ``text`` names (``names`` from ``names_near``)."""
    return named_in(text, names.get(STAFF, set()) | names.get(provider_id, set()))
