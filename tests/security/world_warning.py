"""The permission matrix's early-warning objects (issue 14 item 2), for one organisation: the
service's stored flag, computed yesterday with a reason the next check replaces (so a permitted
"check again" writes). Returned as ids, by name."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from risk.models import EarlyWarning, PolicyVersion


def warning_objects(service) -> dict:
    EarlyWarning.objects.create(
        service=service,
        flagged=True,
        flagged_since=timezone.localdate() - timedelta(days=1),
        reason="Not checked since the matrix was built",
        size_band="medium",
        weekly=[0] * 65,
        computed_for=timezone.localdate() - timedelta(days=1),
        policy_version=PolicyVersion.current(),
    )
    return {"early_warning": service.pk}
