"""Synthetic register at scale for ``manage.py seed_scale`` and the benchmarks in ``bench/``.

Rows go in through PostgreSQL ``COPY`` (psycopg 3), so 100,000 services take seconds, not
minutes. Each row is built to pass its model's ``clean()`` and the database constraints (a test
runs ``full_clean()`` on them). What ``COPY`` skips, by design:

- django-simple-history rows: a synthetic service has no "created" history entry (its History
  section starts with the first real edit);
- the signals that re-rate services (``risk.signals``): run ``manage.py recompute_ratings``
  afterwards, as the benchmarks do.

Synthetic providers carry ``MARKER`` in their notes; ``delete_synthetic`` removes them and
everything that depends on them (their services, reviews, intelligence, risk results...).
The SQL side (COPY, foreign keys, cascades) is ``qaf.bulkload``.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from django.db import connection
from django.utils import timezone

from providers.demo import (
    HOST_AUTHORITIES,
    LOCALITIES,
    NAME_PARTS,
    POSTCODE_AREAS,
    PROVIDER_SUFFIXES,
    RATING_WEIGHTS,
    SERVICE_SUFFIX,
    STREETS,
    TYPE_WEIGHTS,
)
from providers.models import (
    ALWAYS_CONFIDENTIAL,
    CARE_HOME_TYPES,
    KEY_QUESTIONS,
    KINDS_WITH_STATUS,
    SERVICE_LOCATION_FIELDS,
    SERVICE_REGULATION_FIELDS,
    Feedback,
    Intelligence,
    IntelligenceKind,
    MarketRisk,
    Provider,
    RegulatorRating,
    Service,
    ServiceType,
    Severity,
    SponsorshipLicence,
)
from qaf.bulkload import add_constraints, copy_rows, delete_cascade, drop_foreign_keys, reserve_ids
from qaf.models import Role, User
from reviews.models import Review, ReviewStatus

MARKER = "Synthetic data (manage.py seed_scale)"
OFFICERS = [f"scale_officer{n}" for n in range(1, 6)]

# Wales: an out-of-area service there is regulated by CIW.
WELSH_AUTHORITY = "Monmouthshire County Council"
PLACE_WORDS = ["Court", "House", "Park", "Vale", "Grange", "Lodge", "Manor", "Gardens", "View"]
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
UNREGULATED = {ServiceType.DAY_SERVICE.value, ServiceType.OTHER.value}
CHILDREN = {ServiceType.CHILDRENS_HOME.value, ServiceType.FOSTERING_AGENCY.value}
LICENCE_WEIGHTS = [
    (SponsorshipLicence.NOT_HELD, 62),
    (SponsorshipLicence.ACTIVE, 35),
    (SponsorshipLicence.SUSPENDED, 2),
    (SponsorshipLicence.REVOKED, 1),
]
# A worse regulator rating makes a worse QA review more likely.
REVIEW_ODDS = {
    RegulatorRating.OUTSTANDING: [("green", 9), ("amber", 1), ("red", 0)],
    RegulatorRating.GOOD: [("green", 7), ("amber", 3), ("red", 0)],
    RegulatorRating.REQUIRES_IMPROVEMENT: [("green", 2), ("amber", 6), ("red", 2)],
    RegulatorRating.INADEQUATE: [("green", 0), ("amber", 4), ("red", 6)],
    RegulatorRating.NOT_RATED: [("green", 5), ("amber", 4), ("red", 1)],
}
IN_PROGRESS_WEIGHTS = [
    (ReviewStatus.PLANNED, 50),
    (ReviewStatus.INFORMATION_REQUESTED, 20),
    (ReviewStatus.VISIT_DONE, 10),
    (ReviewStatus.DRAFT, 12),
    (ReviewStatus.WITH_PROVIDER, 8),
]
SIX_YEARS = 6 * 365
# The tables loaded here (and emptied of synthetic rows by --reset).
LOADED = (Provider, Service, Review, Intelligence)

# kind -> (summary, source). Status, outcome and feedback are filled in per kind.
INTELLIGENCE_TEXT = {
    IntelligenceKind.SAFEGUARDING_AUDIT: (
        "Annual safeguarding audit of policies, training records and referrals.",
        "Safeguarding team",
    ),
    IntelligenceKind.SAFEGUARDING_ENQUIRY: (
        "Organisational safeguarding enquiry after repeated concerns about pressure care.",
        "Safeguarding team",
    ),
    IntelligenceKind.SAFEGUARDING_CONCERN: (
        "Unexplained bruising reported by a visiting social worker; referred on.",
        "Social worker",
    ),
    IntelligenceKind.COMPLAINT: (
        "Family member complained that medication was given late on several evenings.",
        "Family member",
    ),
    IntelligenceKind.CONTRACT_MEETING: (
        "Quarterly contract meeting: staffing and agency use discussed.",
        "Contract meeting",
    ),
    IntelligenceKind.PROFESSIONAL_FEEDBACK: (
        "District nurse feedback on care planning and communication.",
        "District nursing team",
    ),
    IntelligenceKind.REGULATOR_INFORMATION: (
        "CQC published its inspection report.",
        "CQC",
    ),
    IntelligenceKind.PROVIDER_NOTIFICATION: (
        "Provider notified a fall without injury, below the safeguarding threshold.",
        "Provider",
    ),
    IntelligenceKind.SURVEY_RESPONSE: (
        "Annual survey: most people said they feel safe.",
        "Stakeholder survey",
    ),
    IntelligenceKind.WHISTLEBLOWING: (
        "Anonymous report of night shifts below the agreed staffing level.",
        "Anonymous",
    ),
    IntelligenceKind.CONTRACT_DEFAULT_NOTICE: (
        "Default notice for repeated late monitoring returns.",
        "Commissioning",
    ),
    IntelligenceKind.OTHER: ("Note from a commissioning colleague.", "Commissioning"),
}
# (kind, share of services with one entry, mean age in days) for the entries logged per
# service; audits and contract meetings may come twice (see _intelligence).
SERVICE_KINDS = [
    (IntelligenceKind.SAFEGUARDING_AUDIT.value, 0.60, 330),
    (IntelligenceKind.SAFEGUARDING_ENQUIRY.value, 0.04, 400),
    (IntelligenceKind.SAFEGUARDING_CONCERN.value, 0.06, 400),
    (IntelligenceKind.COMPLAINT.value, 0.12, 400),
    (IntelligenceKind.CONTRACT_MEETING.value, 0.55, 200),
    (IntelligenceKind.PROFESSIONAL_FEEDBACK.value, 0.15, 300),
    (IntelligenceKind.REGULATOR_INFORMATION.value, 0.10, 500),
    (IntelligenceKind.PROVIDER_NOTIFICATION.value, 0.08, 300),
    (IntelligenceKind.SURVEY_RESPONSE.value, 0.05, 300),
    (IntelligenceKind.WHISTLEBLOWING.value, 0.01, 300),
    (IntelligenceKind.CONTRACT_DEFAULT_NOTICE.value, 0.01, 500),
    (IntelligenceKind.OTHER.value, 0.02, 300),
]
# Provider-wide entries, which apply to every service of the provider.
PROVIDER_KINDS = [
    (IntelligenceKind.CONTRACT_MEETING.value, 0.25, 200),
    (IntelligenceKind.SAFEGUARDING_ENQUIRY.value, 0.015, 300),
    (IntelligenceKind.SAFEGUARDING_AUDIT.value, 0.05, 330),
    (IntelligenceKind.COMPLAINT.value, 0.02, 300),
]


@dataclass
class ScaleResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)


# --- Removing synthetic data ----------------------------------------------------------------


def delete_synthetic(counts: dict[str, int] | None = None) -> dict[str, int]:
    """Remove the synthetic providers and all that hangs off them; the officers stay.

    Returns the number of rows removed per kind (and adds them to ``counts``).
    """
    counts = {} if counts is None else counts
    delete_cascade(Provider, "notes = %s", [MARKER], counts)
    return counts


def synthetic_count() -> int:
    return Service.objects.filter(provider__notes=MARKER).count()


# --- Generation -----------------------------------------------------------------------------


class Dice(random.Random):
    """``random.Random`` with cheaper draws: generating 100,000 rows calls these millions of
    times, and ``choice``/``randint``/``choices`` cost several times more than ``random()``."""

    def pick(self, values: Sequence):
        return values[int(self.random() * len(values))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def chance(self, p: float) -> bool:
        return self.random() < p

    def weighted(self, table: Weighted):
        return table.values[bisect.bisect(table.cumulative, self.random() * table.total)]

    def days_ago(self, today: date, mean: float, low: int, high: int) -> date:
        """A past date, more often recent: exponential ages, kept within [low, high] days."""
        return today - timedelta(days=min(high, low + int(self.expovariate(1 / mean))))

    def postcode(self) -> str:
        letters = POSTCODE_LETTERS
        return (
            f"{self.pick(POSTCODE_AREAS)} {self.between(1, 9)}"
            f"{self.pick(letters)}{self.pick(letters)}"
        )


class Weighted:
    """A weighted choice table of plain values (enum members become their string values)."""

    def __init__(self, pairs):
        values, weights = zip(*pairs, strict=True)
        self.values = [v.value if isinstance(v, Enum) else v for v in values]
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]


SERVICE_TYPES = Weighted(TYPE_WEIGHTS)
REGULATOR_RATINGS = Weighted(RATING_WEIGHTS)
KEY_QUESTION_RATINGS = Weighted(RATING_WEIGHTS[:4])
LICENCES = Weighted(LICENCE_WEIGHTS)
REVIEW_RATINGS = {str(rating): Weighted(odds) for rating, odds in REVIEW_ODDS.items()}
IN_PROGRESS = Weighted(IN_PROGRESS_WEIGHTS)
SUFFIXES = {str(k): v for k, v in SERVICE_SUFFIX.items()}
CARE_HOME_BEDS = [12, 18, 24, 32, 40, 48, 60, 75]
OTHER_CAPACITY = [None, 20, 35, 50, 80, 120]
REVIEW_COUNTS = [1, 1, 1, 2, 2, 3]
NOT_RATED = RegulatorRating.NOT_RATED.value
SEVERITIES = list(Severity.values)
FEEDBACKS = list(Feedback.values)


def scale_officers() -> list[User]:
    """The lead officers of synthetic services: existing users, created if missing."""
    officers = []
    for n, username in enumerate(OFFICERS, start=1):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": "Scale",
                "last_name": f"Officer {n}",
                "email": f"{username}@council.example",
                "roles": [Role.OFFICER],
                "job_title": "Quality Monitoring Officer",
            },
        )
        if created:
            user.set_unusable_password()  # sign in as them by setting a password by hand
            user.save(update_fields=["password"])
        officers.append(user)
    return officers


PROVIDER_FIELDS = (
    "id",
    "name",
    "companies_house_number",
    "regulator_provider_id",
    "address",
    "postcode",
    "contact_name",
    "contact_email",
    "contact_phone",
    "sponsorship_licence",
    "notes",
)


def _providers(dice: Dice, ids: list[int]):
    for n, pk in enumerate(ids):
        yield (
            pk,
            f"{dice.pick(NAME_PARTS)} {dice.pick(PLACE_WORDS)} {dice.pick(PROVIDER_SUFFIXES)}",
            f"{10_000_000 + n % 90_000_000:08d}" if dice.chance(0.9) else "",
            f"1-8{n:011d}" if dice.chance(0.85) else "",
            f"{dice.between(1, 200)} {dice.pick(STREETS)}\n{dice.pick(LOCALITIES)}",
            dice.postcode(),
            f"Quality lead {n}",
            f"quality@provider{n}.care.example",
            f"01632 {960000 + n % 1000:06d}",
            dice.weighted(LICENCES),
            MARKER,
        )


SERVICE_FIELDS = (
    "id",
    "provider",
    "name",
    *SERVICE_LOCATION_FIELDS,
    "service_type",
    "client_group",
    "capacity",
    "council_funded_people",
    *SERVICE_REGULATION_FIELDS,
    "market_risk_reasons",
    "lead_officer",
    "created_at",
)


@dataclass(frozen=True)
class _Synthetic:
    """What later steps need to know about a generated service."""

    pk: int
    regulator_rating: str
    registered_on: date


def _manager_in_post(draw: float) -> bool | None:
    return True if draw < 0.9 else (False if draw < 0.96 else None)


def _services(dice, today, now, ids, provider_ids, officer_ids, out: list[_Synthetic]):
    n_services, n_providers = len(ids), len(provider_ids)
    # Every provider runs at least one service; the rest go mostly to a few large groups.
    owners = list(provider_ids)
    dice.shuffle(owners)
    owners = owners[:n_services] + [
        provider_ids[int(n_providers * dice.random() ** 2)]
        for _ in range(max(0, n_services - n_providers))
    ]
    for n, (pk, provider_id) in enumerate(zip(ids, owners, strict=True)):
        stype = dice.weighted(SERVICE_TYPES)
        children = stype in CHILDREN
        regulated = stype not in UNREGULATED
        rating = dice.weighted(REGULATOR_RATINGS) if regulated else NOT_RATED
        out_of_area = dice.chance(0.12)
        host = ""
        if out_of_area:
            host = WELSH_AUTHORITY if dice.chance(0.1) else dice.pick(HOST_AUTHORITIES)
        regulator = regulator_id = ""
        if regulated and children:
            regulator, regulator_id = "Ofsted", f"SC9{n:07d}"
        elif regulated and host == WELSH_AUTHORITY:
            regulator, regulator_id = "CIW", f"SIN-9{n:08d}"
        elif regulated:
            regulator, regulator_id = "CQC", f"1-9{n:011d}"
        key_questions = [
            rating
            if rating == NOT_RATED or dice.chance(0.6)
            else dice.weighted(KEY_QUESTION_RATINGS)
            for _ in KEY_QUESTIONS
        ]
        inspected = None
        if regulated and (rating != NOT_RATED or dice.chance(0.3)):
            # About one in five inspections is 3 years old or more (amber inspection age).
            inspected = dice.days_ago(today, 700, 20, 8 * 365)
        care_home = stype in CARE_HOME_TYPES
        capacity = dice.pick(CARE_HOME_BEDS) if care_home else dice.pick(OTHER_CAPACITY)
        market = []
        if care_home and capacity >= 60:
            market.append(MarketRisk.LARGE_SETTING.value)
        if dice.chance(0.1):
            market.append(MarketRisk.BLOCK_CONTRACT.value)
        if dice.chance(0.02):
            market.append(MarketRisk.SOLE_PROVIDER.value)
        age = timedelta(days=dice.between(0, 8 * 365))
        out.append(_Synthetic(pk, rating, today - age))
        yield (
            pk,
            provider_id,
            f"{dice.pick(NAME_PARTS)} {dice.pick(PLACE_WORDS)} {SUFFIXES[stype]}",
            f"{dice.between(1, 200)} {dice.pick(STREETS)}",
            dice.postcode(),
            host or dice.pick(LOCALITIES),
            out_of_area,
            host,
            stype,
            "children" if children else "adults",
            capacity,
            min(capacity or 40, dice.between(0, 30)),
            regulated,
            regulator,
            regulator_id,
            rating,
            *key_questions,
            inspected,
            # Most registration dates known (the day it came onto the register); a registered
            # manager in post at most regulated services, not at some, not known at a few.
            today - age if dice.chance(0.85) else None,
            _manager_in_post(dice.random()) if regulated else None,
            market,
            officer_ids[n % len(officer_ids)] if dice.chance(0.9) else None,
            now - age,
        )


REVIEW_FIELDS = (
    "service",
    "kind",
    "status",
    "rating",
    "completed_on",
    "historic",
    "officer",
    "cancelled_reason",
)
CANCELLED_REASON = "The provider asked to move the visit; a new review will be planned."


def _reviews(dice: Dice, today: date, services: list[_Synthetic], officer_ids: list[int]):
    """Final reviews for ~70% of services (1-3 each, within 6 years), and some in progress."""
    oldest = today - timedelta(days=SIX_YEARS)
    for service in services:
        officer = dice.pick(officer_ids)
        if dice.chance(0.7):
            odds = REVIEW_RATINGS[service.regulator_rating]
            day = dice.days_ago(today, 600, 20, SIX_YEARS)
            if day < service.registered_on:  # registered since: reviewed once it was
                day = service.registered_on + (today - service.registered_on) * dice.random()
            for _ in range(dice.pick(REVIEW_COUNTS)):
                if day < service.registered_on or day < oldest:
                    break  # never reviewed before it was registered
                kind = "full" if dice.chance(0.85) else "focused"
                yield (service.pk, kind, "final", dice.weighted(odds), day, True, officer, "")
                day -= timedelta(days=dice.between(300, 900))
        roll = dice.random()
        if roll < 0.08:
            yield (service.pk, "full", dice.weighted(IN_PROGRESS), "", None, False, officer, "")
        elif roll < 0.09:
            yield (service.pk, "focused", "cancelled", "", None, False, officer, CANCELLED_REASON)


INTELLIGENCE_FIELDS = (
    "service",
    "provider",
    "kind",
    "date",
    "source",
    "summary",
    "severity",
    "status",
    "serious_unresolved",
    "feedback",
    "outcome",
    "confidential",
    "author",
)


def _entry(dice: Dice, kind: str, day: date, service_id, provider_id, author) -> tuple:
    summary, source = INTELLIGENCE_TEXT[kind]
    status = outcome = feedback = ""
    serious = False
    if kind in KINDS_WITH_STATUS:
        status = "open" if dice.chance(0.35) else "closed"
        serious = kind == "complaint" and status == "open" and dice.chance(0.2)
    elif kind == "safeguarding_audit":
        outcome = "satisfactory" if dice.chance(0.85) else "not_satisfactory"
    elif kind == "professional_feedback":
        feedback = dice.pick(FEEDBACKS)
    return (
        service_id,
        provider_id,
        kind,
        day,
        source,
        summary,
        dice.pick(SEVERITIES),
        status,
        serious,
        feedback,
        outcome,
        kind in ALWAYS_CONFIDENTIAL,
        author,
    )


RECURRING = {"safeguarding_audit", "contract_meeting"}


def _intelligence(dice: Dice, today: date, services: list[_Synthetic], provider_ids, officer_ids):
    for service in services:
        for kind, share, mean in SERVICE_KINDS:
            if not dice.chance(share):
                continue
            author = dice.pick(officer_ids)
            day = dice.days_ago(today, mean, 1, SIX_YEARS)
            yield _entry(dice, kind, day, service.pk, None, author)
            # Audits and meetings recur: often an earlier one is on file too.
            if kind in RECURRING and dice.chance(0.35):
                earlier = day - timedelta(days=dice.between(90, 500))
                yield _entry(dice, kind, earlier, service.pk, None, author)
    for provider_id in provider_ids:
        for kind, share, mean in PROVIDER_KINDS:
            if dice.chance(share):
                day = dice.days_ago(today, mean, 1, SIX_YEARS)
                yield _entry(dice, kind, day, None, provider_id, dice.pick(officer_ids))


def seed_scale(
    services: int,
    providers: int | None = None,
    *,
    seed: int = 2026,
    reset: bool = False,
    today: date | None = None,
    progress=None,
) -> ScaleResult:
    """Insert ``services`` synthetic services (and their providers, reviews and intelligence),
    after removing an earlier load with ``reset``.

    Call inside a transaction: a failure then leaves nothing behind.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    dice = Dice(seed)
    n_providers = max(1, providers if providers is not None else services // 5)
    result = ScaleResult()

    def step(name: str, work):
        started = time.perf_counter()
        result.counts[name] = work()
        result.seconds[name] = time.perf_counter() - started
        if progress:
            progress(name, result.counts[name], result.seconds[name])

    constraints: list[tuple[str, str, str]] = []

    def drop() -> int:
        constraints.extend(drop_foreign_keys(*LOADED))
        return len(constraints)

    step("foreign keys dropped", drop)
    if reset:
        step("rows removed", lambda: sum(delete_synthetic(result.removed).values()))
    officer_ids = [u.pk for u in scale_officers()]
    provider_ids = reserve_ids(Provider, n_providers)
    service_ids = reserve_ids(Service, services)
    made: list[_Synthetic] = []
    step(
        "providers",
        lambda: copy_rows(Provider, PROVIDER_FIELDS, _providers(dice, provider_ids), now),
    )
    step(
        "services",
        lambda: copy_rows(
            Service,
            SERVICE_FIELDS,
            _services(dice, today, now, service_ids, provider_ids, officer_ids, made),
            now,
        ),
    )
    step(
        "reviews",
        lambda: copy_rows(Review, REVIEW_FIELDS, _reviews(dice, today, made, officer_ids), now),
    )
    step(
        "intelligence entries",
        lambda: copy_rows(
            Intelligence,
            INTELLIGENCE_FIELDS,
            _intelligence(dice, today, made, provider_ids, officer_ids),
            now,
        ),
    )
    step("foreign keys checked", lambda: add_constraints(constraints))

    def analyze() -> int:
        # Fresh statistics, so the planner knows how big the tables are now.
        with connection.cursor() as cursor:
            for model in LOADED:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        return len(LOADED)

    step("tables analysed", analyze)
    return result
