"""The service and provider timeline pages and their PDFs (issue 14 item 1): thin views over
``providers.timeline``; the API's actions (providers.api.views) share the form's rules."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from providers.models import Provider, Service
from providers.timeline import (
    Period,
    Subject,
    TimelineQuery,
    kinds_for,
    name_services,
    timeline,
)
from qaf.forms import check_period
from qaf.generic import get_scoped_or_404
from qaf.pdf import render_pdf
from qaf.validators import validate_plausible_date

PAGE_SIZE = 50
PDF_TEMPLATE = "providers/timeline/timeline_pdf.html"


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        validators=[validate_plausible_date],
        error_messages={"invalid": f"{label} must be a real date, like 27/3/2026"},
    )


class TimelineFilterForm(forms.Form):
    kind = forms.MultipleChoiceField(
        label="What to show",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave every box empty to show everything",
    )
    date_from = _date_field("From")
    date_to = _date_field("To")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds_for(user)

    def clean(self):
        data = super().clean()
        check_period(self, "To must be the same as or after From")
        return data


def filtered_timeline(request, subject: Subject, data) -> tuple[TimelineFilterForm, list, bool]:
    """The form over ``data`` and, when it is valid, the entries it chooses (else none)."""
    form = TimelineFilterForm(data, user=request.user)
    if not form.is_valid():
        return form, [], False
    period = Period(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    entries, more = timeline(
        TimelineQuery(request.user, subject, period), form.cleaned_data["kind"] or None
    )
    return form, entries, more


def _service(request, pk: int) -> tuple[Service, Subject]:
    service = get_scoped_or_404(Service, request.user, pk)
    return service, Subject(provider_id=service.provider_id, service_id=service.pk)


def _provider(request, pk: int) -> tuple[Provider, Subject]:
    provider = get_scoped_or_404(Provider, request.user, pk)
    return provider, Subject(provider_id=provider.pk)


def _service_names(request, subject: Subject) -> dict[int, str]:
    if subject.service_id is not None:
        return {}
    return dict(
        Service.objects.visible_to(request.user)
        .filter(provider_id=subject.provider_id)
        .values_list("pk", "name")
    )


def _page(request, about, subject: Subject, pdf_url_name: str):
    form, entries, more = filtered_timeline(request, subject, request.GET)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = name_services(page.object_list, _service_names(request, subject))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "providers/timeline/page.html",
        {
            "about": about,
            "is_service": subject.service_id is not None,
            "form": form,
            "page": page,
            "entries": page.object_list,
            "more": more,
            "filters_active": bool(query),
            "query": query.urlencode(),
            "pdf_url_name": pdf_url_name,
        },
    )


def _pdf(request, about, subject: Subject):
    form, entries, more = filtered_timeline(request, subject, request.GET)
    if not form.is_valid():
        return TemplateResponse(
            request,
            "400.html",
            {"reason": "; ".join(e for errors in form.errors.values() for e in errors)},
            status=400,
        )
    now = timezone.localtime()
    chosen = set(form.cleaned_data.get("kind") or [])
    pdf = render_pdf(
        PDF_TEMPLATE,
        {
            "about": about,
            "is_service": subject.service_id is not None,
            "entries": name_services(entries, _service_names(request, subject)),
            "more": more,
            "chosen": [label for kind, label in kinds_for(request.user) if kind in chosen],
            "period": form.cleaned_data,
            "for_provider": request.user.is_provider_user,
            "produced_by": request.user,
            "now": now,
        },
    )
    name = f"Timeline – {about.name} – {now:%Y-%m-%d}.pdf"
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(True, name)},
    )


@login_required
@require_GET
def service_timeline(request, pk: int):
    service, subject = _service(request, pk)
    return _page(request, service, subject, "providers:service_timeline_pdf")


@login_required
@require_GET
def service_timeline_pdf(request, pk: int):
    service, subject = _service(request, pk)
    return _pdf(request, service, subject)


@login_required
@require_GET
def provider_timeline(request, pk: int):
    provider, subject = _provider(request, pk)
    return _page(request, provider, subject, "providers:provider_timeline_pdf")


@login_required
@require_GET
def provider_timeline_pdf(request, pk: int):
    provider, subject = _provider(request, pk)
    return _pdf(request, provider, subject)
