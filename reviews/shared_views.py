"""Shared outcomes between councils (issue 14 item 4): other councils' outcomes recorded here,
the download of this council's, and the upload of another council's file with its report.

Every page asks ``can(user, action, "reviews.sharedoutcome")`` (else 403); the rows and the
services come through ``visible_to``. The work is done by ``reviews.shared_outcomes``.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse

from providers.models import Service
from qaf.files import human_size, max_upload_bytes
from qaf.forms import check_period
from qaf.scoping import can, require
from qaf.validators import validate_plausible_date
from reviews import shared_outcomes as shared
from reviews.models import InformationRequest, SharedOutcome

MODEL = "reviews.sharedoutcome"
PAGE_SIZE = 50


class ExportForm(forms.Form):
    date_from = forms.DateField(
        label="Completed on or after",
        required=False,
        validators=[validate_plausible_date],
        help_text="For example, 1/4/2026. Leave empty for every review up to the date below.",
    )
    date_to = forms.DateField(
        label="Completed on or before",
        required=False,
        validators=[validate_plausible_date],
        help_text="For example, 31/3/2027. Leave empty for every review since the date above.",
    )
    regulator_ids = forms.CharField(
        label="Services (regulator ids)",
        required=False,
        max_length=4000,
        help_text="Leave empty for every service, or list CQC location ids or Ofsted URNs "
        "separated by commas or spaces, like 1-1000210669.",
    )
    service = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["service"].queryset = Service.objects.visible_to(user)

    def clean(self):
        cleaned = super().clean()
        check_period(self, "The end of the period must be on or after its start")
        ids = [i for i in re.split(r"[\s,;]+", cleaned.get("regulator_ids") or "") if i]
        services = list(cleaned.get("service") or [])
        if ids:
            found = list(Service.objects.visible_to(self.user).filter(regulator_id__in=ids))
            missing = sorted(set(ids) - {s.regulator_id for s in found})
            if missing:
                self.add_error(
                    "regulator_ids", f"No service has the regulator id {', '.join(missing)}"
                )
            services += found
        cleaned["services"] = services
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Upload a shared-outcomes file",
        error_messages={
            "required": "Select the JSON file the other council sent",
            "empty": "The selected file is empty",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "The JSON file another council exported from its quality system (format version "
            f"1), up to {human_size(max_upload_bytes())}."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                f"The file must be smaller than {human_size(max_upload_bytes())}"
            )
        try:
            self.document = shared.parse(upload.read())
        except shared.OutcomesFileError as exc:
            raise forms.ValidationError(str(exc), code="not_json") from exc
        return upload


@login_required
def outcome_list(request):
    user = request.user
    require(user, "view", MODEL)
    rows = (
        SharedOutcome.objects.visible_to(user)
        .select_related("service__provider", "supplied_by", "intelligence")
        .order_by("-imported_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "reviews/shared/list.html",
        {
            "page_obj": page,
            "can_export": can(user, "export", MODEL),
            "can_import": can(user, "add", MODEL),
        },
    )


@login_required
def outcome_export(request):
    """The form (GET); with ``download`` and valid filters, the JSON file itself."""
    require(request.user, "export", MODEL)
    form = ExportForm(request.GET if request.GET else None, user=request.user)
    if "download" in request.GET and form.is_valid():
        data = form.cleaned_data
        reviews = shared.outcomes_queryset(
            request.user,
            date_from=data["date_from"],
            date_to=data["date_to"],
            services=data["services"],
        )
        document = shared.export_document(
            reviews, date_from=data["date_from"], date_to=data["date_to"]
        )
        response = HttpResponse(
            json.dumps(document, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{shared.export_filename()}"'
        return response
    # The outcomes that go without their summary (it names someone), for the period asked.
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "services": data["services"],
        }
    withheld = shared.withheld(shared.outcomes_queryset(request.user, **filters))
    return TemplateResponse(
        request, "reviews/shared/export.html", {"form": form, "withheld": withheld}
    )


@login_required
def outcome_import(request):
    """Upload another council's file; the answer is the per-row report."""
    user = request.user
    require(user, "add", MODEL)
    # From an information request: the provider came to point at another council's outcomes.
    info_request = None
    request_id = request.GET.get("request", "")
    if request_id.isdigit():
        info_request = (
            InformationRequest.objects.visible_to(user)
            .select_related("service")
            .filter(pk=request_id)
            .first()
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "info_request": info_request}
    if request.method == "POST" and form.is_valid():
        try:
            report = shared.import_document(form.document, actor=user)
        except shared.OutcomesFileError as exc:
            form.add_error("file", str(exc))
        else:
            context["report"] = report
            return TemplateResponse(request, "reviews/shared/report.html", context)
    return TemplateResponse(request, "reviews/shared/import.html", context)


def service_context(service, user) -> dict:
    """The service page's "Other councils' outcomes" section."""
    if not can(user, "view", MODEL):
        return {"shared_outcomes": [], "can_import_outcomes": False}
    return {
        "shared_outcomes": list(shared.service_outcomes(service, user)),
        "can_import_outcomes": can(user, "add", MODEL),
    }
