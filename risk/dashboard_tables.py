"""Tables of the Quality & Risk dashboard (django-tables2): on the page and as CSV/XLSX.

Every column has a plain ``value`` for exports next to its HTML rendering on the page.
"""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html

from providers.models import Service
from providers.tables import DateColumn
from risk.matrix import FACTOR_LABELS
from risk.models import RagRating, RatingChange

NUMERIC = {
    "td": {"class": "govuk-table__cell--numeric"},
    "th": {"class": "govuk-table__header--numeric"},
}
RAG_LABELS = dict(RagRating.choices)


def rag_tag(rating: str | None):
    if not rating:
        return "Not yet rated"
    return format_html(
        '<strong class="govuk-tag qaf-rag qaf-rag--{}">{}</strong>',
        rating,
        RAG_LABELS.get(rating, rating),
    )


class RagColumn(tables.Column):
    """A RAG rating as a tag (the word, not just a colour); the plain word in exports."""

    def render(self, value):
        return rag_tag(value)

    def value(self, value):
        return RAG_LABELS.get(value, value or "Not yet rated")


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
    is ``labelled_by``."""

    labelled_by = ""

    class Meta:
        template_name = "risk/dashboard_table.html"

    def __init__(self, *args, labelled_by: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.labelled_by = labelled_by or self.labelled_by


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

    def value_name(self, value):
        return value


class OverdueReviewsTable(_ServiceColumns):
    """Services whose full QA review is overdue, the longest overdue first."""

    local_authority_area = tables.Column("Area")
    rating = RagColumn(
        accessor="risk__rating", verbose_name="Rating", order_by=("rating_rank", "risk__score")
    )
    next_review_due = DateColumn(accessor="risk__next_review_due", verbose_name="Review due")
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


class CaseloadTable(_ServiceColumns):
    """The services an officer leads, with their rating and review dates."""

    rating = RagColumn(
        accessor="risk__rating", verbose_name="Rating", order_by=("rating_rank", "risk__score")
    )
    score = CountColumn(accessor="risk__score", verbose_name="Score", default="")
    next_review_due = DateColumn(accessor="risk__next_review_due", verbose_name="Review due")
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

    def render_review_overdue(self, value):
        if value:
            return format_html('<strong class="govuk-tag govuk-tag--red">{}</strong>', "Overdue")
        return "No"

    def value_review_overdue(self, value):
        return "Yes" if value else "No"


class WorsenedTable(DashboardTable):
    """Rating changes for the worse (not first ratings), the latest first."""

    date = DateColumn(verbose_name="Date")
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
        empty_text = "No rating has worsened in the last 30 days."

    def render_changed_factors(self, value):
        return self.value_changed_factors(value)

    def value_changed_factors(self, value):
        # risk.matrix.changed_factors: the names of the factors whose RAG changed.
        return "; ".join(FACTOR_LABELS.get(name, name) for name in value)
