"""Early warning (issue 14 item 2): is the intelligence about a service getting worse?

``decide(counts, thresholds)`` is the rule, a pure function: the counts of one service in, a
decision with its reason in plain words out. Nothing here reads the database: the nightly step
(``risk.early_warning_job``) counts every service's entries set-based and stores the decisions.

The rule (docs/early-warning.md): the entries of concern (``KINDS``) about a service in the
rolling ``WINDOW_DAYS`` days up to today, provider-wide entries of its provider included, raise
a "getting worse" flag when

1. there are at least ``early_warning_min_entries`` of them, and
2. they are at least ``early_warning_own_percent`` % of the service's own rate per 90 days over
   the ``BASELINE_DAYS`` days before the window (skipped for a service known for fewer than
   ``early_warning_min_history_days`` days of that year: a new service has no rate of its own),
   and
3. they are at least ``early_warning_peer_percent`` % of the rate per 90 days of the services of
   the same type and size band over that year (skipped when fewer than
   ``early_warning_min_peers`` such services have any history).

With neither comparison possible, the minimum alone decides. The flag looks only at the
intelligence, so it is raised before the risk matrix moves the rating.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from providers.models import IntelligenceKind, ServiceType
from qaf import policy

WINDOW_DAYS = 90  # "the rolling 90 days" of the issue
BASELINE_DAYS = 365  # the year before the window
WEEKS = 65  # the sparkline: 65 weeks cover the window and the year before it (455 days)
SECTION = "Early warning"

# The kinds of intelligence that signal a problem (issue 14 item 2), in the order the reason
# names them. Feedback, surveys, audits and meetings are contact, not concerns.
KINDS: tuple[str, ...] = (
    IntelligenceKind.COMPLAINT,
    IntelligenceKind.SAFEGUARDING_CONCERN,
    IntelligenceKind.SAFEGUARDING_ENQUIRY,
    IntelligenceKind.WHISTLEBLOWING,
    IntelligenceKind.PROVIDER_NOTIFICATION,
    IntelligenceKind.CONTRACT_DEFAULT_NOTICE,
)
KIND_WORDS: dict[str, tuple[str, str]] = {
    IntelligenceKind.COMPLAINT: ("complaint", "complaints"),
    IntelligenceKind.SAFEGUARDING_CONCERN: ("safeguarding concern", "safeguarding concerns"),
    IntelligenceKind.SAFEGUARDING_ENQUIRY: ("safeguarding enquiry", "safeguarding enquiries"),
    IntelligenceKind.WHISTLEBLOWING: ("whistleblowing report", "whistleblowing reports"),
    IntelligenceKind.PROVIDER_NOTIFICATION: ("provider notification", "provider notifications"),
    IntelligenceKind.CONTRACT_DEFAULT_NOTICE: (
        "contract default notice",
        "contract default notices",
    ),
}
TYPE_PLURALS: dict[str, str] = {
    ServiceType.CARE_HOME_NURSING: "care homes with nursing",
    ServiceType.CARE_HOME: "care homes without nursing",
    ServiceType.DOMICILIARY_CARE: "domiciliary care services",
    ServiceType.SUPPORTED_LIVING: "supported living services",
    ServiceType.EXTRA_CARE: "extra care services",
    ServiceType.DAY_SERVICE: "day services",
    ServiceType.CHILDRENS_HOME: "children's homes",
    ServiceType.FOSTERING_AGENCY: "fostering agencies",
    ServiceType.OTHER: "other services",
}

# Size bands: by capacity (beds, or people it can support), else by council-funded people.
# (upper bound inclusive, key, words); the last band has no upper bound.
SIZE_BANDS: tuple[tuple[int | None, str, str], ...] = (
    (10, "small", "up to 10 places"),
    (40, "medium", "11 to 40 places"),
    (None, "large", "more than 40 places"),
)
UNKNOWN_SIZE = "unknown"
SIZE_WORDS = {key: words for _, key, words in SIZE_BANDS} | {UNKNOWN_SIZE: "size not recorded"}

_SETTINGS = (
    policy.register(
        "early_warning_min_entries",
        3,
        "Getting worse: at least this many complaints, concerns and notices in 90 days",
        section=SECTION,
        unit="entries",
        maximum=100,
    ),
    policy.register(
        "early_warning_own_percent",
        200,
        "\u2026and at least this percentage of the service's own rate over the year before",
        section=SECTION,
        unit="%",
        minimum=100,
        maximum=1000,
    ),
    policy.register(
        "early_warning_peer_percent",
        150,
        "\u2026and at least this percentage of the rate of services of the same type and size",
        section=SECTION,
        unit="%",
        minimum=100,
        maximum=1000,
    ),
    policy.register(
        "early_warning_min_history_days",
        180,
        "Compare with the service's own rate only when it was known for at least",
        section=SECTION,
        maximum=BASELINE_DAYS,
    ),
    policy.register(
        "early_warning_min_peers",
        3,
        "Compare with services of the same type and size only when there are at least",
        section=SECTION,
        unit="services",
        maximum=1000,
    ),
)
SETTING_NAMES = tuple(entry.name for entry in _SETTINGS)


@dataclass(frozen=True)
class Thresholds:
    min_entries: int = 3
    own_percent: int = 200
    peer_percent: int = 150
    min_history_days: int = 180
    min_peers: int = 3

    @classmethod
    def from_policy(cls, values: Mapping[str, Any]) -> Thresholds:
        """From the settings of a policy version (``qaf.policy.values``)."""
        return cls(*(int(values[name]) for name in SETTING_NAMES))


@dataclass(frozen=True)
class Counts:
    """One service's entries of concern, counted by the nightly step."""

    recent: Mapping[str, int]  # by kind, in the last WINDOW_DAYS days
    previous: int  # in the BASELINE_DAYS days before the window
    history_days: int  # days of that year the service was known (0 to BASELINE_DAYS)
    peers: int = 0  # services of the same type and size band with any history (not this one)
    peer_entries: int = 0  # their entries over that year
    peer_days: int = 0  # the sum of their history days
    service_type: str = ServiceType.OTHER
    size_band: str = UNKNOWN_SIZE

    @property
    def total(self) -> int:
        return sum(self.recent.values())


@dataclass(frozen=True)
class Decision:
    flagged: bool
    reason: str
    own_rate: Fraction | None  # entries per WINDOW_DAYS days over the year before
    peer_rate: Fraction | None


def size_band(capacity: int | None, council_funded_people: int | None) -> str:
    size = capacity if capacity else council_funded_people
    if not size:
        return UNKNOWN_SIZE
    for upper, key, _ in SIZE_BANDS:
        if upper is None or size <= upper:
            return key
    return UNKNOWN_SIZE  # pragma: no cover - the last band has no bound


def own_rate(counts: Counts, thresholds: Thresholds) -> Fraction | None:
    if counts.history_days < max(thresholds.min_history_days, 1):
        return None
    days = min(counts.history_days, BASELINE_DAYS)
    return Fraction(counts.previous * WINDOW_DAYS, days)


def peer_rate(counts: Counts, thresholds: Thresholds) -> Fraction | None:
    if counts.peers < max(thresholds.min_peers, 1) or counts.peer_days <= 0:
        return None
    # Weighted by how long each peer was known: a new peer does not pull the rate down.
    return Fraction(counts.peer_entries * WINDOW_DAYS, counts.peer_days)


def decide(counts: Counts, thresholds: Thresholds) -> Decision:
    total = counts.total
    own = own_rate(counts, thresholds)
    peers = peer_rate(counts, thresholds)
    what = f"{describe_kinds(counts.recent)} in the last {WINDOW_DAYS} days"
    comparison = _comparison(counts, own, peers)

    if total < thresholds.min_entries:
        reason = (
            f"{what}: fewer than the {thresholds.min_entries} that can raise a flag."
            if total
            else f"No complaints, safeguarding concerns or notices in the last {WINDOW_DAYS} days."
        )
        return Decision(False, reason, own, peers)
    if own is not None and total * 100 < own * thresholds.own_percent:
        needed = own * thresholds.own_percent / 100
        reason = (
            f"{what}, {comparison}: not above the service's own rate (a flag needs "
            f"{thresholds.own_percent}% of it, {_rate(needed)})."
        )
        return Decision(False, reason, own, peers)
    if peers is not None and total * 100 < peers * thresholds.peer_percent:
        needed = peers * thresholds.peer_percent / 100
        reason = (
            f"{what}, {comparison}: usual for {TYPE_PLURALS.get(counts.service_type, 'services')}"
            f" of this size (a flag needs {thresholds.peer_percent}% of their rate, "
            f"{_rate(needed)})."
        )
        return Decision(False, reason, own, peers)
    return Decision(True, f"{_capitalise(what)}, {comparison}.", own, peers)


def describe_kinds(recent: Mapping[str, int]) -> str:
    """ "3 complaints and 2 safeguarding concerns", kinds in ``KINDS`` order."""
    parts = [
        f"{n} {KIND_WORDS[kind][0] if n == 1 else KIND_WORDS[kind][1]}"
        for kind in KINDS
        if (n := recent.get(kind, 0))
    ]
    if not parts:
        return "No complaints, safeguarding concerns or notices"
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _comparison(counts: Counts, own: Fraction | None, peers: Fraction | None) -> str:
    if own is None:
        mine = "with too little history of its own to compare with"
    elif own == 0:
        mine = "against none in the year before"
    else:
        mine = f"against {_rate(own)} per {WINDOW_DAYS} days over the year before"
    kind = TYPE_PLURALS.get(counts.service_type, "services")
    size = SIZE_WORDS.get(counts.size_band, SIZE_WORDS[UNKNOWN_SIZE])
    if peers is None:
        theirs = f"too few other {kind} of this size ({size}) to compare with"
    else:
        theirs = f"{_rate(peers)} for other {kind} of this size ({size})"
    return f"{mine} and {theirs}"


def rate_to_tenth(value: Fraction) -> Decimal:
    """A rate rounded once, half up, to one decimal place: the reason's words, the stored
    rates and the pages all show this figure (rounding a rounded figure again could differ)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def _rate(value: Fraction) -> str:
    return str(rate_to_tenth(value))


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
