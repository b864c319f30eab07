"""The review list's table and filters (django-tables2, django-filter)."""

from __future__ import annotations

import django_filters as df
import django_tables2 as tables
from django import forms

from providers.filters import ScopedFilterSet, _checkboxes
from providers.models import Provider
from providers.tables import DateColumn
from qaf.exports import field, iso_date, model_fields, person_field
from reviews.models import Review, ReviewKind, ReviewStatus

REVIEW_EXPORT = (
    *model_fields(Review, ["kind", "status", "rating"]),
    field("service", "service__name"),
    field("provider", "service__provider__name"),
    person_field("officer"),
    # A date, not text: ReviewTable.value_visit_date gives the field's value.
    field("visit_date"),
    field("completed_on", convert=iso_date),
)


class ReviewTable(tables.Table):
    service = tables.Column(
        linkify=lambda record: record.get_absolute_url(), order_by=("service__name",)
    )
    provider = tables.Column(accessor="service__provider__name", verbose_name="Provider")
    kind = tables.Column()
    status = tables.Column()
    visit_date = DateColumn(verbose_name="Visit")
    rating = tables.Column(verbose_name="Rating")
    completed_on = DateColumn(verbose_name="Completed")

    class Meta:
        model = Review
        fields = [
            "service",
            "provider",
            "kind",
            "status",
            "officer",
            "visit_date",
            "rating",
            "completed_on",
        ]
        empty_text = "No reviews match. Plan a review from a service's page."

    # Columns a provider user sees only for some reviews (an unannounced visit's date, a rating
    # before the report is shared): sorting on them would show where the hidden values fall.
    STAFF_ONLY_ORDERING = ("visit_date", "rating")

    def __init__(self, *args, request=None, **kwargs):
        self.viewer = getattr(request, "user", None)
        provider_user = getattr(self.viewer, "is_provider_user", False)
        if provider_user:
            # The council's own working facts, as on the review page and in the API.
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "officer")
        super().__init__(*args, **kwargs)
        if provider_user:
            # Not a link in the header, and ``?sort=visit_date`` ignored (django-tables2 sorts
            # only on orderable columns).
            for name in self.STAFF_ONLY_ORDERING:
                self.columns[name].column.orderable = False

    @property
    def export_fields(self):
        """The fast download (qaf.exports) only for a viewer who sees every review's visit
        date and rating; for others django-tables2 asks value_visit_date and value_rating
        row by row. (Provider users, who see less, may not download reviews at all.)"""
        viewer = self.viewer
        # The review shown least: planned, unannounced, its visit not yet recorded.
        least = Review(status=ReviewStatus.PLANNED, announced=False, visit_recorded_at=None)
        if viewer is None or (
            least.visit_date_visible_to(viewer) and least.rating_visible_to(viewer)
        ):
            return REVIEW_EXPORT
        return ()

    def render_rating(self, record, value):
        if self.viewer is not None and not record.rating_visible_to(self.viewer):
            return "—"
        return record.get_rating_display() if value else "—"

    def value_rating(self, record, value):
        if self.viewer is not None and not record.rating_visible_to(self.viewer):
            return ""
        return value

    def render_visit_date(self, record, value):
        if self.viewer is not None and not record.visit_date_visible_to(self.viewer):
            return "Unannounced"
        return value.strftime("%-d %b %Y") if value else "—"

    def value_visit_date(self, record, value):
        # Downloads use value_*, not render_*: the same rule, so no export shows the date early.
        if self.viewer is not None and not record.visit_date_visible_to(self.viewer):
            return "Unannounced"
        return value


class ReviewFilter(ScopedFilterSet):
    staff_only_filters = ("mine", "waiting_for_manager")

    status = df.MultipleChoiceFilter(choices=ReviewStatus.choices, widget=_checkboxes())
    kind = df.ChoiceFilter(choices=ReviewKind.choices, empty_label="Any")
    provider = df.ModelChoiceFilter(field_name="service__provider", queryset=Provider.objects.all())
    mine = df.BooleanFilter(
        method="filter_mine", label="Only reviews I carry out", widget=forms.CheckboxInput
    )

    waiting_for_manager = df.BooleanFilter(
        method="filter_waiting_for_manager",
        label="Only reports waiting for a manager's review",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Review
        fields = ["status", "kind", "provider", "mine", "waiting_for_manager"]

    def filter_mine(self, queryset, name, value):
        return queryset.filter(officer=self.request.user) if value else queryset

    def filter_waiting_for_manager(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.waiting_for_manager()
