"""Early warning on the pages: the service page's section, the officer's home page, and the
recompute-by-hand button. Staff only (qaf.scoping POLICY "risk.earlywarning"): the counts
include confidential safeguarding and whistleblowing entries."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from providers.models import Service
from qaf import charts
from qaf.scoping import can, require
from risk.early_warning import KIND_WORDS, KINDS, SIZE_WORDS, TYPE_PLURALS, WEEKS, WINDOW_DAYS
from risk.early_warning_job import compute
from risk.models import EarlyWarning

RECENT_WEEKS = 13  # the sparkline's blue columns: about the 90 days of the window
HOME_ROWS = 20


def sparkline(warning: EarlyWarning, *, id_prefix: str, large: bool = False) -> str:
    """The weekly series; ``large`` for the service page, small for a list or a table cell."""
    return charts.sparkline(
        warning.weekly or [0] * WEEKS,
        title=f"Complaints, safeguarding concerns and notices each week for {WEEKS} weeks to "
        f"{warning.computed_for.day} {warning.computed_for:%B %Y}",
        recent=RECENT_WEEKS,
        id_prefix=id_prefix,
        width=325 if large else 140,
        height=64 if large else 32,
    )


def service_context(service: Service, user) -> dict:
    if not can(user, "view", "risk.earlywarning"):
        return {}
    warning = EarlyWarning.objects.filter(service=service).select_related("policy_version").first()
    context = {
        "early_warning_shown": True,
        "early_warning": warning,
        "can_recompute_early_warning": can(user, "run", "risk.earlywarning"),
        "early_warning_window": WINDOW_DAYS,
    }
    if warning:
        context["early_warning_chart"] = sparkline(
            warning, id_prefix="early-warning-spark", large=True
        )
        context["early_warning_kinds"] = [
            (KIND_WORDS[kind][1].capitalize(), warning.recent_by_kind.get(kind, 0))
            for kind in KINDS
            if warning.recent_by_kind.get(kind)
        ]
        context["early_warning_size"] = SIZE_WORDS.get(warning.size_band, "")
        context["early_warning_type"] = TYPE_PLURALS.get(service.service_type, "services")
    return context


def home_context(user) -> dict:
    """The officer's own services that are getting worse (as lead officer)."""
    if not can(user, "view", "risk.earlywarning"):
        return {}
    warnings = list(
        EarlyWarning.objects.filter(flagged=True, service__lead_officer=user)
        .select_related("service")
        .order_by("-flagged_since", "service__name")[:HOME_ROWS]
    )
    for warning in warnings:
        warning.chart = sparkline(warning, id_prefix=f"home-spark-{warning.service_id}")
    return {"getting_worse": warnings}


@login_required
@require_POST
def recompute(request, pk: int):
    """Recompute one service's flag now (the nightly job does every service)."""
    require(request.user, "run", "risk.earlywarning")
    service = get_object_or_404(Service.objects.visible_to(request.user), pk=pk)
    compute(timezone.localdate(), only=service.pk)
    warning = EarlyWarning.objects.filter(service=service).first()
    if warning is None:
        messages.info(request, "A decommissioned service has no early warning.")
    elif warning.flagged:
        messages.warning(request, f"Checked again: {service.name} may be getting worse.")
    else:
        messages.success(request, f"Checked again: no early warning for {service.name}.")
    return redirect(service)
