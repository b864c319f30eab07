"""The administrator's data protection pages: retention and tonight's purge, the access log,
subject-access exports (docs/data-protection.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import slugify

from providers.evidence import DownloadLog
from qaf.generic import ScopedListView
from qaf.privacy import purge
from qaf.privacy.filters import AccessLogFilter
from qaf.privacy.forms import SubjectAccessForm
from qaf.privacy.models import SubjectAccessExport
from qaf.privacy.retention import RECORD_TYPES, describe
from qaf.privacy.subject_access import export as export_subject_access
from qaf.privacy.tables import AccessLogTable
from qaf.scoping import require
from risk.jobs import RETENTION_PURGE
from risk.models import JobRun

RECENT_EXPORTS = 20


@login_required
def index(request):
    """Retention periods, what tonight's purge would delete, and the last purge."""
    require(request.user, "view", "privacy.retention")
    today = timezone.localdate()
    counts = purge.preview(today)
    rows = [
        {
            "type": record_type,
            "period": describe(record_type.period),
            "due": counts[record_type.name],
        }
        for record_type in RECORD_TYPES
    ]
    last_run = JobRun.objects.filter(name=RETENTION_PURGE).first()
    context = {"rows": rows, "last_run": last_run, "today": today}
    return TemplateResponse(request, "privacy/index.html", context)


class AccessLogList(ScopedListView):
    """Who opened a confidential intelligence entry and who downloaded evidence (SPEC §10)."""

    model = DownloadLog
    table_class = AccessLogTable
    filterset_class = AccessLogFilter
    page_title = "Access log"
    template_name = "privacy/access_log.html"
    select_related = ("user", "provider", "intelligence", "evidence")

    def get_export_filename(self, export_format):
        return f"access-log.{export_format}"


@login_required
def subject_access(request):
    """The form; posting it answers with the ZIP (and logs the export)."""
    require(request.user, "add", SubjectAccessExport)
    form = SubjectAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _log, content = export_subject_access(
            data["name"],
            data["email"],
            actor=request.user,
            reference=data["reference"],
            ip_address=request.META.get("REMOTE_ADDR"),
        )
        response = HttpResponse(content, content_type="application/zip")
        filename = f"subject-access-{slugify(data['name'])}-{timezone.localdate():%Y-%m-%d}.zip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    exports = SubjectAccessExport.objects.select_related("requested_by")[:RECENT_EXPORTS]
    context = {"form": form, "exports": exports}
    return TemplateResponse(request, "privacy/subject_access.html", context)
