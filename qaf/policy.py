"""Settings an administrator changes without a deploy (SPEC §5): one registry, one accessor.

Every number a workflow reads (a deadline in days, an interval in months, a threshold) is
registered once, with its default, its label on the policy page and its limits::

    policy.register(
        "provider_comment_days", 14, "Provider comments on a draft report due after",
        section=policy.REVIEWS,  # unit="days" by default; the form adds " (days)"
    )

and read through ``setting(name)``, ``deadline(name)`` (a whole number of days) or
``due_date(name, start)``: the value of the current policy version, or the registered default
when that version has none (a setting registered after it was saved). The administrator's
policy form (``risk.forms.PolicyForm``) shows and validates every registered setting, so an app
adds a deadline by registering a name: no form, template or migration to change.

The values are stored with the risk matrix in ``risk.models.PolicyVersion.schedules``: one
versioned policy, each version immutable, every edit re-rating the services. The model stays in
``risk`` because the matrix half of each version is the risk engine's and every risk result
points at the version it was computed with; this module reads it through the app registry.

Apps register in their ``AppConfig.ready()`` (or in a module it imports), so the registry is
complete before any request or job reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

# Sections of the policy page, in this order (an app may name its own).
SCHEDULES = "Review schedules"
REVIEWS = "Reviews and information requests"
ESCALATION = "Improvement plans, suspensions and escalation"
NOTICES = "Notices and the dashboard"
SECTION_ORDER = (SCHEDULES, REVIEWS, ESCALATION, NOTICES)

UNITS = {
    "days": ("day", "days"),
    "months": ("month", "months"),
    "people": ("person", "people"),
    "entries": ("entry", "entries"),
    "services": ("service", "services"),
    "%": ("", ""),
}


@dataclass(frozen=True)
class Setting:
    """One registered setting. ``default`` is a whole number, or for a setting per category
    (per RAG, per regulator rating) a dict of them whose keys ``parts`` labels."""

    name: str
    default: int | dict[str, int]
    label: str  # for a dict setting, with "{part}" where the part's label goes
    section: str
    unit: str = "days"
    minimum: int = 1
    maximum: int = 600
    parts: Mapping[str, str] = field(default_factory=dict)
    validators: tuple[Callable[[int], None], ...] = ()

    @property
    def is_per_part(self) -> bool:
        return isinstance(self.default, dict)

    def part_label(self, part: str) -> str:
        return self.label.format(part=self.parts.get(part, part.replace("_", " ").capitalize()))

    def describe(self, value: int | dict[str, int]) -> str:
        """The value in words for the policy page: "14 days", "Green 24, Amber 12 months"."""
        one, many = UNITS.get(self.unit, ("", ""))
        if isinstance(value, dict):
            parts = ", ".join(
                f"{self.parts.get(key, key.replace('_', ' ').capitalize())} {n}"
                for key, n in value.items()
            )
            return f"{parts} ({many})" if many else parts
        if self.unit == "%":
            return f"{value}%"
        return f"{value} {one if value == 1 else many}".strip()


_REGISTRY: dict[str, Setting] = {}


def register(
    name: str,
    default: int | dict[str, int],
    label: str,
    *,
    section: str,
    unit: str = "days",
    minimum: int = 1,
    maximum: int = 600,
    parts: Mapping[str, str] | None = None,
    validators: tuple[Callable[[int], None], ...] = (),
) -> Setting:
    """Register a setting (once: a second registration of a name must be identical, so that
    a module imported twice does no harm and two apps cannot claim one name)."""
    if unit not in UNITS:
        raise ValueError(f"Unknown unit {unit!r} for {name}: one of {', '.join(UNITS)}")
    entry = Setting(
        name=name,
        default=default,
        label=label,
        section=section,
        unit=unit,
        minimum=minimum,
        maximum=maximum,
        parts=dict(parts or {}),
        validators=tuple(validators),
    )
    known = _REGISTRY.get(name)
    if known is not None and known != entry:
        raise ValueError(f"The policy setting {name!r} is already registered differently")
    _REGISTRY[name] = entry
    return entry


def registered() -> list[Setting]:
    """Every registered setting, in registration order."""
    return list(_REGISTRY.values())


def sections() -> list[tuple[str, list[Setting]]]:
    """The registered settings by section: the known sections first, then any other."""
    grouped: dict[str, list[Setting]] = {name: [] for name in SECTION_ORDER}
    for entry in _REGISTRY.values():
        grouped.setdefault(entry.section, []).append(entry)
    return [(name, entries) for name, entries in grouped.items() if entries]


def get(name: str) -> Setting:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"No policy setting {name!r} is registered (qaf.policy.register)") from None


def defaults() -> dict[str, Any]:
    """The registered defaults: what the first policy version stores."""
    return {s.name: _copy(s.default) for s in _REGISTRY.values()}


def values(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored values of a version over the registered defaults (a value the version lacks
    is the default; a dict setting missing a part takes that part's default)."""
    out = dict(stored or {})
    for s in _REGISTRY.values():
        value = out.get(s.name)
        if value is None:
            out[s.name] = _copy(s.default)
        elif isinstance(s.default, dict) and isinstance(value, dict):
            out[s.name] = {**s.default, **value}
    return out


def current_values() -> dict[str, Any]:
    """Every setting of the current policy version."""
    return values(_current_policy().schedules)


def setting(name: str, *, policy=None) -> Any:
    """A setting's value in ``policy`` (a ``PolicyVersion``; the current one by default)."""
    entry = get(name)
    stored = (policy or _current_policy()).schedules or {}
    value = stored.get(name)
    if value is None:
        return _copy(entry.default)
    if isinstance(entry.default, dict):
        return {**entry.default, **value}
    return int(value)


def deadline(name: str, *, policy=None) -> int:
    """A whole number of days (a setting registered with ``unit="days"``)."""
    entry = get(name)
    if entry.unit != "days" or entry.is_per_part:
        raise ValueError(f"{name} is not a number of days")
    return setting(name, policy=policy)


def due_date(name: str, start: date, *, policy=None) -> date:
    """``start`` plus the setting, in its unit (days or calendar months)."""
    entry = get(name)
    amount = setting(name, policy=policy)
    if entry.unit == "days":
        return start + timedelta(days=amount)
    if entry.unit == "months":
        return start + relativedelta(months=amount)
    raise ValueError(f"{name} is not a period of days or months")


def _current_policy():
    from django.apps import apps

    return apps.get_model("risk", "PolicyVersion").current()


def _copy(value):
    return dict(value) if isinstance(value, dict) else value
