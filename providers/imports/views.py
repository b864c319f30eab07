"""Upload pages for the imports: list of jobs, upload form, progress and summary, rejected rows.

Managers and administrators only (``can(user, "run", "providers.import")``, else 403); every
manager sees every job (staff-only pages, no provider data is exposed to other organisations).
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from providers.imports.forms import ImportUploadForm
from providers.models import ImportJob
from qaf.exports import defuse
from qaf.generic import render_partial_or_page
from qaf.scoping import can

PERMISSION = "providers.import"


def _require_importer(user) -> None:
    if not can(user, "run", PERMISSION):
        raise PermissionDenied("Only quality managers and administrators run imports.")


def _jobs(user):
    return ImportJob.objects.visible_to(user).select_related("created_by")


@login_required
def job_list(request):
    _require_importer(request.user)
    page = Paginator(_jobs(request.user), 25).get_page(request.GET.get("page"))
    return TemplateResponse(request, "providers/imports/job_list.html", {"page_obj": page})


@login_required
def job_create(request):
    _require_importer(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        from providers.tasks import run_import_job

        with transaction.atomic():
            job = form.save(commit=False)
            job.created_by = request.user
            job.save()
            transaction.on_commit(lambda: run_import_job.delay(job.pk))
        return redirect(job)
    return TemplateResponse(request, "providers/imports/job_form.html", {"form": form})


@login_required
def job_detail(request, pk: int):
    _require_importer(request.user)
    job = get_object_or_404(_jobs(request.user), pk=pk)
    context = {"job": job, "counts": job.counts, "rejected_preview": job.rejected_rows[:20]}
    return render_partial_or_page(
        request, "providers/imports/job_detail.html", "providers/imports/_job_status.html", context
    )


def _safe(value: object) -> str:
    return defuse("" if value is None else str(value))


@login_required
def rejected_rows_csv(request, pk: int):
    """The rejected rows: row number, reason, then the row's original values."""
    _require_importer(request.user)
    job = get_object_or_404(_jobs(request.user), pk=pk)
    columns = [name for name in job.columns if name] or list(
        dict.fromkeys(name for row in job.rejected_rows for name in row.get("values", {}))
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rejected-rows.csv"'
    response.write("\ufeff")  # so that Excel reads the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(["Row", "Reason", *columns])
    for row in job.rejected_rows:
        values = row.get("values", {})
        writer.writerow(
            [row["row"], _safe(row["reason"]), *(_safe(values.get(name, "")) for name in columns)]
        )
    return response
