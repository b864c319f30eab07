"""What the service page shows about a service's rating: each factor in plain words, the
version of the matrix, the schedule, and the history of rating changes."""

from __future__ import annotations

from providers.models import CARE_HOME_TYPES, Service
from qaf import policy
from qaf.scoping import can
from risk.matrix import FACTOR_LABELS
from risk.models import RatingChange, ServiceRisk, computed_for, last_full_run_date

HISTORY_ROWS = 20


def risk_context(service: Service, user) -> dict:
    if not can(user, "view", "risk.servicerisk"):
        return {"risk": None, "risk_hidden": True}
    try:
        risk = service.risk
    except ServiceRisk.DoesNotExist:
        return {"risk": None}
    factors = [{**f, "label": FACTOR_LABELS.get(f["factor"], f["factor"])} for f in risk.factors]
    # A service that replaced another CQC location carries its rating history (issue 14 item 3).
    changes = list(
        RatingChange.objects.filter(service__in=[service.pk, *service.predecessor_ids()])
        .select_related("service")
        .order_by("-date", "-pk")[:HISTORY_ROWS]
    )
    for change in changes:
        change.factor_labels = [FACTOR_LABELS.get(f, f) for f in change.changed_factors]
    return {
        "risk": risk,
        "risk_factors": factors,
        # The page says the period of the version the result was computed with, never a literal.
        "minimum_contact_months": policy.setting(
            "minimum_contact_months", policy=risk.policy_version
        ),
        "care_home": service.service_type in CARE_HOME_TYPES,
        "risk_computed_for": computed_for(risk, last_full_run_date()),
        "rating_changes": changes,
    }
