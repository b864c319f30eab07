"""``/api/v1/memo/``: the Managed Placements Memo as JSON (parts → areas → entries), its issues
and their PDFs, and issuing it (SPEC §6, §9). Staff only, as the pages: provider users 403."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from escalation import memo, memo_services
from escalation.models import MemoIssue
from qaf.api import PDFRenderer, StrictIntegerField
from qaf.generic import MAX_ID
from qaf.models import Document
from qaf.views import serve_document


class MemoEntrySerializer(serializers.Serializer):
    service = serializers.IntegerField(source="service_id")
    type_of_service = serializers.CharField(help_text="RC, NC, DCA, SL, or the type in words")
    service_type = serializers.CharField()
    name = serializers.CharField()
    provider = serializers.CharField()
    address = serializers.CharField(allow_blank=True, help_text="With the postcode")
    contact_name = serializers.CharField(help_text="The council contact to call first")
    contact_phone = serializers.CharField(allow_blank=True)
    date_added = serializers.DateField(
        allow_null=True, help_text="The suspension's approval; for GREEN, the day it ended"
    )
    restriction_details = serializers.CharField(
        allow_blank=True, help_text="AMBER: which placements may still be made"
    )
    suspension = serializers.IntegerField(source="suspension_id", allow_null=True)


class MemoAreaSerializer(serializers.Serializer):
    area = serializers.CharField()
    entries = MemoEntrySerializer(many=True)


class MemoPartSerializer(serializers.Serializer):
    part = serializers.ChoiceField(source="key", choices=[(k, k.upper()) for k in memo.PART_KEYS])
    heading = serializers.CharField()
    explanation = serializers.CharField()
    areas = MemoAreaSerializer(many=True)


class MemoSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="“Managed Placements (Updated <date>)”")
    updated = serializers.DateField()
    draft = serializers.BooleanField(source="is_draft", help_text="True: not yet issued")
    number = serializers.IntegerField(allow_null=True, help_text="The issue's number")
    previous_issue = serializers.IntegerField(
        source="previous_number",
        allow_null=True,
        help_text="The issue GREEN is worked out from (null: none yet)",
    )
    confidential = serializers.CharField(default=memo.STATEMENT)
    parts = MemoPartSerializer(many=True)


class MemoIssueSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    issued_on = serializers.DateField()
    issued_at = serializers.DateTimeField()
    issued_by = serializers.CharField()
    previous_issue = serializers.IntegerField(allow_null=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Services in each part: red, amber, green"
    )
    pdf = serializers.CharField(allow_null=True, help_text="The PDF's address, once produced")
    pdf_status = serializers.ChoiceField(choices=Document.Status.choices, allow_null=True)


class MemoIssueSerializer(MemoIssueSummarySerializer):
    memo = MemoSerializer()


class IssueSerializer(serializers.Serializer):
    previous = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The last issue's number when you read the draft (null: none): if another "
        "has been issued since, nothing is issued (409). Leave it out to issue regardless.",
    )


def _issue_data(request, issued: MemoIssue, document: Document | None, *, full: bool) -> dict:
    placements = issued.memo()
    ready = document is not None and document.status == Document.Status.READY
    data = {
        "number": issued.number,
        "title": placements.title,
        "issued_on": issued.issued_on,
        "issued_at": issued.issued_at,
        "issued_by": str(issued.issued_by),
        "previous_issue": placements.previous_number,
        "counts": {part.key: part.count for part in placements.parts},
        "pdf": (
            request.build_absolute_uri(reverse("api:memo-issue-pdf", args=[issued.number]))
            if ready
            else None
        ),
        "pdf_status": document.status if document else None,
    }
    if full:
        data["memo"] = placements
    return data


class _OneObjectSchema(AutoSchema):
    """``GET /memo/`` is the router's list route but answers one object, the memo."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class MemoViewSet(viewsets.ViewSet):
    """The memo as it stands (a draft), and issuing it."""

    schema = _OneObjectSchema()
    scoped_model = memo_services.POLICY_LABEL
    scope_action: str | None = None

    @extend_schema(responses=MemoSerializer, summary="The memo as it stands (not issued)")
    def list(self, request):
        return Response(MemoSerializer(memo_services.draft()).data)

    @extend_schema(
        request=IssueSerializer,
        responses={201: MemoIssueSerializer},
        summary="Issue the memo as it stands: stored for good, its PDF produced",
    )
    @action(detail=False, methods=["post"], url_path="issue", scope_action="issue")
    def issue(self, request):
        data = IssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expected = data.validated_data.get("previous", memo_services.ANY)
        issued = memo_services.issue(actor=request.user, expected_previous=expected)
        document = memo_services.documents_of([issued]).get(issued.pk)
        body = MemoIssueSerializer(_issue_data(request, issued, document, full=True)).data
        return Response(body, status=status.HTTP_201_CREATED)


class MemoIssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The issued memos, newest first, each as issued, and their PDFs."""

    scoped_model = memo_services.POLICY_LABEL
    scope_action: str | None = None
    queryset = MemoIssue.objects.all()
    serializer_class = MemoIssueSummarySerializer
    lookup_field = "number"
    filter_backends: list = []

    def get_queryset(self):
        issues = MemoIssue.objects.visible_to(self.request.user)
        return issues.select_related("issued_by", "previous").order_by("-number")

    @extend_schema(responses=MemoIssueSummarySerializer(many=True))
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        documents = memo_services.documents_of(page)
        rows = [_issue_data(request, i, documents.get(i.pk), full=False) for i in page]
        return self.get_paginated_response(MemoIssueSummarySerializer(rows, many=True).data)

    @extend_schema(responses=MemoIssueSerializer)
    def retrieve(self, request, *args, **kwargs):
        issued = self.get_object()
        document = memo_services.documents_of([issued]).get(issued.pk)
        return Response(MemoIssueSerializer(_issue_data(request, issued, document, full=True)).data)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The issue's PDF, as an attachment"
            ),
            404: OpenApiResponse(description="No such issue, or its PDF is still being produced"),
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, number=None):
        issued = self.get_object()
        document = memo_services.documents_of([issued]).get(issued.pk)
        if document is None or document.status != Document.Status.READY:
            raise Http404("The PDF of this issue is still being produced.")
        return serve_document(document)
