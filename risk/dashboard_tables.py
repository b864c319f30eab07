"""Tables of the Quality & Risk dashboard (django-tables2): on the page and as CSV/XLSX.

Every column has a plain ``value`` for exports next to its HTML rendering on the page.
"""

from __future__ import annotations

import django_tables2 as tables
from django.core.paginator import Paginator
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from providers.models import Service, ServiceType
from providers.tables import DateColumn
from qaf.exports import ExportField, ValuesExport
from qaf.rag import LABELS as RAG_LABELS
from risk.matrix import FACTOR_LABELS
from risk.models import RatingChange

NUMERIC = {
    "td": {"class": "govuk-table__cell--numeric"},
    "th": {"class": "govuk-table__header--numeric"},
}
NO_WRAP = {"td": {"class": "qaf-nowrap"}}
RAG_BY_LABEL = {label: key for key, label in RAG_LABELS.items()}
TYPE_LABELS = dict(ServiceType.choices)
MAX_PER_PAGE = 100


class DashboardPaginator(Paginator):
    """Pages of at most ``MAX_PER_PAGE`` rows (``?overdue-per_page=`` cannot ask for more), and
    a ``count`` that the caller may already know (from the dashboard's aggregate query)."""

    def __init__(self, object_list, per_page, *args, count: int | None = None, **kwargs):
        super().__init__(object_list, min(int(per_page), MAX_PER_PAGE), *args, **kwargs)
        if count is not None:
            self.count = count  # replaces the cached property: no COUNT query


# --- Downloads ------------------------------------------------------------------------------


def _iso(day) -> str:
    return day.isoformat() if day else ""


def _rating(value: str | None) -> str:
    return RAG_LABELS.get(value, value) if value else "Not yet rated"


def _person(first: str | None, last: str | None, username: str | None) -> str:
    # As qaf.models.User.__str__: the full name, else the username.
    return f"{first or ''} {last or ''}".strip() or username or "Not assigned"


def _factors(names: list[str] | None) -> str:
    # risk.matrix.changed_factors: the names of the factors whose RAG changed.
    return "; ".join(FACTOR_LABELS.get(name, name) for name in names or [])


def _person_field(column: str, prefix: str) -> ExportField:
    paths = tuple(f"{prefix}__{name}" for name in ("first_name", "last_name", "username"))
    return ExportField(column, paths, _person)


# The dashboard's downloads are read as the register lists' are (qaf.exports).
DashboardExport = ValuesExport


# --- Tables ---------------------------------------------------------------------------------


class RagColumn(tables.Column):
    """A RAG rating as a tag: the word, not just a colour."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", "Not yet rated")
        super().__init__(*args, **kwargs)

    def render(self, value):
        # django-tables2 passes a model field's display value ("Red"), a dict's raw one ("red").
        rating = RAG_BY_LABEL.get(value, value)
        return format_html(
            '<strong class="govuk-tag qaf-rag qaf-rag--{}">{}</strong>',
            rating,
            RAG_LABELS.get(rating, rating),
        )


class CountColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUMERIC)
        kwargs.setdefault("default", 0)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return f"{value:,}"

    def value(self, value):
        return value


class DashboardTable(tables.Table):
    """Drawn by risk/dashboard_table.html: its region is named by the section heading whose id
    is ``labelled_by``, its pagination is "Pages of ``pages_of``". Columns named in
    ``export_only`` are left off the page (which stays narrow, and quick to draw) but are in
    the downloads."""

    labelled_by = ""
    pages_of = "results"
    export_only: tuple[str, ...] = ()

    class Meta:
        template_name = "risk/dashboard_table.html"

    def __init__(self, *args, labelled_by: str = "", pages_of: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.labelled_by = labelled_by or self.labelled_by
        self.pages_of = pages_of or self.pages_of

    def before_render(self, request):
        # BoundColumn.attrs is worked out afresh at each call: once per column, not per cell.
        for column in self.columns:
            column.column.td_class = column.attrs["td"].get("class", "")


class RagCountsTable(DashboardTable):
    """Counts of services by RAG per group (service type or area): rows are dicts with
    ``label``, ``url`` (the register list filtered to the group, or empty), ``red``, ``amber``,
    ``green``, ``unrated`` and ``total``."""

    label = tables.Column("Group")
    red = CountColumn("Red")
    amber = CountColumn("Amber")
    green = CountColumn("Green")
    unrated = CountColumn("Not yet rated")
    total = CountColumn("Total")

    class Meta(DashboardTable.Meta):
        empty_text = "No services match the filters."

    def __init__(self, *args, label: str = "Group", **kwargs):
        super().__init__(*args, **kwargs)
        self.columns["label"].column.verbose_name = label

    def render_label(self, value, record):
        if record.get("url"):
            return format_html('<a class="govuk-link" href="{}">{}</a>', record["url"], value)
        return value

    def value_label(self, value):
        return value


class _ServiceColumns(DashboardTable):
    name = tables.Column("Service", linkify=True)
    provider = tables.Column(accessor="provider__name", verbose_name="Provider")
    service_type = tables.Column("Type")


class OverdueReviewsTable(_ServiceColumns):
    """Services whose full QA review is overdue, the longest overdue first."""

    export_only = ("service_type", "local_authority_area", "never_reviewed")

    local_authority_area = tables.Column("Area")
    rating = RagColumn(
        accessor="risk__rating", verbose_name="Rating", order_by=("rating_rank", "risk__score")
    )
    next_review_due = DateColumn(
        accessor="risk__next_review_due", verbose_name="Review due", attrs=NO_WRAP
    )
    never_reviewed = tables.BooleanColumn(
        accessor="risk__never_reviewed", verbose_name="Reviewed before", yesno="No,Yes"
    )
    lead_officer = tables.Column("Lead officer", default="Not assigned")

    class Meta(DashboardTable.Meta):
        model = Service
        fields = [
            "name",
            "provider",
            "service_type",
            "local_authority_area",
            "rating",
            "next_review_due",
            "never_reviewed",
            "lead_officer",
        ]
        empty_text = "No reviews are overdue."

    export_fields = (
        ExportField("name", ("name",)),
        ExportField("provider", ("provider__name",)),
        ExportField("service_type", ("service_type",), lambda v: TYPE_LABELS.get(v, v)),
        ExportField("local_authority_area", ("local_authority_area",)),
        ExportField("rating", ("risk__rating",), _rating),
        ExportField("next_review_due", ("risk__next_review_due",), _iso),
        ExportField("never_reviewed", ("risk__never_reviewed",), lambda v: "No" if v else "Yes"),
        _person_field("lead_officer", "lead_officer"),
    )


class CaseloadTable(_ServiceColumns):
    """The services an officer leads, with their rating and review dates."""

    export_only = ("provider", "service_type")

    rating = RagColumn(
        accessor="risk__rating", verbose_name="Rating", order_by=("rating_rank", "risk__score")
    )
    score = CountColumn(accessor="risk__score", verbose_name="Score", default="")
    next_review_due = DateColumn(
        accessor="risk__next_review_due", verbose_name="Review due", attrs=NO_WRAP
    )
    review_overdue = tables.Column(accessor="risk__review_overdue", verbose_name="Overdue")

    class Meta(DashboardTable.Meta):
        model = Service
        fields = [
            "name",
            "provider",
            "service_type",
            "rating",
            "score",
            "next_review_due",
            "review_overdue",
        ]
        empty_text = "No services that match the filters have you as their lead officer."

    export_fields = (
        ExportField("name", ("name",)),
        ExportField("provider", ("provider__name",)),
        ExportField("service_type", ("service_type",), lambda v: TYPE_LABELS.get(v, v)),
        ExportField("rating", ("risk__rating",), _rating),
        ExportField("score", ("risk__score",)),
        ExportField("next_review_due", ("risk__next_review_due",), _iso),
        ExportField("review_overdue", ("risk__review_overdue",), lambda v: "Yes" if v else "No"),
    )

    def render_review_overdue(self, value):
        if value:
            return format_html('<strong class="govuk-tag govuk-tag--red">{}</strong>', "Overdue")
        return "No"


class WorsenedTable(DashboardTable):
    """Rating changes for the worse (not first ratings), the latest first."""

    export_only = ("provider",)

    date = DateColumn(verbose_name="Date", attrs=NO_WRAP)
    service = tables.Column(
        accessor="service__name", verbose_name="Service", linkify=lambda record: record.service
    )
    provider = tables.Column(accessor="service__provider__name", verbose_name="Provider")
    from_rating = RagColumn(verbose_name="From")
    to_rating = RagColumn(verbose_name="To")
    current = RagColumn(
        accessor="service__risk__rating",
        verbose_name="Rating now",
        order_by=("current_rank", "service__risk__score"),
    )
    changed_factors = tables.Column(
        verbose_name="What changed", orderable=False, empty_values=(None, "", []), default="—"
    )
    lead_officer = tables.Column(
        accessor="service__lead_officer",
        verbose_name="Lead officer",
        default="Not assigned",
        order_by=("service__lead_officer__last_name", "service__lead_officer__first_name"),
    )

    class Meta(DashboardTable.Meta):
        model = RatingChange
        fields = [
            "date",
            "service",
            "provider",
            "from_rating",
            "to_rating",
            "current",
            "changed_factors",
            "lead_officer",
        ]
        empty_text = "No rating has worsened lately."  # the dashboard gives the days

    export_fields = (
        ExportField("date", ("date",), _iso),
        ExportField("service", ("service__name",)),
        ExportField("provider", ("service__provider__name",)),
        ExportField("from_rating", ("from_rating",), _rating),
        ExportField("to_rating", ("to_rating",), _rating),
        ExportField("current", ("service__risk__rating",), _rating),
        ExportField("changed_factors", ("changed_factors",), _factors),
        _person_field("lead_officer", "service__lead_officer"),
    )

    def render_changed_factors(self, value):
        return _factors(value)


class GettingWorseTable(_ServiceColumns):
    """Services whose early-warning flag is raised (risk.early_warning), the latest raised
    first, with the weekly sparkline on the page and the reason in words."""

    export_only = ("provider", "service_type", "previous")

    rating = RagColumn(
        accessor="risk__rating", verbose_name="Rating", order_by=("rating_rank", "risk__score")
    )
    flagged_since = DateColumn(
        accessor="early_warning__flagged_since", verbose_name="Since", attrs=NO_WRAP
    )
    recent = CountColumn(accessor="early_warning__recent", verbose_name="Last 90 days")
    previous = CountColumn(accessor="early_warning__previous", verbose_name="Year before")
    trend = tables.Column(
        accessor="early_warning__weekly",
        verbose_name="Weekly trend",
        orderable=False,
        exclude_from_export=True,
    )
    reason = tables.Column(accessor="early_warning__reason", verbose_name="Why", orderable=False)
    lead_officer = tables.Column("Lead officer", default="Not assigned")

    class Meta(DashboardTable.Meta):
        model = Service
        fields = [
            "name",
            "provider",
            "service_type",
            "rating",
            "flagged_since",
            "recent",
            "previous",
            "trend",
            "reason",
            "lead_officer",
        ]
        empty_text = "No service that matches the filters is getting worse."

    export_fields = (
        ExportField("name", ("name",)),
        ExportField("provider", ("provider__name",)),
        ExportField("service_type", ("service_type",), lambda v: TYPE_LABELS.get(v, v)),
        ExportField("rating", ("risk__rating",), _rating),
        ExportField("flagged_since", ("early_warning__flagged_since",), _iso),
        ExportField("recent", ("early_warning__recent",)),
        ExportField("previous", ("early_warning__previous",)),
        ExportField("reason", ("early_warning__reason",)),
        _person_field("lead_officer", "lead_officer"),
    )

    def render_trend(self, value, record):
        from risk.early_warning_views import sparkline

        return mark_safe(  # noqa: S308 - SVG drawn by qaf.charts, every text escaped there
            sparkline(record.early_warning, id_prefix=f"dash-spark-{record.pk}")
        )
