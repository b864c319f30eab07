"""seed_demo's shared outcome (issue 14 item 4): Brookshire Council's QA review of Sunrise House,
the demo service with most going on, sent in by Sunrise Care Ltd's Pat (``provider_a``) while
answering an information request, and recorded through the import as any file would be."""

from __future__ import annotations

import copy
from datetime import timedelta

from providers.models import Service
from qaf.models import User
from reviews import shared_outcomes

SERVICE = "Sunrise House"

# Brookshire Council's file, as their system would export it (docs/shared-outcomes.md). The
# regulator id and the dates are filled in from the demo's service and today.
DOCUMENT = {
    "format": "qaf-shared-outcomes",
    "format_version": "1.0",
    "council": {"name": "Brookshire Council"},
    "generated_at": None,
    "period": {"from": None, "to": None},
    "outcomes": [
        {
            "review_id": "BRK-2026-0142",
            "service": {
                "regulator": "CQC",
                "regulator_id": None,
                "name": SERVICE,
                "provider_name": "Sunrise Care Ltd",
            },
            "kind": "full",
            "historic": False,
            "visit_date": None,
            "completed_on": None,
            "overall_rating": "amber",
            "domains": [
                {
                    "title": "Safe",
                    "rating": "amber",
                    "standards": [
                        {
                            "code": "S1",
                            "title": "Safeguarding",
                            "rating": "green",
                            "mean_score": 3.2,
                        },
                        {"code": "S3", "title": "Medicines", "rating": "amber", "mean_score": 2.4},
                    ],
                },
                {
                    "title": "Well-led",
                    "rating": "amber",
                    "standards": [
                        {"code": "W1", "title": "Governance", "rating": "amber", "mean_score": 2.6}
                    ],
                },
            ],
            "summary_of_findings": (
                "Residents are treated kindly and safeguarding is well understood. Medicines "
                "records had gaps on two units, and audits did not pick them up."
            ),
        }
    ],
}


def seed_shared_outcome(context) -> None:
    service = Service.objects.filter(name=SERVICE, regulator_id__gt="").first()
    if service is None:
        return
    today = context["today"]
    document = copy.deepcopy(DOCUMENT)
    document["generated_at"] = f"{today - timedelta(days=40)}T09:00:00+00:00"
    outcome = document["outcomes"][0]
    outcome["service"]["regulator"] = service.regulator
    outcome["service"]["regulator_id"] = service.regulator_id
    outcome["visit_date"] = (today - timedelta(days=75)).isoformat()
    outcome["completed_on"] = (today - timedelta(days=45)).isoformat()
    pat = User.objects.filter(username="provider_a", provider=service.provider_id).first()
    report = shared_outcomes.import_document(document, actor=pat)
    created = report.counts["recorded"]
    context["created"]["shared outcomes"] = context["created"].get("shared outcomes", 0) + created
