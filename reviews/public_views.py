"""The public pages of published summaries (issue 14 item 5): no sign-in, no personal data.

Every page here is the same for everyone, signed in or not: each is rendered without the
request (no user, no messages, no CSRF token, no CSP nonce: the base template has no inline
script), kept in the cache until a summary is published or withdrawn (``reviews.public``), and
sent with ``Cache-Control: public, max-age``. A withdrawn summary's address answers 410 Gone
saying so, without the old content; an address that never was a summary, 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from providers.models import ServiceType
from qaf.generic import parse_id
from reviews.models import PublishedSummary, SummaryState
from reviews.public import PUBLIC_MAX_AGE, cached_page

PER_PAGE = 20
# What the public JSON gives for each summary (never who published or withdrew it).
FIELDS = ("id", "service_name", "service_type", "area", "review_date", "rating", "published_at")


class SearchForm(forms.Form):
    q = forms.CharField(label="Service name", required=False, max_length=100)
    service_type = forms.ChoiceField(
        label="Type of service", required=False, choices=[("", "Any type"), *ServiceType.choices]
    )
    area = forms.ChoiceField(label="Area", required=False)

    def __init__(self, *args, areas: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "Any area"), *((a, a) for a in areas)]


def _published():
    return PublishedSummary.objects.published()


def _areas() -> list[str]:
    return sorted(set(_published().exclude(area="").values_list("area", flat=True)))


def _filtered(form: SearchForm):
    rows = _published()
    if not form.is_valid():
        return rows.none()
    data = form.cleaned_data
    if data["q"].strip():
        rows = rows.filter(service_name__icontains=data["q"].strip())
    if data["service_type"]:
        rows = rows.filter(service_type=data["service_type"])
    if data["area"]:
        rows = rows.filter(area=data["area"])
    return rows.order_by("-published_at", "-pk")


def _public(html: str, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(html, status=status)
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def _context(**extra) -> dict:
    return {
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.COUNCIL_SERVICE_NAME,
        **extra,
    }


def _page_number(value) -> int:
    return parse_id(value) or 1


def _render_index(params: dict) -> str:
    form = SearchForm(params, areas=_areas())
    rows = _filtered(form).only(*FIELDS)
    page = Paginator(rows, PER_PAGE).get_page(_page_number(params.get("page")))
    query = {k: v for k, v in params.items() if k != "page" and v}
    return render_to_string(
        "public/index.html",
        _context(
            form=form,
            page=page,
            summaries=list(page.object_list),
            searched=bool(query),
            query=urlencode(query),
        ),
    )


@require_safe
def index(request):
    """Published summaries, newest first: search by name, filter by type and area, 20 a page."""
    params = {key: request.GET.get(key, "")[:100] for key in ("q", "service_type", "area", "page")}
    key = urlencode(sorted(params.items()))
    return _public(cached_page("index", key, lambda: _render_index(params)))


def _render_summary(pk: int) -> tuple[int, str]:
    row = PublishedSummary.objects.filter(pk=pk).exclude(state=SummaryState.DRAFT).first()
    if row is None:
        return 404, ""
    if row.state == SummaryState.WITHDRAWN:
        return 410, render_to_string("public/gone.html", _context(withdrawn_at=row.withdrawn_at))
    return 200, render_to_string("public/summary.html", _context(summary=row))


@require_safe
def summary(request, pk: int):
    status, html = cached_page("summary", str(pk), lambda: _render_summary(pk))
    if status == 404:
        raise Http404("No such summary.")
    return _public(html, status=status)


@require_safe
def summaries_json(request):
    """The published summaries as JSON (the same rows and ratings as the pages), newest first,
    paged as the index is: ``{"count", "page", "pages", "results": [...]}``."""

    def render() -> str:
        rows = _published().order_by("-published_at", "-pk")
        page = Paginator(rows, 100).get_page(_page_number(request.GET.get("page")))
        results = [
            {
                "id": row.pk,
                "url": request.build_absolute_uri(row.get_public_url()),
                "service_name": row.service_name,
                "service_type": row.service_type,
                "service_type_label": row.get_service_type_display(),
                "area": row.area,
                "review_date": row.review_date.isoformat() if row.review_date else None,
                "rating": row.rating,
                "domains": row.domains,
                "summary": row.summary,
                "published_at": row.published_at.isoformat(),
            }
            for row in page.object_list
        ]
        body = {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": results,
        }
        return JsonResponse(body).content.decode()

    key = f"{request.get_host()}|{_page_number(request.GET.get('page'))}"
    response = HttpResponse(cached_page("json", key, render), content_type="application/json")
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response
