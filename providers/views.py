"""Register and intelligence pages: thin declarations over qaf.generic."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.urls import reverse

from providers import filters, forms, tables
from providers.models import Contract, Intelligence, Provider, Service
from qaf.generic import (
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
)
from qaf.scoping import can
from risk.explain import risk_context

# --- Providers --------------------------------------------------------------------------


class ProviderList(ScopedListView):
    model = Provider
    table_class = tables.ProviderTable
    filterset_class = filters.ProviderFilter
    add_label = "Add a provider"
    add_url_name = "providers:provider_create"

    def get_queryset(self):
        # Meta.ordering is not applied to GROUP BY queries: order explicitly.
        return (
            super().get_queryset().annotate(service_count=Count("services")).order_by("name", "pk")
        )


class ProviderDetail(ScopedDetailView):
    model = Provider
    template_name = "providers/provider_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["services"] = Service.objects.visible_to(user).filter(provider=self.object)
        context["contracts"] = Contract.objects.visible_to(user).filter(provider=self.object)
        context["intelligence"] = (
            Intelligence.objects.visible_to(user)
            .filter(provider=self.object)
            .select_related("author")[:20]
        )
        context["can_add_service"] = can(user, "add", Service)
        context["can_add_contract"] = can(user, "add", Contract)
        context["can_add_intelligence"] = can(user, "add", Intelligence)
        return context


class ProviderCreate(ScopedCreateView):
    model = Provider
    form_class = forms.ProviderForm
    template_name = "providers/form.html"


class ProviderEdit(ScopedUpdateView):
    model = Provider
    form_class = forms.ProviderForm
    template_name = "providers/form.html"


# --- Services ---------------------------------------------------------------------------


class ServiceList(ScopedListView):
    model = Service
    table_class = tables.ServiceTable
    filterset_class = filters.ServiceFilter
    add_label = "Add a service"
    add_url_name = "providers:service_create"
    hidden_filters = ("provider",)
    select_related = ("provider", "risk")

    def get_table_class(self):
        if self.request.GET.get(self.export_trigger_param):
            return tables.ServiceExportTable
        return super().get_table_class()

    def get_table_kwargs(self):
        if can(self.request.user, "view", "risk.servicerisk"):
            return {}
        return {"exclude": ("risk", "next_review_due")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.is_provider_user:
            context["page_title"] = "Our services"
        return context


class ServiceDetail(ScopedDetailView):
    """The hub page of a service: later issues add ratings, reviews, plans and cases."""

    model = Service
    template_name = "providers/service_detail.html"
    select_related = ("provider", "lead_officer", "risk__policy_version")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["intelligence"] = (
            Intelligence.objects.visible_to(user)
            .applying_to(self.object)
            .select_related("provider", "service", "author")[:20]
        )
        context["contracts"] = Contract.objects.visible_to(user).filter(services=self.object)
        context["can_add_intelligence"] = can(user, "add", Intelligence)
        context.update(risk_context(self.object, user))
        return context


class ServiceCreate(ScopedCreateView):
    model = Service
    form_class = forms.ServiceForm
    template_name = "providers/form.html"

    def get_initial(self):
        return {"provider": self.request.GET.get("provider")}


class ServiceEdit(ScopedUpdateView):
    model = Service
    form_class = forms.ServiceForm
    template_name = "providers/form.html"


# --- Contracts --------------------------------------------------------------------------


class ContractList(ScopedListView):
    model = Contract
    table_class = tables.ContractTable
    filterset_class = filters.ContractFilter
    add_label = "Add a contract"
    add_url_name = "providers:contract_create"
    hidden_filters = ("provider", "service")
    select_related = ("provider",)


class ContractDetail(ScopedDetailView):
    model = Contract
    template_name = "providers/contract_detail.html"
    select_related = ("provider",)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("services", queryset=Service.objects.visible_to(self.request.user))
            )
        )


class ContractCreate(ScopedCreateView):
    model = Contract
    form_class = forms.ContractForm
    template_name = "providers/form.html"

    def get_initial(self):
        return {"provider": self.request.GET.get("provider")}


class ContractEdit(ScopedUpdateView):
    model = Contract
    form_class = forms.ContractForm
    template_name = "providers/form.html"


# --- Intelligence -----------------------------------------------------------------------


class IntelligenceList(ScopedListView):
    model = Intelligence
    table_class = tables.IntelligenceTable
    filterset_class = filters.IntelligenceFilter
    add_label = "Log intelligence"
    add_url_name = "providers:intelligence_create"
    page_title = "Intelligence"
    hidden_filters = ("provider", "service")
    select_related = ("service", "provider")


class IntelligenceDetail(ScopedDetailView):
    model = Intelligence
    template_name = "providers/intelligence_detail.html"
    select_related = ("service__provider", "provider", "author")


class IntelligenceCreate(ScopedCreateView):
    model = Intelligence
    form_class = forms.IntelligenceForm
    template_name = "providers/form.html"
    success_message = "Intelligence logged: %(object)s"
    form_title = "Log intelligence"

    def get_initial(self):
        return {
            "service": self.request.GET.get("service"),
            "provider": self.request.GET.get("provider"),
            "kind": self.request.GET.get("kind"),
        }

    def get_success_url(self):
        subject = self.object.subject
        return subject.get_absolute_url() if subject else reverse("providers:intelligence_list")


class IntelligenceEdit(ScopedUpdateView):
    model = Intelligence
    form_class = forms.IntelligenceForm
    template_name = "providers/form.html"
