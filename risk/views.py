"""Risk pages: the policy (matrix and schedules) and its edit, job runs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from providers import cqc_views
from qaf import policy
from qaf.concurrency import StaleEdit
from qaf.generic import parse_id
from qaf.scoping import can, require
from risk import services
from risk.forms import PolicyForm
from risk.matrix import FACTOR_LABELS, FACTORS, with_defaults
from risk.models import JobRun, PolicyVersion


@login_required
def policy_detail(request):
    require(request.user, "view", "risk.policyversion")
    current = PolicyVersion.current()
    matrix = with_defaults(current.matrix)
    rows = [(FACTOR_LABELS[f], matrix[f]) for f in FACTORS]
    return render(
        request,
        "risk/policy_detail.html",
        {
            "policy": current,
            "rows": rows,
            "settings": _settings_in_words(current),
            "versions": PolicyVersion.objects.select_related("created_by")[:20],
            "can_change": can(request.user, "change", "risk.policyversion"),
        },
    )


def _settings_in_words(version: PolicyVersion) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every registered setting (qaf.policy) of ``version``, by section: label and value."""
    values = policy.values(version.schedules)
    return [
        (
            section,
            [
                (entry.label.format(part="…"), entry.describe(values[entry.name]))
                for entry in entries
            ],
        )
        for section, entries in policy.sections()
    ]


UNKNOWN_BASE = (
    "The version you started from is not known: open the page again and make your change again."
)


@login_required
def policy_edit(request):
    require(request.user, "change", "risk.policyversion")
    current = PolicyVersion.current()
    based_on = current
    if request.method == "POST":
        # The version the form was opened at (a hidden field): anything else is a message.
        pk = parse_id(request.POST.get("based_on"))
        based_on = PolicyVersion.objects.filter(pk=pk).first() if pk is not None else None
    start = based_on or current
    form = PolicyForm(request.POST or None, matrix=start.matrix, schedules=start.schedules)
    if request.method == "POST" and based_on is None:
        form.full_clean()
        form.add_error(None, UNKNOWN_BASE)
    elif request.method == "POST" and form.is_valid():
        if not form.has_policy_changes():
            form.add_error(None, "Nothing has changed: change a setting, or cancel.")
        else:
            matrix, schedules = form.to_policy()
            try:
                version = services.save_policy(
                    matrix=matrix,
                    schedules=schedules,
                    note=form.cleaned_data["note"],
                    actor=request.user,
                    based_on=based_on,
                )
            except StaleEdit as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Version {version.number} saved. Every service is being re-rated with it: "
                    "the Jobs page shows the progress.",
                )
                return redirect("risk:policy")
    return render(request, "risk/policy_form.html", {"form": form, "based_on": start})


@login_required
def job_runs(request):
    require(request.user, "view", "risk.jobrun")
    page = Paginator(JobRun.objects.select_related("triggered_by"), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "risk/job_runs.html",
        {
            "page": page,
            "can_run": can(request.user, "run", "risk.jobrun"),
            "running": JobRun.objects.filter(status=JobRun.Status.RUNNING).exists(),
            **cqc_views.jobs_page_context(request.user),
        },
    )


@login_required
@require_POST
def run_job_now(request):
    require(request.user, "run", "risk.jobrun")
    from risk.tasks import nightly

    transaction.on_commit(lambda: nightly.delay(triggered_by_id=request.user.pk))
    messages.success(request, "The nightly job has been queued. Refresh this page to follow it.")
    return redirect("risk:jobs")
