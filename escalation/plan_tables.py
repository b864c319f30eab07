"""The improvement plans list's table and filters (django-tables2, django-filter), with
downloads."""

from __future__ import annotations

import django_filters as df
import django_tables2 as tables
from django import forms
from django.db.models import Q

from escalation.models import ImprovementPlan, PlanStatus, PlanSuggestion, TriggerKind
from providers.filters import ScopedFilterSet, _checkboxes
from providers.tables import DateColumn
from qaf.exports import field, iso_date, model_fields, person_field, yes_no

PLAN_EXPORT = (
    field("service", "service__name"),
    field("provider", "service__provider__name"),
    *model_fields(ImprovementPlan, ["status", "responsible_person"]),
    field("requested_on", convert=iso_date),
    person_field("requested_by"),
    field("submit_due", convert=iso_date),
    field("submission_overdue", convert=yes_no),
    field("overdue_actions", convert=yes_no),
    field("submitted_on", convert=iso_date),
    field("accepted_on", convert=iso_date),
    field("closed_on", convert=iso_date),
)


class PlanTable(tables.Table):
    service = tables.Column(
        linkify=lambda record: record.get_absolute_url(), order_by=("service__name",)
    )
    provider = tables.Column(accessor="service__provider__name", verbose_name="Provider")
    status = tables.Column()
    submit_due = DateColumn(verbose_name="Submit by")
    overdue = tables.Column(
        empty_values=(), orderable=False, verbose_name="Overdue", accessor="submission_overdue"
    )
    accepted_on = DateColumn(verbose_name="Accepted")
    closed_on = DateColumn(verbose_name="Closed")

    class Meta:
        model = ImprovementPlan
        fields = ["service", "provider", "status", "submit_due", "overdue", "accepted_on"]
        sequence = ["service", "provider", "status", "submit_due", "overdue", "accepted_on"]
        empty_text = (
            "No improvement plans match. An officer asks for one from a service's page, or from "
            "a suggestion on the home page."
        )

    export_fields = PLAN_EXPORT

    def render_submit_due(self, record, value):
        # The day matters while the provider writes the plan; after that it is history.
        return self.base_columns["submit_due"].render(value) if record.with_provider else "—"

    def render_overdue(self, record):
        parts = []
        if record.submission_overdue:
            parts.append("Plan not submitted")
        if record.overdue_actions:
            parts.append("Actions overdue")
        return ", ".join(parts) or "No"


class PlanFilter(ScopedFilterSet):
    status = df.MultipleChoiceFilter(choices=PlanStatus.choices, widget=_checkboxes())
    overdue = df.BooleanFilter(
        method="filter_overdue",
        label="Only plans with something overdue",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = ImprovementPlan
        fields = ["status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        # The list's queryset is annotated (ImprovementPlanQuerySet.with_overdue).
        return queryset.filter(Q(submission_overdue=True) | Q(overdue_actions=True))


SUGGESTION_EXPORT = (
    field("service", "service__name"),
    field("provider", "service__provider__name"),
    field("kind"),
    field("rating"),
    field("arose_on", convert=iso_date),
    field("status"),
)


class SuggestionTable(tables.Table):
    service = tables.Column(
        linkify=lambda record: record.service.get_absolute_url() + "#improvement-plan",
        order_by=("service__name",),
    )
    provider = tables.Column(accessor="service__provider__name", verbose_name="Provider")
    trigger = tables.Column(empty_values=(), orderable=False, verbose_name="Why")
    arose_on = DateColumn(verbose_name="Since")
    decide = tables.TemplateColumn(
        template_name="escalation/plan/_suggestion_actions.html",
        orderable=False,
        verbose_name="Decide",
        exclude_from_export=True,
    )

    class Meta:
        model = PlanSuggestion
        fields = ["service", "provider", "trigger", "arose_on", "decide"]
        empty_text = "No improvement plan is waiting to be asked for."

    export_fields = SUGGESTION_EXPORT

    def render_trigger(self, record):
        return record.describe()


class SuggestionFilter(ScopedFilterSet):
    kind = df.ChoiceFilter(choices=TriggerKind.choices, empty_label="Any", label="Trigger")
    mine = df.BooleanFilter(
        method="filter_mine", label="Only my caseload", widget=forms.CheckboxInput
    )

    class Meta:
        model = PlanSuggestion
        fields = ["kind", "mine"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(service__lead_officer=self.request.user)
