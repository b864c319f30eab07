"""Demo register for ``seed_demo``: 32 providers, 104 services, contracts and intelligence.

Everything is derived from a seeded random generator and looked up by a natural key
(provider name, service name, contract reference, intelligence summary), so a second run finds
it all in place and creates nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from providers.models import (
    ClientGroup,
    Contract,
    Feedback,
    Intelligence,
    IntelligenceKind,
    IntelligenceStatus,
    MarketRisk,
    Provider,
    Regulator,
    RegulatorRating,
    Service,
    ServiceType,
    Severity,
    SponsorshipLicence,
)

LOCALITIES = [
    "Avonmere Central",
    "Northfield",
    "Kingsbridge Vale",
    "Eastwick",
    "Millbrook",
    "Southgate",
]
HOST_AUTHORITIES = [
    "Wiltshire Council",
    "Somerset Council",
    "Bristol City Council",
    "South Gloucestershire Council",
]
STREETS = [
    "High Street",
    "Church Lane",
    "Station Road",
    "Mill Lane",
    "Victoria Road",
    "Park Avenue",
    "The Green",
    "Orchard Close",
    "Meadow Way",
    "Kings Road",
]
POSTCODE_AREAS = ["AV1", "AV2", "AV3", "AV4", "AV5", "AV6"]

# (provider name, sponsorship licence, [(service name, type, client group)])
NAMED_PROVIDERS = [
    (
        "Sunrise Care Ltd",
        SponsorshipLicence.ACTIVE,
        [
            ("Sunrise House", ServiceType.CARE_HOME_NURSING, ClientGroup.ADULTS),
            ("Sunrise Lodge", ServiceType.CARE_HOME, ClientGroup.ADULTS),
            ("Sunrise Home Care Avonmere", ServiceType.DOMICILIARY_CARE, ClientGroup.ADULTS),
            ("Sunrise Court Extra Care", ServiceType.EXTRA_CARE, ClientGroup.ADULTS),
        ],
    ),
    (
        "Oak Lodge Ltd",
        SponsorshipLicence.NOT_HELD,
        [
            ("Oak Lodge", ServiceType.CARE_HOME, ClientGroup.ADULTS),
            ("Oak Lodge Supported Living", ServiceType.SUPPORTED_LIVING, ClientGroup.ADULTS),
            ("Acorn House Children's Home", ServiceType.CHILDRENS_HOME, ClientGroup.CHILDREN),
        ],
    ),
]
NAME_PARTS = [
    "Willow",
    "Beech",
    "Cedar",
    "Heron",
    "Kingfisher",
    "Lavender",
    "Meadow",
    "Riverside",
    "Hillcrest",
    "Elmwood",
    "Brookside",
    "Greenacres",
    "Ashdown",
    "Fairview",
    "Holly",
    "Primrose",
    "Larkfield",
    "Rowan",
    "Harbour",
    "Chestnut",
    "Foxglove",
    "Bluebell",
    "Orchard",
    "Highfield",
    "Wren",
    "Marigold",
    "Thornbury",
    "Clover",
    "Juniper",
    "Saxon",
]
PROVIDER_SUFFIXES = [
    "Care Ltd",
    "Healthcare Ltd",
    "Care Group",
    "Homecare Ltd",
    "Care Services Ltd",
    "Living Ltd",
]
SERVICE_SUFFIX = {
    ServiceType.CARE_HOME_NURSING: "Nursing Home",
    ServiceType.CARE_HOME: "Care Home",
    ServiceType.DOMICILIARY_CARE: "Home Care",
    ServiceType.SUPPORTED_LIVING: "Supported Living",
    ServiceType.EXTRA_CARE: "Extra Care Court",
    ServiceType.DAY_SERVICE: "Day Centre",
    ServiceType.CHILDRENS_HOME: "Children's Home",
    ServiceType.FOSTERING_AGENCY: "Fostering",
    ServiceType.OTHER: "Community Support",
}
TYPE_WEIGHTS = [
    (ServiceType.CARE_HOME, 30),
    (ServiceType.CARE_HOME_NURSING, 20),
    (ServiceType.DOMICILIARY_CARE, 22),
    (ServiceType.SUPPORTED_LIVING, 12),
    (ServiceType.EXTRA_CARE, 5),
    (ServiceType.DAY_SERVICE, 4),
    (ServiceType.CHILDRENS_HOME, 4),
    (ServiceType.FOSTERING_AGENCY, 2),
    (ServiceType.OTHER, 1),
]
RATING_WEIGHTS = [
    (RegulatorRating.OUTSTANDING, 6),
    (RegulatorRating.GOOD, 60),
    (RegulatorRating.REQUIRES_IMPROVEMENT, 22),
    (RegulatorRating.INADEQUATE, 6),
    (RegulatorRating.NOT_RATED, 6),
]

INTELLIGENCE_TEMPLATES = [
    (
        IntelligenceKind.COMPLAINT,
        "Family member complained that medication was given late on several evenings.",
        "Family member",
    ),
    (
        IntelligenceKind.PROFESSIONAL_FEEDBACK,
        "District nurse feedback: staff knew residents well and care plans were up to date.",
        "District nursing team",
    ),
    (
        IntelligenceKind.SAFEGUARDING_CONCERN,
        "Unexplained bruising reported by a visiting "
        "social worker; referred to the safeguarding team.",
        "Social worker",
    ),
    (
        IntelligenceKind.REGULATOR_INFORMATION,
        "CQC published its inspection report; the rating was unchanged.",
        "CQC",
    ),
    (
        IntelligenceKind.PROVIDER_NOTIFICATION,
        "Provider notified a fall without injury, below the safeguarding threshold.",
        "Provider",
    ),
    (
        IntelligenceKind.CONTRACT_MEETING,
        "Quarterly contract meeting: staffing and agency use discussed; no actions outstanding.",
        "Contract meeting",
    ),
    (
        IntelligenceKind.SURVEY_RESPONSE,
        "Annual survey: 88% of people said they feel safe.",
        "Stakeholder survey",
    ),
    (
        IntelligenceKind.WHISTLEBLOWING,
        "Anonymous member of staff reported night shifts running below the agreed staffing level.",
        "Anonymous",
    ),
    (
        IntelligenceKind.SAFEGUARDING_AUDIT,
        "Annual safeguarding audit of policies, training records and referrals.",
        "Safeguarding team",
    ),
    (
        IntelligenceKind.SAFEGUARDING_ENQUIRY,
        "Organisational safeguarding enquiry opened after repeated concerns about pressure care.",
        "Safeguarding team",
    ),
    (
        IntelligenceKind.CONTRACT_DEFAULT_NOTICE,
        "Default notice issued for repeated late submission of monitoring returns.",
        "Commissioning",
    ),
]


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _count(context, key, created: bool) -> None:
    context["created"][key] = context["created"].get(key, 0) + int(created)


def seed(context) -> None:
    rng = context["random"]
    today = context["today"]
    officers = [context["staff"]["officer"], context["staff"]["officer2"]]

    plan = list(NAMED_PROVIDERS)
    used = set()
    while len(plan) < 32:
        name = f"{rng.choice(NAME_PARTS)} {rng.choice(PROVIDER_SUFFIXES)}"
        if name in used or name in {p[0] for p in NAMED_PROVIDERS}:
            continue
        used.add(name)
        licence = _weighted(
            rng,
            [
                (SponsorshipLicence.NOT_HELD, 60),
                (SponsorshipLicence.ACTIVE, 34),
                (SponsorshipLicence.SUSPENDED, 4),
                (SponsorshipLicence.REVOKED, 2),
            ],
        )
        services = []
        for _ in range(rng.choice([2, 3, 3, 4, 5])):
            stype = _weighted(rng, TYPE_WEIGHTS)
            group = (
                ClientGroup.CHILDREN
                if stype in {ServiceType.CHILDRENS_HOME, ServiceType.FOSTERING_AGENCY}
                else ClientGroup.ADULTS
            )
            services.append((f"{rng.choice(NAME_PARTS)} {SERVICE_SUFFIX[stype]}", stype, group))
        plan.append((name, licence, services))

    providers: dict[str, Provider] = {}
    all_services: list[Service] = []
    service_names = set()
    for index, (name, licence, services) in enumerate(plan):
        area = POSTCODE_AREAS[index % len(POSTCODE_AREAS)]
        provider, created = Provider.objects.get_or_create(
            name=name,
            defaults={
                "regulator_provider_id": f"1-{101000000 + index * 7919}",
                "companies_house_number": f"{(index + 1) * 104729 % 100000000:08d}",
                "address": f"{rng.randint(1, 120)} {rng.choice(STREETS)}\nAvonmere",
                "postcode": f"{area} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                "contact_name": f"{rng.choice(['Sam', 'Jo', 'Chris', 'Alex', 'Priya', 'Tom'])} "
                f"{rng.choice(['Evans', 'Taylor', 'Khan', 'Brown', 'Wilson', 'Roberts'])}",
                "contact_email": f"manager@{name.split()[0].lower()}{index}.care.example",
                "contact_phone": f"01632 {960000 + index * 37:06d}",
                "sponsorship_licence": licence,
            },
        )
        _count(context, "providers", created)
        providers[name] = provider
        for s_index, (s_name, stype, group) in enumerate(services):
            if s_name in service_names:
                s_name = f"{s_name} ({provider.name.split()[0]})"
            service_names.add(s_name)
            all_services.append(
                _seed_service(
                    context,
                    rng,
                    today,
                    provider,
                    s_name,
                    stype,
                    group,
                    officers[(index + s_index) % 2],
                    index * 10 + s_index,
                )
            )
    context["providers"] = providers
    context["services"] = all_services

    for index, provider in enumerate(providers.values()):
        reference = f"AVC-{2023 + index % 3}-{index + 1:04d}"
        start = today.replace(day=1) - timedelta(days=365 * (1 + index % 3))
        contract, created = Contract.objects.get_or_create(
            reference=reference,
            defaults={
                "provider": provider,
                "start_date": start,
                "end_date": start + timedelta(days=365 * 5) if index % 4 else None,
                "annual_value": Decimal(rng.randrange(150_000, 4_000_000, 2_500)),
                "framework": rng.choice(
                    [
                        "Residential and Nursing Care Framework 2023",
                        "Home Care Framework 2024",
                        "Supported Living Dynamic Purchasing System",
                    ]
                ),
                "specification_notes": "Standard service specification applies.",
            },
        )
        if created:
            contract.services.set([s for s in all_services if s.provider_id == provider.pk])
        _count(context, "contracts", created)

    _seed_intelligence(context, rng, today, all_services, providers)


def _manager_in_post(draw: float) -> bool | None:
    return True if draw > 0.15 else (False if draw > 0.07 else None)


def _seed_service(context, rng, today, provider, name, stype, group, officer, n) -> Service:
    regulated = stype != ServiceType.DAY_SERVICE and stype != ServiceType.OTHER
    regulator = ""
    if regulated:
        regulator = Regulator.OFSTED if group == ClientGroup.CHILDREN else Regulator.CQC
    rating = _weighted(rng, RATING_WEIGHTS) if regulated else RegulatorRating.NOT_RATED
    inspected = None
    if regulated and rating != RegulatorRating.NOT_RATED:
        inspected = today - timedelta(days=rng.randint(60, 365 * 5))
    capacity = (
        rng.choice([12, 18, 24, 32, 40, 48, 60, 75])
        if "care_home" in stype
        else rng.choice([None, 20, 35, 50, 80])
    )
    out_of_area = rng.random() < 0.12
    host = rng.choice(HOST_AUTHORITIES) if out_of_area else ""
    kq = {}
    for question in ("safe", "effective", "caring", "responsive", "well_led"):
        kq[f"rating_{question}"] = (
            rating
            if rating == RegulatorRating.NOT_RATED or rng.random() < 0.6
            else _weighted(rng, RATING_WEIGHTS[:4])
        )
    market = []
    if capacity and capacity >= 60:
        market.append(MarketRisk.LARGE_SETTING)
    if rng.random() < 0.1:
        market.append(MarketRisk.BLOCK_CONTRACT)
    # Registration dates are drawn by the service's name (not from ``rng``, so the rest of the
    # demo stays as it was): most are known, and years before the demo's reviews.
    reg = random.Random(f"registration:{name}")
    registered = today - timedelta(days=reg.randint(4 * 365, 15 * 365))
    service, created = Service.objects.get_or_create(
        provider=provider,
        name=name,
        defaults={
            "service_type": stype,
            "client_group": group,
            "address": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            "postcode": f"{rng.choice(POSTCODE_AREAS)} {rng.randint(1, 9)}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            "local_authority_area": host or rng.choice(LOCALITIES),
            "out_of_area": out_of_area,
            "host_authority": host,
            "capacity": capacity,
            "council_funded_people": min(capacity or 40, rng.randint(0, 30)),
            "regulated": regulated,
            "regulator": regulator,
            "regulator_id": (
                f"1-{1000200000 + n * 104723}"
                if regulator == Regulator.CQC
                else f"SC{400000 + n}"
                if regulator
                else ""
            ),
            "regulator_rating": rating,
            **kq,
            "last_inspection_date": inspected,
            "registration_date": registered if reg.random() < 0.85 else None,
            # In post at most regulated services, not at a few, nobody has said at some (the
            # draw where the yes/no draw was, so the rest of the demo stays as it was).
            "registered_manager": _manager_in_post(rng.random()) if regulated else None,
            "market_risk_reasons": market,
            "lead_officer": officer,
        },
    )
    _count(context, "services", created)
    return service


def _seed_intelligence(context, rng, today, services, providers) -> None:
    author = context["staff"]["officer"]
    for index, service in enumerate(services):
        for t_index in range(rng.choice([0, 1, 1, 2, 3])):
            kind, summary, source = INTELLIGENCE_TEMPLATES[
                (index + t_index * 5) % len(INTELLIGENCE_TEMPLATES)
            ]
            fields = {"status": "", "outcome": "", "feedback": ""}
            if kind in {IntelligenceKind.COMPLAINT, IntelligenceKind.SAFEGUARDING_ENQUIRY}:
                fields["status"] = (
                    IntelligenceStatus.OPEN if rng.random() < 0.4 else IntelligenceStatus.CLOSED
                )
            if kind == IntelligenceKind.SAFEGUARDING_AUDIT:
                fields["outcome"] = rng.choice(["satisfactory", "satisfactory", "not_satisfactory"])
            if kind == IntelligenceKind.PROFESSIONAL_FEEDBACK:
                fields["feedback"] = rng.choice(list(Feedback.values))
            _, created = Intelligence.objects.get_or_create(
                service=service,
                kind=kind,
                summary=summary,
                defaults={
                    **fields,
                    "date": today - timedelta(days=rng.randint(3, 700)),
                    "source": source,
                    "severity": rng.choice(list(Severity.values)),
                    "confidential": kind
                    in {
                        IntelligenceKind.SAFEGUARDING_CONCERN,
                        IntelligenceKind.SAFEGUARDING_ENQUIRY,
                        IntelligenceKind.SAFEGUARDING_AUDIT,
                        IntelligenceKind.WHISTLEBLOWING,
                    },
                    "author": author,
                },
            )
            _count(context, "intelligence entries", created)
    # Most services had their annual safeguarding audit within the year.
    for service in services:
        rng_audit = random.Random(f"audit:{service.name}")
        if rng_audit.random() < 0.7:
            _, created = Intelligence.objects.get_or_create(
                service=service,
                kind=IntelligenceKind.SAFEGUARDING_AUDIT,
                summary="Annual safeguarding audit: policies, training records and referrals "
                "checked.",
                defaults={
                    "date": today - timedelta(days=rng_audit.randint(10, 330)),
                    "source": "Safeguarding team",
                    "outcome": "satisfactory" if rng_audit.random() < 0.85 else "not_satisfactory",
                    "severity": Severity.LOW,
                    "confidential": True,
                    "author": author,
                },
            )
            _count(context, "intelligence entries", created)
    # Provider-wide entries reach every service of the provider.
    for name, kind, summary, extra in [
        (
            "Oak Lodge Ltd",
            IntelligenceKind.SAFEGUARDING_ENQUIRY,
            "Provider-wide organisational safeguarding enquiry into medicines management.",
            {"status": IntelligenceStatus.OPEN, "confidential": True},
        ),
        (
            "Sunrise Care Ltd",
            IntelligenceKind.CONTRACT_MEETING,
            "Annual provider-wide contract review: recruitment plan agreed.",
            {},
        ),
    ]:
        _, created = Intelligence.objects.get_or_create(
            provider=providers[name],
            kind=kind,
            summary=summary,
            defaults={
                "date": today - timedelta(days=30),
                "source": "Quality team",
                "severity": Severity.MEDIUM,
                "author": author,
                **extra,
            },
        )
        _count(context, "intelligence entries", created)
