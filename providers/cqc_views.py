"""'Run CQC sync now' (issue 14 item 3): managers and admins, from the nightly jobs page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from providers import cqc_sync
from providers.models import CqcSyncState
from qaf.scoping import can, require


def jobs_page_context(user) -> dict:
    """The CQC sync's part of the nightly jobs page (risk.views.job_runs)."""
    return {
        "cqc_sync_enabled": cqc_sync.enabled(),
        "cqc_sync_state": CqcSyncState.objects.filter(key=cqc_sync.STATE_KEY).first(),
        "can_run_cqc_sync": cqc_sync.enabled() and can(user, "run", "risk.jobrun"),
    }


@login_required
@require_POST
def run_now(request):
    require(request.user, "run", "risk.jobrun")
    if not cqc_sync.enabled():
        messages.error(
            request,
            "The CQC change sync is off. Ask your administrator to set QAF_CQC_SUBSCRIPTION_KEY.",
        )
        return redirect("risk:jobs")
    from providers.tasks import cqc_sync as task

    transaction.on_commit(lambda: task.delay(triggered_by_id=request.user.pk))
    messages.success(
        request, "The CQC change sync has been queued. Refresh this page to follow it."
    )
    return redirect("risk:jobs")
