"""``/api/v1/public-summaries/`` (issue 14 item 5): the public summaries of final reviews, for
staff. List and detail (every staff role; provider users 403: they read the published ones on
the public pages), publish one (POST with the review and the summary: officers and managers)
and ``{id}/withdraw/`` with the reason. A step the rules refuse answers 403 or 409 with its
reason (``reviews.public``, through ``qaf.drf``); the public read the published ones, without
signing in, at ``/public/summaries.json``."""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from providers.models import ServiceType
from qaf.api import ModelSerializer, StrictPrimaryKeyRelatedField
from reviews import public
from reviews.models import SUMMARY_MAX_LENGTH, PublishedSummary, Review, SummaryState


class _PersonField(serializers.CharField):
    """A member of staff by name (read only), null when nobody."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return (value.get_full_name() or value.username) if value else None


class StandardRatingSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    rating = serializers.CharField(help_text="green, amber or red; empty when not scored")


class DomainRatingSerializer(serializers.Serializer):
    title = serializers.CharField()
    rating = serializers.CharField(help_text="The lowest of its standards; empty when none")
    standards = StandardRatingSerializer(many=True)


class PublishedSummarySerializer(ModelSerializer):
    published_by = _PersonField()
    withdrawn_by = _PersonField()
    domains = DomainRatingSerializer(many=True, read_only=True)
    public_url = serializers.SerializerMethodField()

    class Meta:
        model = PublishedSummary
        fields = [
            "id",
            "review",
            "state",
            "summary",
            "service_name",
            "service_type",
            "area",
            "review_date",
            "rating",
            "domains",
            "public_url",
            "published_at",
            "published_by",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawal_reason",
        ]
        read_only_fields = fields

    def get_public_url(self, row: PublishedSummary) -> str:
        return row.get_public_url()


class PublishSerializer(serializers.Serializer):
    review = StrictPrimaryKeyRelatedField(
        queryset=Review.objects.all(), help_text="A final review without a summary yet"
    )
    summary = serializers.CharField(
        max_length=SUMMARY_MAX_LENGTH,
        help_text="The plain-language summary the public reads: name nobody",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:  # another organisation's review, or none: "does not exist"
            self.fields["review"].queryset = Review.objects.visible_to(user)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the summary is withdrawn (staff only)")


class PublishedSummaryFilter(df.FilterSet):
    state = df.ChoiceFilter(choices=SummaryState.choices[1:])
    service_type = df.ChoiceFilter(choices=ServiceType.choices)

    class Meta:
        model = PublishedSummary
        fields = ["state", "service_type", "review"]


class PublishedSummaryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = PublishedSummary.objects.all()
    serializer_class = PublishedSummarySerializer
    filterset_class = PublishedSummaryFilter
    scope_action: str | None = None
    ordering_fields = ["published_at", "review_date", "id"]
    search_fields = ["service_name"]

    def get_queryset(self):
        return (
            PublishedSummary.objects.visible_to(self.request.user)
            .exclude(state=SummaryState.DRAFT)
            .select_related("published_by", "withdrawn_by")
            .order_by("-published_at", "-pk")
        )

    @extend_schema(
        request=PublishSerializer,
        responses={201: PublishedSummarySerializer},
        summary="Publish a public summary of a final review (officers and managers)",
        description="409 when the review is not final or already has a summary.",
    )
    def create(self, request, *args, **kwargs):
        data = PublishSerializer(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        row = public.publish(
            data.validated_data["review"],
            actor=request.user,
            summary=data.validated_data["summary"],
        )
        row.refresh_from_db()
        body = PublishedSummarySerializer(row, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WithdrawSerializer,
        responses=PublishedSummarySerializer,
        summary="Withdraw a published summary, with the reason (officers and managers)",
        description="409 when it is withdrawn already.",
    )
    @action(detail=True, methods=["post"], scope_action="act")
    def withdraw(self, request, pk=None):
        row = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        data = WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        public.withdraw(row, actor=request.user, reason=data.validated_data["reason"])
        row.refresh_from_db()
        return Response(PublishedSummarySerializer(row, context=self.get_serializer_context()).data)
