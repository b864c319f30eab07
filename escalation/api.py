"""``/api/v1/suspensions/`` (SPEC §9): list and detail in the user's scope, create (propose),
and the workflow's actions ``approve``, ``reject``, ``appeal``, ``decide-appeal``,
``propose-lift``, ``approve-lift``, ``reject-lift``: 403 not allowed for this user, 409 not
allowed in this state, each with its reason, nothing changed (qaf.drf.exception_handler)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from escalation import services
from escalation.appeals import own_evidence
from escalation.models import (
    Appeal,
    AppealStatus,
    Restriction,
    Suspension,
    SuspensionReason,
)
from providers.models import Service
from qaf.api import ModelSerializer, StrictIntegerField, StrictPrimaryKeyRelatedField
from qaf.workflow import NotNow

# The council's own working: null for provider users.
INTERNAL = (
    "proposed_by",
    "decided_by",
    "decision_comment",
    "lift_proposed_by",
    "lift_reason",
    "lift_decided_by",
    "lift_comment",
)


class SuspensionAppealSerializer(ModelSerializer):
    class Meta:
        model = Appeal
        fields = [
            "id",
            "status",
            "text",
            "evidence",
            "submitted_by",
            "submitted_at",
            "decided_by",
            "decided_on",
            "decision_reason",
        ]
        read_only_fields = fields


class SuspensionSerializer(ModelSerializer):
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=SuspensionReason.choices), read_only=True
    )
    minimum_until = serializers.DateField(read_only=True, allow_null=True)
    appeals = SuspensionAppealSerializer(many=True, read_only=True)
    proposed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    decision_comment = serializers.CharField(read_only=True, allow_null=True)
    lift_reason = serializers.CharField(read_only=True, allow_null=True)
    lift_comment = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Suspension
        fields = [
            "id",
            "service",
            "status",
            "restriction",
            "restriction_details",
            "reasons",
            "other_reason",
            "actions_required",
            "minimum_months",
            "minimum_until",
            "proposed_by",
            "decided_by",
            "decided_on",
            "decision_comment",
            "lift_proposed_by",
            "lift_reason",
            "lift_decided_by",
            "lift_comment",
            "ended_on",
            "appeals",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = getattr(self.context.get("request"), "user", None)
        if user is not None and user.is_provider_user:
            for name in INTERNAL:
                data[name] = None
        return data


class _ScopedPk(StrictPrimaryKeyRelatedField):
    """An id of a row the requesting user may see: anything else is "does not exist"."""

    def get_queryset(self):
        return self.queryset.model.objects.visible_to(self.context["request"].user)


class SuspensionProposeSerializer(serializers.Serializer):
    service = _ScopedPk(queryset=Service.objects.all())
    restriction = serializers.ChoiceField(choices=Restriction.choices)
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=SuspensionReason.choices), allow_empty=False
    )
    actions_required = serializers.CharField()
    restriction_details = serializers.CharField(required=False, allow_blank=True, default="")
    other_reason = serializers.CharField(required=False, allow_blank=True, default="")
    minimum_months = StrictIntegerField(
        required=False, allow_null=True, min_value=1, max_value=24, default=None
    )


class SuspensionCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SuspensionLiftSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SuspensionAppealCreateSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    # Ids of files in the provider's own library; any other id refuses the whole appeal (403).
    evidence = serializers.ListField(child=StrictIntegerField(), required=False, default=list)


class SuspensionDecideAppealSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[AppealStatus.UPHELD, AppealStatus.REFUSED])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    appeal = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The appeal decided; the one waiting when left out",
    )


class SuspensionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Suspension.objects.all()
    serializer_class = SuspensionSerializer
    filterset_fields = ["service", "status", "restriction"]
    ordering_fields = ["decided_on", "ended_on", "id"]
    scope_action: str | None = None  # set per workflow action (qaf.permissions)

    def get_queryset(self):
        return (
            Suspension.objects.visible_to(self.request.user)
            .select_related("service")
            .prefetch_related("appeals__evidence")
        )

    def _respond(self, suspension, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=suspension.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=SuspensionProposeSerializer, responses={201: SuspensionSerializer})
    def create(self, request, *args, **kwargs):
        data = SuspensionProposeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        suspension = services.propose(actor=request.user, **data.validated_data)
        return self._respond(suspension, status.HTTP_201_CREATED)

    def _step(self, request, step: str, body=SuspensionCommentSerializer):
        suspension = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        services.take_step(suspension, step, actor=request.user, **data.validated_data)
        return self._respond(suspension)

    @extend_schema(request=SuspensionCommentSerializer, responses=SuspensionSerializer)
    @action(detail=True, methods=["post"], scope_action="change_commissioning_status")
    def approve(self, request, pk=None):
        return self._step(request, "approve")

    @extend_schema(request=SuspensionCommentSerializer, responses=SuspensionSerializer)
    @action(detail=True, methods=["post"], scope_action="change_commissioning_status")
    def reject(self, request, pk=None):
        return self._step(request, "reject")

    @extend_schema(request=SuspensionLiftSerializer, responses=SuspensionSerializer)
    @action(detail=True, methods=["post"], url_path="propose-lift", scope_action="act")
    def propose_lift(self, request, pk=None):
        return self._step(request, "propose-lift", SuspensionLiftSerializer)

    @extend_schema(request=SuspensionCommentSerializer, responses=SuspensionSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="approve-lift",
        scope_action="change_commissioning_status",
    )
    def approve_lift(self, request, pk=None):
        return self._step(request, "approve-lift")

    @extend_schema(request=SuspensionCommentSerializer, responses=SuspensionSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="reject-lift",
        scope_action="change_commissioning_status",
    )
    def reject_lift(self, request, pk=None):
        return self._step(request, "reject-lift")

    @extend_schema(request=SuspensionAppealCreateSerializer, responses={201: SuspensionSerializer})
    @action(detail=True, methods=["post"], scope_action="appeal")
    def appeal(self, request, pk=None):
        suspension = self.get_object()
        data = SuspensionAppealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        files = own_evidence(request.user, data.validated_data["evidence"])
        services.appeal(
            suspension, actor=request.user, text=data.validated_data["text"], evidence=files
        )
        return self._respond(suspension, status.HTTP_201_CREATED)

    @extend_schema(request=SuspensionDecideAppealSerializer, responses=SuspensionSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="decide-appeal",
        scope_action="change_commissioning_status",
    )
    def decide_appeal(self, request, pk=None):
        suspension = self.get_object()
        data = SuspensionDecideAppealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        appeals = suspension.appeals.all()
        appeal = (
            get_object_or_404(appeals, pk=v["appeal"])
            if v["appeal"] is not None
            else appeals.filter(status=AppealStatus.PENDING).first()
        )
        if appeal is None:
            raise NotNow("No appeal against this suspension is waiting for a decision.")
        services.decide_appeal(appeal, actor=request.user, outcome=v["outcome"], reason=v["reason"])
        return self._respond(suspension)
