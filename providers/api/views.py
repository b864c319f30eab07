from __future__ import annotations

from rest_framework.response import Response

from providers import filters
from providers.api import serializers
from providers.api.timeline import TimelineActionMixin
from providers.models import Contract, Intelligence, Provider, Service
from providers.services import record_view
from providers.timeline import Subject
from qaf.api import FileRenderer, ScopedModelViewSet


class ProviderViewSet(TimelineActionMixin, ScopedModelViewSet):
    queryset = Provider.objects.all()
    serializer_class = serializers.ProviderSerializer
    filterset_class = filters.ProviderFilter
    search_fields = ["name", "regulator_provider_id"]
    ordering_fields = ["name", "id", "updated_at"]

    def timeline_subject(self, obj) -> Subject:
        return Subject(provider_id=obj.pk)

    def timeline_service_names(self, obj, user) -> dict[int, str]:
        return dict(Service.objects.visible_to(user).filter(provider=obj).values_list("pk", "name"))


class ServiceViewSet(TimelineActionMixin, ScopedModelViewSet):
    queryset = Service.objects.all()
    serializer_class = serializers.ServiceSerializer
    filterset_class = filters.ServiceFilter
    select_related = ("risk", "concern")
    search_fields = ["name", "provider__name", "postcode", "regulator_id"]
    ordering_fields = ["name", "id", "last_inspection_date", "updated_at"]

    def timeline_subject(self, obj) -> Subject:
        return Subject(provider_id=obj.provider_id, service_id=obj.pk)

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

    def retrieve(self, request, *args, **kwargs):
        entry = self.get_object()
        # SPEC §10: as the entry's page, a confidential entry's reading is logged.
        record_view(entry, user=request.user, ip_address=request.META.get("REMOTE_ADDR"))
        return Response(self.get_serializer(entry).data)


# --- Evidence library (SPEC §9, §10) --------------------------------------------------------

from django.shortcuts import get_object_or_404  # noqa: E402
from drf_spectacular.types import OpenApiTypes  # noqa: E402
from drf_spectacular.utils import OpenApiResponse, extend_schema  # noqa: E402
from rest_framework import renderers, status  # noqa: E402
from rest_framework.decorators import action  # noqa: E402
from rest_framework.parsers import FormParser, MultiPartParser  # noqa: E402

from providers.evidence import Evidence  # noqa: E402
from providers.services import NEWER_VERSION_EXISTS  # noqa: E402
from providers.uses import describe, uses_visible_to  # noqa: E402
from providers.views import serve_evidence  # noqa: E402
from qaf.workflow import NotNow  # noqa: E402


class EvidenceViewSet(ScopedModelViewSet):
    """The evidence library. Files are added, never edited; downloads wait for a clean scan
    (administrators excepted) and are logged."""

    queryset = Evidence.objects.all()
    serializer_class = serializers.EvidenceSerializer
    filterset_class = filters.EvidenceFilter
    parser_classes = [MultiPartParser, FormParser]  # a file upload: multipart form data
    http_method_names = ["get", "post", "head", "options"]
    select_related = ("uploaded_by", "next_version")
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

    @extend_schema(
        request=None,
        responses={200: serializers.EvidenceUseSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def uses(self, request, pk=None):
        """Where the file was used (information request answers, visit records, report
        comments, appeals, improvement actions), most recent first: only the uses on things
        this user may see."""
        evidence = self.get_object()
        page = self.paginate_queryset(uses_visible_to(evidence, request.user))
        return self.get_paginated_response(
            serializers.EvidenceUseSerializer(describe(page), many=True).data
        )

    @extend_schema(
        request={"multipart/form-data": serializers.EvidenceNewVersionSerializer},
        responses={
            201: serializers.EvidenceSerializer,
            400: OpenApiResponse(description="The file or a date is refused, with the reason."),
            403: OpenApiResponse(description="This role does not upload evidence."),
            404: OpenApiResponse(description="Not visible to this user."),
            409: OpenApiResponse(description="The file already has a newer version."),
        },
    )
    @action(detail=True, methods=["post"], url_path="new-version", filter_backends=[])
    def new_version(self, request, pk=None):
        """Upload a new version of the file: the old one stays, with its uses, replaced by the
        new one in the library; the new file waits for its virus scan like any upload."""
        evidence = self.get_object()
        if not evidence.is_current:
            raise NotNow(NEWER_VERSION_EXISTS)
        serializer = serializers.EvidenceNewVersionSerializer(
            data=request.data, context={"request": request, "previous": evidence}
        )
        serializer.is_valid(raise_exception=True)
        new = serializer.save()
        return Response(self.get_serializer(new).data, status=status.HTTP_201_CREATED)
