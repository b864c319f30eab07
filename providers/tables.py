"""Tables of the register (django-tables2): the list pages and their CSV/XLSX exports."""

from __future__ import annotations

import django_tables2 as tables
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from providers.models import (
    SERVICE_LOCATION_FIELDS,
    SERVICE_REGULATION_FIELDS,
    Contract,
    Intelligence,
    MarketRisk,
    Provider,
    Service,
)
from qaf.exports import ExportField, choice, choice_list, field, iso_date, model_fields
from qaf.rag import LABELS as RAG_LABELS

# "Block contract, Sole provider": the same words on the page's download and the fast one.
MARKET_RISK_LABELS = choice_list(dict(MarketRisk.choices))

HIDE_UNTIL_DESKTOP = {
    "th": {"class": "qaf-hide-until-desktop"},
    "td": {"class": "qaf-hide-until-desktop"},
}


class DateColumn(tables.Column):
    """en-GB dates on the page ("14 Mar 2022") and ISO dates in exports.

    Formatted in Python: django-tables2's DateColumn renders a template for every cell, a
    third of the time of a 50-row page.
    """

    def __init__(self, *args, format: str = "j M Y", **kwargs):
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        return date_filter(value, self.format)

    def value(self, value):
        return value.isoformat() if value else ""


class YesNoColumn(tables.BooleanColumn):
    """A yes/no field: a tick (or the words given) on the page, "Yes" or "No" in a download
    (django-tables2's own writes "True"/"False")."""

    def value(self, record, value, bound_column):
        return "Yes" if self._get_bool_value(record, value, bound_column) else "No"


class YesNoNotKnownColumn(YesNoColumn):
    """A yes / no / not known field (stored True, False or None): "Not known" on the page and in
    a download, never an empty cell that could be read as "No"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_values", ())
        super().__init__(*args, **kwargs)

    def render(self, value, record, bound_column):
        if value is None:
            return "Not known"
        return super().render(value, record, bound_column)

    def value(self, record, value, bound_column):
        if value is None:
            return "Not known"
        return super().value(record, value, bound_column)


# Sorting by a name keeps the primary key as the tie-break: names repeat ("Willow Court Care
# Home"), and without it a row can show on two pages, or on none, of a sorted list.
BY_NAME = ("name", "pk")


def pounds(value) -> str | None:
    return None if value is None else f"£{value:,.2f}"


def short_summary(text: str) -> str | None:
    if not text:
        return None
    return text if len(text) <= 120 else text[:117].rstrip() + "…"


def subject_name(service_name: str | None, provider_name: str | None) -> str | None:
    # As str(Intelligence.subject): the service, else the provider of a provider-wide entry.
    return service_name if service_name is not None else provider_name


# Downloads (qaf.exports): one export field per column, by name; a table uses those of its
# columns. Each gives the value django-tables2's own export gives (tests/test_exports.py).
PROVIDER_EXPORT = (
    *model_fields(Provider, ["name", "regulator_provider_id", "postcode", "sponsorship_licence"]),
    field("service_count"),
)
# Every register field of a service, in the order of its download (ServiceExportTable).
SERVICE_REGISTER_FIELDS = [
    "id",
    "name",
    "provider",
    "service_type",
    "client_group",
    *SERVICE_LOCATION_FIELDS,
    "capacity",
    "council_funded_people",
    *SERVICE_REGULATION_FIELDS,
    "market_risk_reasons",
    "commissioning_status",
    "risk",
    "next_review_due",
]
_SERVICE_COLUMNS = (  # the columns that are not read as a service's own field
    field("provider", "provider__name"),
    field("last_inspection_date", convert=iso_date),
    field("registration_date", convert=iso_date),
    # The rating's label ("Red"), as ServiceTable.value_risk gives it.
    field("risk", "risk__rating", choice(RAG_LABELS)),
    field("next_review_due", "risk__next_review_due", iso_date),
)
SERVICE_EXPORT = (
    *_SERVICE_COLUMNS,
    *model_fields(
        Service,
        [n for n in SERVICE_REGISTER_FIELDS if n not in {f.column for f in _SERVICE_COLUMNS}],
    ),
)
CONTRACT_EXPORT = (
    *model_fields(Contract, ["reference", "framework"]),
    field("provider", "provider__name"),
    field("start_date", convert=iso_date),
    field("end_date", convert=iso_date),
    field("annual_value", convert=pounds),
)
INTELLIGENCE_EXPORT = (
    *model_fields(Intelligence, ["kind", "severity", "status", "confidential"]),
    field("date", convert=iso_date),
    ExportField("subject", ("service__name", "provider__name"), subject_name),
    field("summary", convert=short_summary),
)


class ProviderTable(tables.Table):
    name = tables.Column(linkify=True, order_by=BY_NAME)
    service_count = tables.Column(
        "Services",
        attrs={
            "td": {"class": "govuk-table__cell--numeric"},
            "th": {"class": "govuk-table__header--numeric"},
        },
    )

    class Meta:
        model = Provider
        fields = [
            "name",
            "regulator_provider_id",
            "postcode",
            "sponsorship_licence",
            "service_count",
        ]
        empty_text = "No providers match. Clear the filters or add a provider."

    export_fields = PROVIDER_EXPORT


class ServiceTable(tables.Table):
    name = tables.Column(linkify=True, order_by=BY_NAME)
    provider = tables.Column(linkify=True, order_by=("provider__name",))
    service_type = tables.Column("Type", attrs=HIDE_UNTIL_DESKTOP)
    regulator_rating = tables.Column("Regulator", attrs=HIDE_UNTIL_DESKTOP)
    local_authority_area = tables.Column("Area", attrs=HIDE_UNTIL_DESKTOP)
    last_inspection_date = DateColumn(verbose_name="Last inspected")
    commissioning_status = tables.Column("Placements")
    risk = tables.Column(
        "Risk", accessor="risk__rating", order_by=("-risk__score",), default="Not rated"
    )
    next_review_due = DateColumn(accessor="risk__next_review_due", verbose_name="Review due")

    class Meta:
        model = Service
        fields = [
            "name",
            "provider",
            "service_type",
            "local_authority_area",
            "risk",
            "regulator_rating",
            "next_review_due",
            "commissioning_status",
        ]
        empty_text = "No services match. Clear the filters or add a service."

    export_fields = SERVICE_EXPORT

    def render_risk(self, record):
        risk = record.risk
        overdue = (
            ' <strong class="govuk-tag govuk-tag--red">Overdue</strong>'
            if risk.review_overdue
            else ""
        )
        return format_html(
            '<strong class="govuk-tag qaf-rag qaf-rag--{}">{}</strong> {}{}',
            risk.rating,
            risk.get_rating_display(),
            risk.score,
            mark_safe(overdue),  # noqa: S308 - a constant
        )

    def value_risk(self, record):
        risk = getattr(record, "risk", None)
        return risk.get_rating_display() if risk else ""


class ServiceExportTable(ServiceTable):
    """Exports carry every register field, not only those that fit on the page."""

    regulator_rating = tables.Column("Regulator rating")
    out_of_area = YesNoColumn()
    regulated = YesNoColumn()
    registration_date = DateColumn(verbose_name="Registration date")
    registered_manager = YesNoNotKnownColumn()

    def value_market_risk_reasons(self, value):
        return MARKET_RISK_LABELS(value)

    class Meta(ServiceTable.Meta):
        fields = SERVICE_REGISTER_FIELDS


class ContractTable(tables.Table):
    reference = tables.Column(linkify=True)
    provider = tables.Column(linkify=True, order_by=("provider__name",))
    start_date = DateColumn()
    end_date = DateColumn()
    annual_value = tables.Column(
        attrs={
            "td": {"class": "govuk-table__cell--numeric"},
            "th": {"class": "govuk-table__header--numeric"},
        }
    )

    class Meta:
        model = Contract
        fields = ["reference", "provider", "framework", "start_date", "end_date", "annual_value"]
        empty_text = "No contracts match. Clear the filters or add a contract."

    export_fields = CONTRACT_EXPORT

    def render_annual_value(self, value):
        return pounds(value)


class IntelligenceTable(tables.Table):
    date = DateColumn(linkify=True)
    kind = tables.Column()
    subject = tables.Column(
        "About", accessor="subject", order_by=("service__name", "provider__name")
    )
    summary = tables.Column(orderable=False)
    status = tables.Column()
    confidential = YesNoColumn(yesno="Confidential,")

    class Meta:
        model = Intelligence
        fields = ["date", "kind", "subject", "summary", "severity", "status", "confidential"]
        empty_text = "No intelligence matches. Clear the filters or log new intelligence."

    export_fields = INTELLIGENCE_EXPORT

    def render_summary(self, value):
        return short_summary(value)

    def render_subject(self, record):
        subject = record.subject
        suffix = " (provider-wide)" if record.provider_id else ""
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>{}', subject.get_absolute_url(), subject, suffix
        )

    def value_subject(self, record):
        return str(record.subject)
