from __future__ import annotations

from providers import filters
from providers.api import serializers
from providers.models import Contract, Intelligence, Provider, Service
from qaf.api import FileRenderer, ScopedModelViewSet


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
    select_related = ("risk", "concern")
    search_fields = ["name", "provider__name", "postcode", "regulator_id"]
    ordering_fields = ["name", "id", "last_inspection_date", "updated_at"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return serializers.ServiceUpdateSerializer
        return super().get_serializer_class()


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


# --- Evidence library (SPEC §9, §10) --------------------------------------------------------

from django.shortcuts import get_object_or_404  # noqa: E402
from drf_spectacular.types import OpenApiTypes  # noqa: E402
from drf_spectacular.utils import OpenApiResponse, extend_schema  # noqa: E402
from rest_framework import renderers  # noqa: E402
from rest_framework.decorators import action  # noqa: E402
from rest_framework.parsers import FormParser, MultiPartParser  # noqa: E402

from providers.evidence import Evidence  # noqa: E402
from providers.views import serve_evidence  # noqa: E402


class EvidenceViewSet(ScopedModelViewSet):
    """The evidence library. Files are added, never edited; downloads wait for a clean scan
    (administrators excepted) and are logged."""

    queryset = Evidence.objects.all()
    serializer_class = serializers.EvidenceSerializer
    filterset_class = filters.EvidenceFilter
    parser_classes = [MultiPartParser, FormParser]  # a file upload: multipart form data
    http_method_names = ["get", "post", "head", "options"]
    select_related = ("uploaded_by",)
    search_fields = ["title", "original_name"]
    ordering_fields = ["evidence_date", "uploaded_at", "id", "title"]

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file as an attachment, with the Content-Type of its checked "
                "type. The download is logged.",
            ),
            404: OpenApiResponse(
                description="Not visible to this user, or not (yet) clean and the user is not "
                "an administrator."
            ),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, FileRenderer],
    )
    def download(self, request, pk=None):
        """The file, once the virus scan found it clean (administrators: always)."""
        evidence = get_object_or_404(Evidence.objects.downloadable_by(request.user), pk=pk)
        return serve_evidence(request, evidence)
