"""The demo's CQC change sync (issue 14 item 3): one care home that CQC deregistered when it
re-registered at a new location, the new one linked to it so its rating history carries over.

Written through the sync's own ``apply_location`` with a location detail in CQC's shape (no
network in the demo), so the page shows what a real night's sync leaves: the "Deregistered" tag,
the intelligence entry, the lead officer's notice and the "Replaces" / "Replaced by" links.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from providers.cqc_sync import apply_location, read_location
from providers.models import CARE_HOME_TYPES, Regulator, Service

SUFFIX = " (re-registered)"
COPIED = (
    "address",
    "postcode",
    "local_authority_area",
    "out_of_area",
    "host_authority",
    "service_type",
    "client_group",
    "capacity",
    "council_funded_people",
    "lead_officer",
)


def seed(context) -> None:
    today = context["today"]
    old = Service.objects.filter(successors__name__endswith=SUFFIX).first()
    if old is None:
        old = (
            Service.objects.filter(
                regulator=Regulator.CQC,
                service_type__in=sorted(CARE_HOME_TYPES),
                deregistered_on=None,
                predecessor=None,
            )
            .exclude(regulator_id="")
            .order_by("-pk")
            .first()
        )
        if old is None:
            return
    new, created = Service.objects.get_or_create(
        provider=old.provider,
        name=f"{old.name}{SUFFIX}",
        defaults={
            **{name: getattr(old, name) for name in COPIED},
            "regulated": True,
            "regulator": Regulator.CQC,
            "regulator_id": f"1-{9000000000 + old.pk}",
            "registration_date": today - timedelta(days=14),
        },
    )
    context["created"]["services"] = context["created"].get("services", 0) + int(created)
    detail = {
        "locationId": old.regulator_id,
        "name": old.name,
        "registrationStatus": "Deregistered",
        "deregistrationDate": (today - timedelta(days=15)).isoformat(),
        "relationships": [
            {
                "relatedLocationId": new.regulator_id,
                "relatedLocationName": new.name,
                "type": "HSCA Successor",
                "reason": "Change of legal entity",
            }
        ],
    }
    apply_location(old, read_location(detail, today), today=today, now=timezone.now())
