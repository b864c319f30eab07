"""Quality & Risk dashboard (issue 3 item 7): where the team should look first.

Counts by RAG (overall, per service type, per area), overdue reviews, ratings that worsened in
the last ``worsened_days`` days (a policy setting, 30 by default) and the signed-in officer's
caseload, for the services that match the filters.
Every table downloads as CSV or XLSX (``?export_table=<name>&_export=csv|xlsx``, the filters
and sort order kept); the charts are SVG drawn on the server (``qaf.charts``).

Queries are bounded (STYLE habit 7) and the same in number for 5 or 100,000 services: one
``GROUP BY`` (service type, area) gives every count on the page, the overdue count included;
each list is one page of 25 (plus its count); the area choices come from an index walk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import django_filters as df
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django_tables2 import RequestConfig

from providers.filters import ScopedFilterSet, _checkboxes
from providers.models import Provider, RegulatorRating, Service, ServiceType
from qaf import charts, policy
from qaf.generic import render_partial_or_page
from qaf.models import CASEWORK_ROLES, User
from qaf.rag import ORDER, WORST_FIRST, Rag, rank_expression
from qaf.scoping import can
from risk.dashboard_tables import (
    CaseloadTable,
    DashboardExport,
    DashboardPaginator,
    GettingWorseTable,
    OverdueReviewsTable,
    RagCountsTable,
    WorsenedTable,
)
from risk.models import RatingChange

PER_PAGE = 25
EXPORT_PARAM = "_export"  # as django-tables2's ExportMixin on the register lists
EXPORT_TABLE_PARAM = "export_table"
EXPORT_FORMATS = ("csv", "xlsx")
# Each table's name (in ids, parameters and downloads): what it is called on the page.
TITLES = {
    "by_type": "ratings by service type",
    "by_area": "ratings by area",
    "overdue": "overdue reviews",
    "worsened": "ratings that got worse",
    "caseload": "my caseload",
    "getting_worse": "services getting worse",
}
EXPORT_NAMES = {
    "by_type": "ratings-by-service-type",
    "by_area": "ratings-by-area",
    "overdue": "overdue-reviews",
    "worsened": "worsened-ratings",
    "caseload": "my-caseload",
    "getting_worse": "getting-worse",
}
RAG_KEYS = WORST_FIRST
COUNT_KEYS = (*RAG_KEYS, "unrated", "total", "overdue")
# Filters that the register's service list (providers.filters.ServiceFilter) understands too:
# the dashboard's links into the list carry them.
REGISTER_FILTERS = (
    "getting_worse",
    "service_type",
    "local_authority_area",
    "out_of_area",
    "regulator_rating",
    "provider",
)

# A rating worsened when it went up the scale; a first rating (from "") never counts.
# (Green to Amber or Red, Amber to Red: qaf.rag.is_worse, in SQL.)
WORSENED = Q(
    *(Q(from_rating=old, to_rating__in=ORDER[index + 1 :]) for index, old in enumerate(ORDER[:-1])),
    _connector=Q.OR,
)


# --- Filters ------------------------------------------------------------------------------


def lead_officers() -> QuerySet[User]:
    """Staff who can lead services: officers and managers, by name."""
    return User.objects.filter(
        is_active=True, provider__isnull=True, roles__overlap=sorted(CASEWORK_ROLES)
    ).order_by("first_name", "last_name", "username")


def register_areas() -> list[str]:
    """Every area on the register, in order.

    A ``SELECT DISTINCT`` reads all 100,000 rows; this walks the area index instead, one probe
    per distinct area (a "loose index scan"). Not scoped: the dashboard is for staff, who see
    every service.
    """
    table = connection.ops.quote_name(Service._meta.db_table)
    column = connection.ops.quote_name(Service._meta.get_field("local_authority_area").column)
    sql = f"""
        WITH RECURSIVE areas(area) AS (
            (SELECT {column} FROM {table} WHERE {column} > '' ORDER BY 1 LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM {table} WHERE {column} > areas.area ORDER BY 1 LIMIT 1)
            FROM areas WHERE areas.area IS NOT NULL
        )
        SELECT area FROM areas WHERE area IS NOT NULL
    """  # noqa: S608 - names from the model's metadata, no user input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [area for (area,) in cursor.fetchall()]


class DashboardFilter(ScopedFilterSet):
    service_type = df.MultipleChoiceFilter(
        widget=_checkboxes(), choices=ServiceType.choices, label="Service type"
    )
    regulator_rating = df.MultipleChoiceFilter(
        widget=_checkboxes(), choices=RegulatorRating.choices, label="Regulator rating"
    )
    local_authority_area = df.ChoiceFilter(label="Area", empty_label="All areas")
    out_of_area = df.BooleanFilter(
        label="In or out of area",
        widget=forms.Select(choices=[("", "Both"), ("false", "In area"), ("true", "Out of area")]),
    )
    lead_officer = df.ModelChoiceFilter(
        queryset=lead_officers(), label="Lead officer", empty_label="Any lead officer"
    )
    getting_worse = df.BooleanFilter(
        field_name="early_warning__flagged",
        label="Early warning",
        widget=forms.Select(choices=[("", "All services"), ("true", "Getting worse only")]),
    )
    # Not offered in the panel (a long list): a link sets it, the form keeps it.
    provider = df.ModelChoiceFilter(queryset=Provider.objects.all(), widget=forms.HiddenInput)

    class Meta:
        model = Service
        fields = [
            "service_type",
            "regulator_rating",
            "local_authority_area",
            "out_of_area",
            "lead_officer",
            "getting_worse",
            "provider",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["local_authority_area"].extra["choices"] = [(a, a) for a in register_areas()]

    @property
    def active(self) -> bool:
        """True when a filter narrows the services (or a filter is wrong)."""
        if not self.is_valid():
            return True
        return any(value not in (None, "", []) for value in self.form.cleaned_data.values())


# --- The figures --------------------------------------------------------------------------


def register_link(params: QueryDict, **extra: str) -> str:
    """The register's service list, filtered like the dashboard (and by ``extra``)."""
    query = QueryDict(mutable=True)
    for name in REGISTER_FILTERS:
        for value in params.getlist(name):
            if value:
                query.appendlist(name, value)
    for name, value in extra.items():
        query[name] = value
    return f"{reverse('providers:service_list')}?{query.urlencode()}"


@dataclass
class Figures:
    """Counts by RAG (and of overdue reviews): in all, per service type, per area."""

    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    by_type: list[dict[str, Any]] = field(default_factory=list)
    by_area: list[dict[str, Any]] = field(default_factory=list)


def rag_figures(services: QuerySet, params: QueryDict) -> Figures:
    """Every count of the page from one ``GROUP BY`` (service type, area) of the services joined
    to their results; its rows (at most types x areas) are summed here per type, per area and
    in all. Rows carry ``key``, ``label`` and ``url`` (the register list filtered to them)."""
    counts = {key: Count("pk", filter=Q(risk__rating=key)) for key in RAG_KEYS}
    counts["unrated"] = Count("pk", filter=Q(risk__isnull=True))
    counts["total"] = Count("pk")
    counts["overdue"] = Count("pk", filter=Q(risk__review_overdue=True))
    figures = Figures()
    types: dict[str, dict[str, int]] = {}
    areas: dict[str, dict[str, int]] = {}
    groups = (
        services.order_by()
        .values("service_type", "local_authority_area")
        .annotate(**counts)
        .values_list("service_type", "local_authority_area", *COUNT_KEYS)
    )
    for service_type, area, *values in groups:
        for bucket in (
            types.setdefault(service_type, dict.fromkeys(COUNT_KEYS, 0)),
            areas.setdefault(area, dict.fromkeys(COUNT_KEYS, 0)),
            figures.totals,
        ):
            for key, value in zip(COUNT_KEYS, values, strict=True):
                bucket[key] += value
    labels = dict(ServiceType.choices)
    order = {key: index for index, key in enumerate(ServiceType.values)}
    figures.by_type = [
        {
            **types[key],
            "key": key,
            "label": labels.get(key, key),
            "url": register_link(params, service_type=key),
        }
        for key in sorted(types, key=lambda k: (order.get(k, len(order)), k))
    ]
    figures.by_area = [
        {
            **areas[key],
            "key": key,
            "label": key or "Not recorded",
            "url": register_link(params, local_authority_area=key) if key else "",
        }
        for key in sorted(areas, key=lambda k: (k == "", k.casefold()))
    ]
    return figures


# The lists never show the factors: leaving out that wide JSON column lets the database sort
# and join narrow rows (the overdue page at 100,000 services: 700 ms -> 120 ms).
NOT_SHOWN = ("risk__factors",)


def overdue_queryset(services: QuerySet) -> QuerySet:
    # The longest overdue first. Ordered by the result's own columns, the database can walk the
    # due-date index and join only the rows of the page.
    return (
        services.filter(risk__review_overdue=True)
        .select_related("provider", "lead_officer", "risk")
        .defer(*NOT_SHOWN)
        .annotate(rating_rank=rank_expression("risk__rating"))
        .order_by("risk__next_review_due", "risk__service_id")
    )


def worsened_queryset(services: QuerySet, today: date, days: int) -> QuerySet:
    """Changes for the worse in the ``days`` days up to and including today."""
    changes = RatingChange.objects.filter(
        WORSENED, date__gt=today - timedelta(days=days), date__lte=today
    )
    if services.query.where:  # filtered: else every service counts, and the subquery is waste
        changes = changes.filter(service__in=services.values("pk"))
    return (
        changes.select_related(
            "service", "service__provider", "service__lead_officer", "service__risk"
        )
        .defer(*(f"service__{name}" for name in NOT_SHOWN))
        .annotate(current_rank=rank_expression("service__risk__rating"))
        .order_by("-date", "-pk")
    )


def getting_worse_queryset(services: QuerySet) -> QuerySet:
    """Services whose early-warning flag is raised (risk.early_warning), latest first."""
    return (
        services.filter(early_warning__flagged=True)
        .select_related("provider", "lead_officer", "risk", "early_warning")
        .defer(*NOT_SHOWN)
        .annotate(rating_rank=rank_expression("risk__rating"))
        .order_by("-early_warning__flagged_since", "name", "pk")
    )


def caseload_queryset(services: QuerySet, user: User) -> QuerySet:
    return (
        # Rated services only: an inner join lets PostgreSQL walk the due-date index instead of
        # sorting the whole caseload (a service is rated as soon as it is saved).
        services.filter(lead_officer=user, risk__isnull=False)
        .select_related("provider", "risk")
        .defer(*NOT_SHOWN)
        .annotate(rating_rank=rank_expression("risk__rating"))
        .order_by("risk__next_review_due", "name", "pk")
    )


# --- The view -----------------------------------------------------------------------------


class DashboardTables:
    """Builds the tables of the page, or only the one a download needs."""

    def __init__(self, request, services: QuerySet, today: date, *, for_page: bool = True):
        self.request = request
        self.services = services
        self.today = today
        self.for_page = for_page  # else for a download: every column, every row
        self._figures: Figures | None = None
        self._worsened_days: int | None = None

    @property
    def worsened_days(self) -> int:
        """How far back "got worse" looks: a setting of the policy (qaf.policy)."""
        if self._worsened_days is None:
            self._worsened_days = policy.deadline("worsened_days")
        return self._worsened_days

    @property
    def figures(self) -> Figures:
        if self._figures is None:
            self._figures = rag_figures(self.services, self.request.GET)
        return self._figures

    def _table(self, table_class, data, name: str, exclude=(), **kwargs):
        return table_class(
            data,
            prefix=f"{name}-",
            labelled_by=f"{name}-heading",
            pages_of=TITLES[name],
            exclude=(*exclude, *(table_class.export_only if self.for_page else ())),
            **kwargs,
        )

    def _configure(self, table, count: int | None = None):
        paginate: dict[str, Any] | bool = False
        if self.for_page:
            paginate = {"per_page": PER_PAGE, "paginator_class": DashboardPaginator}
            if count is not None:
                paginate["count"] = count
        return RequestConfig(self.request, paginate=paginate).configure(table)

    def _counts(self, rows, label: str, name: str) -> RagCountsTable:
        return self._table(
            RagCountsTable,
            rows,
            name,
            label=label,
            exclude=() if self.figures.totals["unrated"] else ("unrated",),
            orderable=False,
        )

    def by_type(self) -> RagCountsTable:
        # At most nine rows: never paginated.
        return self._counts(self.figures.by_type, "Service type", "by_type")

    def by_area(self) -> RagCountsTable:
        return self._configure(self._counts(self.figures.by_area, "Area", "by_area"))

    def overdue(self) -> OverdueReviewsTable:
        table = self._table(OverdueReviewsTable, overdue_queryset(self.services), "overdue")
        # The count is one of the figures already: no COUNT query of its own.
        return self._configure(table, count=self.figures.totals["overdue"])

    def worsened(self) -> WorsenedTable:
        days = self.worsened_days
        data = worsened_queryset(self.services, self.today, days)
        table = self._table(
            WorsenedTable,
            data,
            "worsened",
            empty_text=f"No rating has worsened in the last {days} days.",
        )
        return self._configure(table)

    def getting_worse(self) -> GettingWorseTable:
        data = getting_worse_queryset(self.services)
        return self._configure(self._table(GettingWorseTable, data, "getting_worse"))

    def caseload(self) -> CaseloadTable | None:
        if not self.request.user.has_role(*CASEWORK_ROLES):
            return None
        data = caseload_queryset(self.services, self.request.user)
        return self._configure(self._table(CaseloadTable, data, "caseload"))


def _download(request, services: QuerySet, today: date, export_format: str) -> HttpResponse:
    if not can(request.user, "export", "risk.dashboard"):
        raise PermissionDenied("Your role does not allow downloads of the dashboard.")
    name = request.GET.get(EXPORT_TABLE_PARAM, "")
    if name not in EXPORT_NAMES or export_format not in EXPORT_FORMATS:
        raise Http404("No such download.")
    table = getattr(DashboardTables(request, services, today, for_page=False), name)()
    if table is None:
        raise Http404("No such download.")
    export = DashboardExport(export_format, table, dataset_kwargs={"title": EXPORT_NAMES[name]})
    return export.response(f"{EXPORT_NAMES[name]}-{today.isoformat()}.{export_format}")


@login_required
def dashboard(request):
    user = request.user
    if not can(user, "view", "risk.dashboard"):
        raise PermissionDenied("Your role does not allow this.")
    today = timezone.localdate()
    # Always bound: no parameters means no filters, not an unanswered form.
    filterset = DashboardFilter(
        request.GET, queryset=Service.objects.visible_to(user), request=request
    )
    valid = filterset.is_valid()
    services = filterset.qs if valid else Service.objects.none()

    export_format = request.GET.get(EXPORT_PARAM)
    if export_format:
        return _download(request, services, today, export_format)

    tables = DashboardTables(request, services, today)
    figures = tables.figures
    totals = figures.totals
    series = [s for s in charts.RAG_SERIES if s.key != "unrated" or totals["unrated"]]
    context = {
        "filter": filterset,
        "form": filterset.form,
        "filters_active": filterset.active,
        "provider": filterset.form.cleaned_data.get("provider") if valid else None,
        "today": today,
        "since": today - timedelta(days=tables.worsened_days - 1),
        "worsened_days": tables.worsened_days,
        "totals": totals,
        "cards": [
            {
                "key": key,
                "label": Rag(key).label,
                "count": totals[key],
                "share": round(100 * totals[key] / totals["total"]) if totals["total"] else 0,
                "url": register_link(request.GET, risk_rating=key),
            }
            for key in RAG_KEYS
        ],
        "overdue_url": register_link(request.GET, review_overdue="true"),
        "by_type": tables.by_type(),
        "by_area": tables.by_area(),
        "overdue": tables.overdue(),
        "worsened": tables.worsened(),
        "getting_worse": tables.getting_worse(),
        "caseload": tables.caseload(),
        "can_export": can(user, "export", "risk.dashboard"),
        "totals_chart": charts.donut_chart(
            totals, series, title="Services by overall rating", id_prefix="chart-totals"
        ),
        "type_chart": charts.stacked_bar_chart(
            [(row["label"], row) for row in figures.by_type],
            series,
            title="Ratings by service type",
            id_prefix="chart-types",
        ),
    }
    return render_partial_or_page(
        request, "risk/dashboard.html", "risk/dashboard_partial.html", context
    )
