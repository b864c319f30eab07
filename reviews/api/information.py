"""``/api/v1/information-requests/``: list and detail in the user's scope, create (officers and
managers), ``send/``, ``close/``, and per item ``items/<id>/answer/`` (the provider's users) and
``items/<id>/review/`` (officers and managers). Refusals are 403/409 with a reason (SPEC §9)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from providers.evidence import Evidence
from providers.models import Service
from qaf.api import (
    ModelSerializer,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    TypedDateField,
)
from reviews import information as info
from reviews.models import InformationRequest, InformationRequestItem, ItemStatus, Review


class ItemSerializer(ModelSerializer):
    class Meta:
        model = InformationRequestItem
        fields = [
            "id",
            "order",
            "text",
            "status",
            "response",
            "evidence",
            "officer_comment",
            "answered_by",
            "answered_at",
            "version",
        ]
        read_only_fields = fields


class InformationRequestSerializer(ModelSerializer):
    items = ItemSerializer(many=True, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = InformationRequest
        fields = [
            "id",
            "service",
            "review",
            "title",
            "message",
            "status",
            "issued_on",
            "due_date",
            "overdue",
            "items",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        if hasattr(obj, "overdue"):
            return bool(obj.overdue)
        return info.is_overdue(obj)


class _ScopedPk(StrictPrimaryKeyRelatedField):
    """An id of a row the requesting user may see: anything else is "does not exist"."""

    def get_queryset(self):
        return self.queryset.model.objects.visible_to(self.context["request"].user)


class CreateSerializer(serializers.Serializer):
    service = _ScopedPk(queryset=Service.objects.all())
    review = _ScopedPk(queryset=Review.objects.all(), required=False, allow_null=True)
    title = serializers.CharField(max_length=200, required=False, default="")
    message = serializers.CharField(required=False, allow_blank=True, default="")
    items = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    due_date = TypedDateField(required=False, allow_null=True)


class SendSerializer(serializers.Serializer):
    due_date = TypedDateField(
        required=False,
        allow_null=True,
        help_text="Left out: the draft's due date; null: the usual period from today. A date "
        "not after today is refused (409).",
    )


class AnswerSerializer(serializers.Serializer):
    response = serializers.CharField(required=False, allow_blank=True, default="")
    # Ids of files in the user's own library; any other id refuses the whole answer (403).
    evidence = serializers.ListField(child=StrictIntegerField(), required=False, default=list)


class ReviewItemSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[ItemStatus.ACCEPTED, ItemStatus.NEEDS_MORE])
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The item's version as you read its answer: a newer answer refuses the "
        "review (409)",
    )


class InformationRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = InformationRequest.objects.all()
    serializer_class = InformationRequestSerializer
    filterset_fields = ["service", "review", "status"]
    ordering_fields = ["issued_on", "due_date", "id"]
    scope_action: str | None = None  # set per action (qaf.permissions)

    def get_queryset(self):
        return info.with_overdue(
            InformationRequest.objects.visible_to(self.request.user)
            .select_related("service")
            .prefetch_related("items__evidence")
        )

    def _respond(self, req, code=status.HTTP_200_OK):
        req = self.get_queryset().get(pk=req.pk)
        return Response(self.get_serializer(req).data, status=code)

    @extend_schema(request=CreateSerializer, responses=InformationRequestSerializer)
    def create(self, request, *args, **kwargs):
        data = CreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        req = info.create_request(
            v["service"],
            actor=request.user,
            items=v["items"],
            title=v["title"],
            message=v["message"],
            review=v.get("review"),
            due_date=v.get("due_date"),
        )
        return self._respond(req, status.HTTP_201_CREATED)

    @extend_schema(request=SendSerializer, responses=InformationRequestSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def send(self, request, pk=None):
        req = self.get_object()
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(info.send_request(req, actor=request.user, **data.validated_data))

    @extend_schema(request=None, responses=InformationRequestSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def close(self, request, pk=None):
        return self._respond(info.close_request(self.get_object(), actor=request.user))

    def _item(self, item_id):
        return get_object_or_404(self.get_object().items.all(), pk=item_id)

    @extend_schema(request=AnswerSerializer, responses=InformationRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"items/(?P<item_id>\d+)/answer",
        scope_action="answer",
    )
    def answer(self, request, pk=None, item_id=None):
        item = self._item(item_id)
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = set(data.validated_data["evidence"])
        files = list(Evidence.objects.visible_to(request.user).filter(pk__in=ids))
        if len(files) != len(ids):
            # Another provider's file and a file that does not exist get the same answer: the
            # reply never tells whether an id exists outside the user's scope.
            raise PermissionDenied("Only evidence from your own library can answer a request.")
        info.answer_item(
            item,
            actor=request.user,
            response=data.validated_data["response"],
            evidence=files,
        )
        return self._respond(item.request)

    @extend_schema(request=ReviewItemSerializer, responses=InformationRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"items/(?P<item_id>\d+)/review",
        scope_action="act",
    )
    def review(self, request, pk=None, item_id=None):
        item = self._item(item_id)
        data = ReviewItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        info.review_item(item, actor=request.user, **data.validated_data)
        return self._respond(item.request)
