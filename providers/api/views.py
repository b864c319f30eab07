from __future__ import annotations

from providers import filters
from providers.api import serializers
from providers.models import Contract, Intelligence, Provider, Service
from qaf.api import ScopedModelViewSet


class ProviderViewSet(ScopedModelViewSet):
    queryset = Provider.objects.all()
    serializer_class = serializers.ProviderSerializer
    filterset_class = filters.ProviderFilter
    search_fields = ["name", "regulator_provider_id"]
    ordering_fields = ["name", "id", "updated_at"]


class ServiceViewSet(ScopedModelViewSet):
    queryset = Service.objects.all()
    serializer_class = serializers.ServiceSerializer
    filterset_class = filters.ServiceFilter
    select_related = ("risk",)
    search_fields = ["name", "provider__name", "postcode", "regulator_id"]
    ordering_fields = ["name", "id", "last_inspection_date", "updated_at"]


class ContractViewSet(ScopedModelViewSet):
    queryset = Contract.objects.all()
    serializer_class = serializers.ContractSerializer
    filterset_class = filters.ContractFilter
    prefetch_related = ("services",)
    search_fields = ["reference", "provider__name"]
    ordering_fields = ["reference", "start_date", "end_date", "id"]


class IntelligenceViewSet(ScopedModelViewSet):
    queryset = Intelligence.objects.all()
    serializer_class = serializers.IntelligenceSerializer
    filterset_class = filters.IntelligenceFilter
    select_related = ("author",)
    search_fields = ["summary", "source"]
    ordering_fields = ["date", "id", "kind"]

    def extra_create_fields(self) -> dict:
        return {"author": self.request.user}
