"""The permission matrix's shared outcomes (issue 14 item 4), one organisation's: another
council's outcome recorded on its service, through the import. Returned as ids, by name."""

from __future__ import annotations

from providers.models import Service
from reviews import shared_outcomes


def outcomes_document(service: Service, review_id: str = "1") -> dict:
    """A shared-outcomes document from another council with one outcome for ``service``."""
    return {
        "format": "qaf-shared-outcomes",
        "format_version": "1.0",
        "council": {"name": "Brookshire Council"},
        "generated_at": "2026-11-01T10:00:00+00:00",
        "outcomes": [
            {
                "review_id": review_id,
                "service": {
                    "regulator": service.regulator,
                    "regulator_id": service.regulator_id,
                    "name": service.name,
                    "provider_name": service.provider.name,
                },
                "kind": "full",
                "completed_on": "2026-09-20",
                "overall_rating": "amber",
                "domains": [],
                "summary_of_findings": "Care plans were out of date.",
            }
        ],
    }


def shared_outcome_objects(service: Service) -> dict:
    report = shared_outcomes.import_document(outcomes_document(service, f"world-{service.pk}"))
    return {"shared_outcome": report.rows[0].shared_outcome}
