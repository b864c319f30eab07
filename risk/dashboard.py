"""Quality & Risk dashboard (issue 3 item 7): where the team should look first.

Counts by RAG (overall, per service type, per area), overdue reviews, ratings that worsened in
the last 30 days and the signed-in officer's caseload, for the services that match the filters.
Every table downloads as CSV or XLSX (``?export_table=<name>&_export=csv|xlsx``, with the
filters kept); the charts are SVG drawn on the server (``qaf.charts``).

Queries are bounded (STYLE habit 7): the counts are two ``GROUP BY`` aggregates (per type, per
area; the totals are the sum of the per-type rows), and each list is one page of 25 plus its
count, whatever the number of services.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import django_filters as df
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django_tables2 import RequestConfig
from django_tables2.export import TableExport

from providers.filters import ScopedFilterSet, _checkboxes
from providers.models import Provider, RegulatorRating, Service, ServiceType
from qaf import charts
from qaf.generic import render_partial_or_page
from qaf.models import CASEWORK_ROLES, User
from qaf.scoping import can
from risk.dashboard_tables import (
    CaseloadTable,
    OverdueReviewsTable,
    RagCountsTable,
    WorsenedTable,
)
from risk.models import RagRating, RatingChange

PER_PAGE = 25
WORSENED_DAYS = 30
EXPORT_PARAM = "_export"  # as django-tables2's ExportMixin on the register lists
EXPORT_TABLE_PARAM = "export_table"
RAG_KEYS = ("red", "amber", "green")
# Filters that the register's service list (providers.filters.ServiceFilter) understands too:
# the dashboard's links into the list carry them.
REGISTER_FILTERS = (
    "service_type",
    "local_authority_area",
    "out_of_area",
    "regulator_rating",
    "provider",
)

# Red first when a list is sorted by rating.
RATING_RANK = {"red": 3, "amber": 2, "green": 1}


def _rank(field: str) -> Case:
    return Case(
        *(When(**{field: rating}, then=Value(rank)) for rating, rank in RATING_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def _rag_counts(prefix: str = "risk__") -> dict[str, Count]:
    counts = {
        key: Count("pk", filter=Q(**{f"{prefix}rating": key}))
        for key in (RagRating.RED, RagRating.AMBER, RagRating.GREEN)
    }
    counts["unrated"] = Count("pk", filter=Q(**{f"{prefix}isnull": True}))
    counts["total"] = Count("pk")
    return counts


# A rating worsened when it went up the scale; a first rating (from "") never counts.
WORSENED = Q(from_rating=RagRating.GREEN, to_rating__in=[RagRating.AMBER, RagRating.RED]) | Q(
    from_rating=RagRating.AMBER, to_rating=RagRating.RED
)


# --- Filters ------------------------------------------------------------------------------


def lead_officers() -> QuerySet[User]:
    """Staff who can lead services: officers and managers, by name."""
    return User.objects.filter(
        is_active=True, provider__isnull=True, roles__overlap=sorted(CASEWORK_ROLES)
    ).order_by("first_name", "last_name", "username")


class DashboardFilter(ScopedFilterSet):
    service_type = df.MultipleChoiceFilter(
        widget=_checkboxes(), choices=ServiceType.choices, label="Service type"
    )
    regulator_rating = df.MultipleChoiceFilter(
        widget=_checkboxes(), choices=RegulatorRating.choices, label="Regulator rating"
    )
    out_of_area = df.BooleanFilter(
        label="In or out of area",
        widget=forms.Select(
            choices=[("", "Both"), ("false", "In area"), ("true", "Out of area")],
        ),
    )
    local_authority_area = df.ChoiceFilter(label="Area", empty_label="All areas")
    lead_officer = df.ModelChoiceFilter(
        queryset=lead_officers(), label="Lead officer", empty_label="Any lead officer"
    )
    # Not offered in the panel (a long list): links from a provider's page set it.
    provider = df.ModelChoiceFilter(queryset=Provider.objects.all(), widget=forms.HiddenInput)

    class Meta:
        model = Service
        fields = [
            "service_type",
            "regulator_rating",
            "out_of_area",
            "local_authority_area",
            "lead_officer",
            "provider",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The areas on the register, read once per request (the filter validates against them).
        areas = (
            Service.objects.visible_to(getattr(self.request, "user", None))
            .exclude(local_authority_area="")
            .order_by("local_authority_area")
            .values_list("local_authority_area", flat=True)
            .distinct()
        )
        self.filters["local_authority_area"].extra["choices"] = [(a, a) for a in areas]

    @property
    def active(self) -> bool:
        """True when any filter narrows the services."""
        if not self.is_valid():
            return True
        return any(value not in (None, "", []) for value in self.form.cleaned_data.values())


# --- The figures --------------------------------------------------------------------------


def _group_rows(
    services: QuerySet, field: str, labels: dict[str, str], params: QueryDict
) -> list[dict[str, Any]]:
    """RAG counts per value of ``field``, with a link to the register list filtered to it."""
    rows = []
    for row in services.values(field).annotate(**_rag_counts()).order_by(field):
        key = row.pop(field)
        rows.append(
            {
                **row,
                "key": key,
                "label": labels.get(key, key) or "Not recorded",
                "url": register_link(params, **{field: key}) if key else "",
            }
        )
    return rows


def register_link(params: QueryDict, **extra: str) -> str:
    """The service list, filtered like the dashboard (and by ``extra``)."""
    query = QueryDict(mutable=True)
    for name in REGISTER_FILTERS:
        for value in params.getlist(name):
            if value:
                query.appendlist(name, value)
    for name, value in extra.items():
        query[name] = value
    return f"{reverse('providers:service_list')}?{query.urlencode()}"


def rag_figures(by_type: list[dict[str, Any]]) -> dict[str, int]:
    totals = dict.fromkeys((*RAG_KEYS, "unrated", "total"), 0)
    for row in by_type:
        for key in totals:
            totals[key] += row[key]
    return totals


def overdue_queryset(services: QuerySet) -> QuerySet:
    return (
        services.filter(risk__review_overdue=True)
        .select_related("provider", "lead_officer", "risk")
        .annotate(rating_rank=_rank("risk__rating"))
        .order_by("risk__next_review_due", "name", "pk")
    )


def worsened_queryset(services: QuerySet, today: date) -> QuerySet:
    return (
        RatingChange.objects.filter(
            WORSENED,
            service__in=services.values("pk"),
            date__gt=today - timedelta(days=WORSENED_DAYS),
            date__lte=today,
        )
        .select_related("service", "service__provider", "service__lead_officer", "service__risk")
        .annotate(current_rank=_rank("service__risk__rating"))
        .order_by("-date", "-pk")
    )


def caseload_queryset(services: QuerySet, user: User) -> QuerySet:
    return (
        services.filter(lead_officer=user)
        .select_related("provider", "risk")
        .annotate(rating_rank=_rank("risk__rating"))
        .order_by("risk__next_review_due", "name", "pk")
    )


# --- The view -----------------------------------------------------------------------------


class _Tables:
    """Builds only the tables a request needs (a download needs one)."""

    def __init__(self, request, services: QuerySet, today: date, params: QueryDict):
        self.request = request
        self.services = services
        self.today = today
        self.params = params
        self._by_type: list[dict[str, Any]] | None = None

    @property
    def has_caseload(self) -> bool:
        return self.request.user.has_role(*CASEWORK_ROLES)

    def by_type_rows(self) -> list[dict[str, Any]]:
        if self._by_type is None:
            rows = _group_rows(
                self.services,
                "service_type",
                dict(ServiceType.choices),
                self.params,
            )
            order = {value: index for index, value in enumerate(ServiceType.values)}
            self._by_type = sorted(rows, key=lambda row: order.get(row["key"], len(order)))
        return self._by_type

    def _counts(self, rows, label: str, name: str) -> RagCountsTable:
        unrated = any(row["unrated"] for row in rows)
        return RagCountsTable(
            rows,
            label=label,
            labelled_by=f"{name}-heading",
            exclude=() if unrated else ("unrated",),
            orderable=False,
        )

    def by_type(self) -> RagCountsTable:
        return self._counts(self.by_type_rows(), "Service type", "type")

    def by_area(self) -> RagCountsTable:
        rows = _group_rows(self.services, "local_authority_area", {}, self.params)
        return self._counts(rows, "Area", "area")

    def _paged(self, table):
        RequestConfig(self.request, paginate={"per_page": PER_PAGE}).configure(table)
        return table

    def overdue(self) -> OverdueReviewsTable:
        return self._paged(
            OverdueReviewsTable(
                overdue_queryset(self.services), prefix="overdue-", labelled_by="overdue-heading"
            )
        )

    def worsened(self) -> WorsenedTable:
        return self._paged(
            WorsenedTable(
                worsened_queryset(self.services, self.today),
                prefix="worsened-",
                labelled_by="worsened-heading",
            )
        )

    def caseload(self) -> CaseloadTable | None:
        if not self.has_caseload:
            return None
        return self._paged(
            CaseloadTable(
                caseload_queryset(self.services, self.request.user),
                prefix="caseload-",
                labelled_by="caseload-heading",
            )
        )


EXPORT_NAMES = {
    "by_type": "ratings-by-service-type",
    "by_area": "ratings-by-area",
    "overdue": "overdue-reviews",
    "worsened": "worsened-ratings",
    "caseload": "my-caseload",
}


def _export(request, built: _Tables, name: str, export_format: str) -> HttpResponse:
    if not can(request.user, "export", "risk.dashboard"):
        raise PermissionDenied("Your role does not allow downloads of the dashboard.")
    if name not in EXPORT_NAMES or not TableExport.is_valid_format(export_format):
        raise Http404("No such download.")
    table = getattr(built, name)()
    if table is None:
        raise Http404("No such download.")
    exporter = TableExport(export_format, table, dataset_kwargs={"title": EXPORT_NAMES[name]})
    return exporter.response(f"{EXPORT_NAMES[name]}-{built.today.isoformat()}.{export_format}")


@login_required
def dashboard(request):
    user = request.user
    if not can(user, "view", "risk.dashboard"):
        raise PermissionDenied("Your role does not allow this.")
    today = timezone.localdate()
    # Always bound: no parameters means no filters, not an invalid form.
    filterset = DashboardFilter(
        request.GET, queryset=Service.objects.visible_to(user), request=request
    )
    services = filterset.qs if filterset.is_valid() else Service.objects.none()
    built = _Tables(request, services, today, request.GET)

    export_format = request.GET.get(EXPORT_PARAM)
    if export_format:
        return _export(request, built, request.GET.get(EXPORT_TABLE_PARAM, ""), export_format)

    by_type_rows = built.by_type_rows()
    totals = rag_figures(by_type_rows)
    series = [s for s in charts.RAG_SERIES if s.key != "unrated" or totals["unrated"]]
    context = {
        "filter": filterset,
        "form": filterset.form,
        "today": today,
        "since": today - timedelta(days=WORSENED_DAYS - 1),
        "worsened_days": WORSENED_DAYS,
        "totals": totals,
        "cards": _cards(totals, request.GET),
        "by_type": built.by_type(),
        "by_area": built.by_area(),
        "overdue": built.overdue(),
        "worsened": built.worsened(),
        "caseload": built.caseload(),
        "can_export": can(user, "export", "risk.dashboard"),
        "provider": filterset.form.cleaned_data.get("provider") if filterset.is_valid() else None,
        "filters_active": filterset.active,
        "totals_chart": charts.donut_chart(
            totals,
            series,
            title="Services by overall rating",
            id_prefix="chart-totals",
        ),
        "type_chart": charts.stacked_bar_chart(
            [(row["label"], row) for row in by_type_rows],
            series,
            title="Ratings by service type",
            id_prefix="chart-types",
        ),
    }
    return render_partial_or_page(
        request, "risk/dashboard.html", "risk/dashboard_partial.html", context
    )


def _cards(totals: dict[str, int], params: QueryDict) -> list[dict[str, Any]]:
    total = totals["total"]
    return [
        {
            "key": key,
            "label": RagRating(key).label,
            "count": totals[key],
            "share": round(100 * totals[key] / total) if total else 0,
            "url": register_link(params, risk_rating=key),
        }
        for key in RAG_KEYS
    ]
