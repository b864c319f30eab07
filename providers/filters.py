"""Filters shared by the list pages and the API (django-filter)."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q

from providers.models import (
    ClientGroup,
    CommissioningStatus,
    Contract,
    Evidence,
    Intelligence,
    IntelligenceKind,
    IntelligenceStatus,
    Provider,
    Regulator,
    RegulatorRating,
    ScanStatus,
    Service,
    ServiceType,
    Severity,
    SponsorshipLicence,
)
from qaf.rag import Rag
from qaf.scoping import ScopedQuerySet

# A yes / no / not known field (stored True, False or None): the filter's choices and values.
YES_NO_NOT_KNOWN = (("true", "Yes"), ("false", "No"), ("unknown", "Not known"))
YES_NO_VALUES = {"true": True, "false": False, "unknown": None}


def _checkboxes():
    return forms.CheckboxSelectMultiple(attrs={"class": "govuk-checkboxes--small"})


# The multiple-choice filters below are on a row's own columns (or a one-to-one), so they never
# repeat a row: distinct=False. django-filter's default SELECT DISTINCT made PostgreSQL sort
# every matching row on all its columns (and the count too) before taking a page.


class ScopedFilterSet(df.FilterSet):
    """Related-object filters offer only what the requesting user can see; filters on
    staff-only facts (``staff_only_filters``) do not exist for provider users."""

    staff_only_filters: tuple[str, ...] = ()

    @property
    def form(self):
        form = super().form
        form.mark_optional = False  # every filter is optional: saying so on each is noise
        return form

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_provider_user", False):
            for name in self.staff_only_filters:
                self.filters.pop(name, None)
        for flt in self.filters.values():
            qs = getattr(flt, "queryset", None)
            if user is not None and isinstance(qs, ScopedQuerySet):
                flt.queryset = qs.visible_to(user)


def _search(fields):
    def method(queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in fields:
            relation, _, attribute = field.rpartition("__")
            if relation and "__" not in relation:
                # A related row's field: its matching ids in a subquery, not a join, so the
                # count and the page scan one table (twice as fast at 100,000 services).
                related = queryset.model._meta.get_field(relation).related_model
                matches = related._base_manager.filter(**{f"{attribute}__icontains": value})
                condition |= Q(**{f"{relation}__in": matches.values("pk")})
            else:
                condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)

    return method


class ProviderFilter(ScopedFilterSet):
    q = df.CharFilter(
        label="Search",
        method=lambda qs, n, v: _search(
            ["name", "regulator_provider_id", "companies_house_number", "postcode"]
        )(qs, n, v),
        help_text="Name, CQC provider id, Companies House number or postcode",
    )
    sponsorship_licence = df.MultipleChoiceFilter(
        distinct=False,
        widget=_checkboxes(),
        choices=SponsorshipLicence.choices,
        label="Sponsorship licence",
    )

    class Meta:
        model = Provider
        fields = ["q", "sponsorship_licence"]


class ServiceFilter(ScopedFilterSet):
    # The council's risk rating is internal: it reflects confidential safeguarding facts.
    staff_only_filters = ("risk_rating", "review_overdue", "getting_worse")

    q = df.CharFilter(
        label="Search",
        method=lambda qs, n, v: _search(["name", "provider__name", "postcode", "regulator_id"])(
            qs, n, v
        ),
        help_text="Service or provider name, postcode or regulator id",
    )
    provider = df.ModelChoiceFilter(queryset=Provider.objects.all(), label="Provider")
    service_type = df.MultipleChoiceFilter(
        distinct=False, widget=_checkboxes(), choices=ServiceType.choices, label="Service type"
    )
    client_group = df.ChoiceFilter(
        choices=ClientGroup.choices, label="Client group", empty_label="Any"
    )
    regulator = df.ChoiceFilter(choices=Regulator.choices, empty_label="Any")
    regulator_rating = df.MultipleChoiceFilter(
        distinct=False,
        widget=_checkboxes(),
        choices=RegulatorRating.choices,
        label="Regulator rating",
    )
    commissioning_status = df.MultipleChoiceFilter(
        distinct=False,
        widget=_checkboxes(),
        choices=CommissioningStatus.choices,
        label="Commissioning status",
    )
    regulated = df.BooleanFilter()
    out_of_area = df.BooleanFilter(label="Out of area")
    registered_manager = df.ChoiceFilter(
        label="Registered manager in post",
        choices=YES_NO_NOT_KNOWN,
        empty_label="Any",
        method="filter_registered_manager",
    )
    market_risk = df.BooleanFilter(
        label="Market risk",
        method="filter_market_risk",
    )
    local_authority_area = df.CharFilter(lookup_expr="iexact", label="Area")
    # The risk result (risk.ServiceRisk): the dashboard links here with these.
    risk_rating = df.MultipleChoiceFilter(
        distinct=False,
        field_name="risk__rating",
        widget=_checkboxes(),
        choices=Rag.choices,
        label="Risk rating",
    )
    review_overdue = df.BooleanFilter(field_name="risk__review_overdue", label="Review overdue")
    # The early-warning flag (risk.EarlyWarning): staff only, like the rating.
    getting_worse = df.BooleanFilter(field_name="early_warning__flagged", label="Getting worse")

    class Meta:
        model = Service
        fields = [
            "q",
            "provider",
            "service_type",
            "client_group",
            "regulator",
            "regulator_rating",
            "commissioning_status",
            "regulated",
            "out_of_area",
            "registered_manager",
            "market_risk",
            "local_authority_area",
            "risk_rating",
            "review_overdue",
            "getting_worse",
        ]

    def filter_registered_manager(self, queryset, name, value):
        if value not in YES_NO_VALUES:
            return queryset
        return queryset.filter(registered_manager=YES_NO_VALUES[value])

    def filter_market_risk(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.exclude(market_risk_reasons=[])
            if value
            else queryset.filter(market_risk_reasons=[])
        )


class ContractFilter(ScopedFilterSet):
    q = df.CharFilter(
        label="Search",
        method=lambda qs, n, v: _search(["reference", "provider__name", "framework"])(qs, n, v),
        help_text="Reference, provider or framework",
    )
    provider = df.ModelChoiceFilter(queryset=Provider.objects.all())
    service = df.ModelChoiceFilter(
        field_name="services", queryset=Service.objects.all(), label="Service"
    )
    live_on = df.DateFilter(method="filter_live_on", label="Live on date")

    class Meta:
        model = Contract
        fields = ["q", "provider", "service", "live_on"]

    def filter_live_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=value)
        )


class IntelligenceFilter(ScopedFilterSet):
    q = df.CharFilter(
        label="Search",
        method=lambda qs, n, v: _search(["summary", "source", "service__name", "provider__name"])(
            qs, n, v
        ),
        help_text="Words in the summary or source, or a service or provider name",
    )
    kind = df.MultipleChoiceFilter(
        distinct=False, widget=_checkboxes(), choices=IntelligenceKind.choices
    )
    status = df.ChoiceFilter(choices=IntelligenceStatus.choices, empty_label="Any")
    severity = df.MultipleChoiceFilter(
        distinct=False, widget=_checkboxes(), choices=Severity.choices
    )
    service = df.ModelChoiceFilter(
        queryset=Service.objects.all(),
        method="filter_service",
        label="Service (with its provider-wide entries)",
    )
    provider = df.ModelChoiceFilter(
        queryset=Provider.objects.all(),
        method="filter_provider",
        label="Provider (with its services' entries)",
    )
    date_from = df.DateFilter(field_name="date", lookup_expr="gte", label="From")
    date_to = df.DateFilter(field_name="date", lookup_expr="lte", label="To")
    confidential = df.BooleanFilter()

    class Meta:
        model = Intelligence
        fields = [
            "q",
            "kind",
            "status",
            "severity",
            "service",
            "provider",
            "date_from",
            "date_to",
            "confidential",
        ]

    def filter_service(self, queryset, name, value):
        return queryset.applying_to(value) if value else queryset

    def filter_provider(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(provider=value) | Q(service__provider=value))


class EvidenceFilter(ScopedFilterSet):
    q = df.CharFilter(
        label="Search",
        method=lambda qs, n, v: _search(["title", "original_name"])(qs, n, v),
        help_text="Title or file name",
    )
    provider = df.ModelChoiceFilter(queryset=Provider.objects.all(), label="Provider")
    scan_status = df.ChoiceFilter(choices=ScanStatus.choices, label="Virus scan", empty_label="Any")
    date_from = df.DateFilter(field_name="evidence_date", lookup_expr="gte", label="From")
    date_to = df.DateFilter(field_name="evidence_date", lookup_expr="lte", label="To")
    is_current = df.BooleanFilter(
        field_name="next_version",
        lookup_expr="isnull",
        label="Current version",
        help_text="true: only files no newer version replaces",
    )

    class Meta:
        model = Evidence
        fields = ["q", "provider", "scan_status", "date_from", "date_to", "is_current"]
