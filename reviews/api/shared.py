"""``/api/v1/shared-outcomes/``: other councils' outcomes recorded here (list, detail), this
council's outcomes as a shared-outcomes document (``export/``) and the import of another
council's (``import/``), as the pages do (reviews.shared_views, docs/shared-outcomes.md)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response

from providers.models import Service
from qaf.api import ModelSerializer, StrictPrimaryKeyRelatedField, TypedDateField
from qaf.files import human_size, max_upload_bytes
from reviews import shared_outcomes as shared
from reviews.models import SharedOutcome


class SharedOutcomeSerializer(ModelSerializer):
    source = serializers.CharField(read_only=True)

    class Meta:
        model = SharedOutcome
        fields = [
            "id",
            "service",
            "source_council",
            "supplied_by",
            "superseded_by",
            "source",
            "their_review_id",
            "format_version",
            "kind",
            "visit_date",
            "completed_on",
            "rating",
            "ratings",
            "summary",
            "intelligence",
            "imported_at",
        ]
        read_only_fields = fields


class ExportQuerySerializer(serializers.Serializer):
    date_from = TypedDateField(required=False, help_text="Completed on or after (YYYY-MM-DD)")
    date_to = TypedDateField(required=False, help_text="Completed on or before (YYYY-MM-DD)")
    service = serializers.ListField(
        child=StrictPrimaryKeyRelatedField(queryset=Service.objects.all()),
        required=False,
        help_text="Service ids (repeat the parameter); every service when left out",
    )

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise ValidationError({"date_to": ["The end of the period is before its start."]})
        return attrs


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A shared-outcomes JSON file")


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1 for the file's first outcome")
    status = serializers.ChoiceField(choices=list(shared.STATUS_LABELS))
    message = serializers.CharField()
    review_id = serializers.CharField(allow_blank=True)
    regulator_id = serializers.CharField(allow_blank=True)
    service = serializers.IntegerField(allow_null=True)
    service_name = serializers.CharField(allow_blank=True)
    shared_outcome = serializers.IntegerField(allow_null=True)
    intelligence = serializers.IntegerField(allow_null=True)


class ImportCountsSerializer(serializers.Serializer):
    recorded = serializers.IntegerField()
    already_recorded = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    unmatched = serializers.IntegerField()
    not_yours = serializers.IntegerField()
    invalid = serializers.IntegerField()


class ImportReportSerializer(serializers.Serializer):
    council = serializers.CharField()
    format_version = serializers.CharField()
    source = serializers.CharField()
    counts = ImportCountsSerializer()
    rows = ImportRowSerializer(many=True)


class SharedOutcomeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = SharedOutcome.objects.all()
    serializer_class = SharedOutcomeSerializer
    filterset_fields = ["service", "rating"]
    ordering_fields = ["completed_on", "imported_at", "id"]
    scope_action: str | None = None

    def get_queryset(self):
        return (
            SharedOutcome.objects.visible_to(self.request.user)
            .select_related("supplied_by")
            .order_by("-completed_on", "-pk")
        )

    @extend_schema(
        parameters=[ExportQuerySerializer],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A shared-outcomes document, format version 1.0 "
                "(docs/shared-outcomes.schema.json)",
            )
        },
        summary="This council's final review outcomes, for another council",
    )
    @action(
        detail=False,
        methods=["get"],
        scope_action="export",
        pagination_class=None,
        filter_backends=[],
    )
    def export(self, request):
        query = ExportQuerySerializer(
            data={
                **{k: v for k, v in request.query_params.items() if k != "service"},
                **(
                    {"service": request.query_params.getlist("service")}
                    if "service" in request.query_params
                    else {}
                ),
            }
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        reviews = shared.outcomes_queryset(
            request.user,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            services=data.get("service"),
        )
        document = shared.export_document(
            reviews, date_from=data.get("date_from"), date_to=data.get("date_to")
        )
        return Response(document)

    @extend_schema(
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": ImportUploadSerializer,
        },
        responses={200: ImportReportSerializer},
        summary="Record another council's outcomes (the document as the body, or a file)",
        description="Each outcome matched by regulator and regulator id to a service is "
        "recorded once and logged as intelligence on it. A file that is not a "
        "shared-outcomes document of version 1.x is a 400 with the reason; an outcome that "
        "does not match the schema is reported in its row (`invalid`, with the JSON Pointer "
        "of each error) and the others are recorded. A provider user's file is read for "
        "their own services only.",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        scope_action="add",
        pagination_class=None,
        filter_backends=[],
    )
    def import_outcomes(self, request):
        if request.content_type.startswith("multipart/"):
            upload = ImportUploadSerializer(data=request.data)
            upload.is_valid(raise_exception=True)
            file = upload.validated_data["file"]
            if file.size > max_upload_bytes():
                raise ValidationError(
                    {"file": [f"The file must be smaller than {human_size(max_upload_bytes())}"]}
                )
            try:
                document = shared.parse(file.read())
            except shared.OutcomesFileError as exc:
                raise ValidationError({"file": [str(exc)]}) from exc
        else:
            document = request.data
        try:
            report = shared.import_document(document, actor=request.user)
        except shared.OutcomesFileError as exc:
            raise ParseError(str(exc)) from exc
        return Response(ImportReportSerializer(report.as_dict()).data)
