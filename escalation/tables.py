"""The suspension list's table and filters (django-tables2, django-filter), with downloads."""

from __future__ import annotations

import django_filters as df
import django_tables2 as tables
from django import forms

from escalation.models import Restriction, Suspension, SuspensionStatus
from providers.filters import ScopedFilterSet, _checkboxes
from providers.tables import DateColumn
from qaf.exports import field, iso_date, model_fields, person_field

SUSPENSION_EXPORT = (
    field("service", "service__name"),
    field("provider", "service__provider__name"),
    *model_fields(Suspension, ["status", "restriction"]),
    person_field("proposed_by"),
    person_field("decided_by"),
    field("decided_on", convert=iso_date),
    field("ended_on", convert=iso_date),
)


class SuspensionTable(tables.Table):
    service = tables.Column(
        linkify=lambda record: record.get_absolute_url(), order_by=("service__name",)
    )
    provider = tables.Column(accessor="service__provider__name", verbose_name="Provider")
    restriction = tables.Column()
    status = tables.Column()
    decided_on = DateColumn(verbose_name="In force from")
    ended_on = DateColumn(verbose_name="Ended")

    class Meta:
        model = Suspension
        fields = ["service", "provider", "restriction", "status", "decided_on", "ended_on"]
        empty_text = (
            "No suspensions match. An officer or manager proposes one from a service's page."
        )

    export_fields = SUSPENSION_EXPORT


class SuspensionFilter(ScopedFilterSet):
    staff_only_filters = ("waiting",)

    status = df.MultipleChoiceFilter(choices=SuspensionStatus.choices, widget=_checkboxes())
    restriction = df.ChoiceFilter(choices=Restriction.choices, empty_label="Any")
    waiting = df.BooleanFilter(
        method="filter_waiting",
        label="Only proposals waiting for a manager's decision",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Suspension
        fields = ["status", "restriction", "waiting"]

    def filter_waiting(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            status__in=[SuspensionStatus.PROPOSED, SuspensionStatus.LIFT_PROPOSED]
        )
