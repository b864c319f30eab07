"""``/api/v1/escalations/`` (SPEC §9): list and detail in the user's scope, create (open a case),
PATCH the board papers (with the version read: 409 when someone saved since), and the
workflow's actions ``record-contact``, ``advance``, ``de-escalate``, ``close``: 403 not allowed
for this user, 409 not allowed in this state (no quorate board decision, say), each with its
reason and nothing changed (qaf.drf.exception_handler).

Provider users see their own services' cases: the stage, its dates and the letters' dates;
the concerns, the board's papers, the reasons and the moves are null for them.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from escalation import case_services as services
from escalation.api import _ScopedPk
from escalation.case_workflows import ADVANCES
from escalation.models import (
    BoardMeeting,
    CaseMove,
    ContactKind,
    EscalationCase,
    MeetingStatus,
)
from providers.models import Service
from qaf.api import ModelSerializer, StrictPrimaryKeyRelatedField, TypedDateField
from qaf.concurrency import MAX_VERSION
from qaf.models import User

# The council's own working: null for provider users.
INTERNAL = (
    "concerns",
    "lead",
    "opened_by",
    "contact_with",
    "contact_outcome",
    "referred_by",
    "board_review_due",
    "sustainability_review_due",
    "headline_concerns",
    "recommendations",
    "annual_spend",
    "market_risk_notes",
    "people_supported_notes",
    "closed_by",
    "close_reason",
    "moves",
)


class EscalationCaseMoveSerializer(ModelSerializer):
    class Meta:
        model = CaseMove
        fields = ["id", "action", "from_stage", "to_stage", "reason", "actor", "on", "decision"]
        read_only_fields = fields


class EscalationCaseSerializer(ModelSerializer):
    moves = EscalationCaseMoveSerializer(many=True, read_only=True, allow_null=True)
    concerns = serializers.CharField(read_only=True, allow_null=True)
    contact_with = serializers.CharField(read_only=True, allow_null=True)
    contact_outcome = serializers.CharField(read_only=True, allow_null=True)
    headline_concerns = serializers.CharField(read_only=True, allow_null=True)
    recommendations = serializers.CharField(read_only=True, allow_null=True)
    market_risk_notes = serializers.CharField(read_only=True, allow_null=True)
    people_supported_notes = serializers.CharField(read_only=True, allow_null=True)
    close_reason = serializers.CharField(read_only=True, allow_null=True)
    opened_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    lead = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    referred_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    closed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    board_review_due = serializers.DateField(read_only=True, allow_null=True)
    sustainability_review_due = serializers.DateField(read_only=True, allow_null=True)
    annual_spend = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, allow_null=True
    )

    class Meta:
        model = EscalationCase
        fields = [
            "id",
            "service",
            "stage",
            "stage_entered_on",
            "opened_on",
            "opened_by",
            "concerns",
            "lead",
            "contact_kind",
            "contact_on",
            "contact_with",
            "contact_outcome",
            "outcome_confirmed_on",
            "notice_issued_on",
            "referred_on",
            "referred_by",
            "headline_concerns",
            "recommendations",
            "annual_spend",
            "market_risk_notes",
            "people_supported_notes",
            "rectification_notice_on",
            "final_warning_on",
            "termination_on",
            "board_review_due",
            "improvement_due",
            "sustainability_review_due",
            "closed_on",
            "closed_by",
            "closed_at_stage",
            "close_reason",
            "moves",
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


class EscalationCaseOpenSerializer(serializers.Serializer):
    service = _ScopedPk(queryset=Service.objects.all())
    concerns = serializers.CharField()
    lead = StrictPrimaryKeyRelatedField(
        queryset=User.objects.filter(provider__isnull=True, is_active=True),
        required=False,
        allow_null=True,
        default=None,
    )


class EscalationCaseContactSerializer(serializers.Serializer):
    contact_kind = serializers.ChoiceField(choices=ContactKind.choices)
    contact_on = TypedDateField()
    contact_with = serializers.CharField(max_length=200)
    contact_outcome = serializers.CharField()


class EscalationCaseAdvanceSerializer(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=sorted({t for targets in ADVANCES.values() for t in targets}),
        required=False,
        allow_blank=True,
        default="",
        help_text="Where to: from the board stage, the notice the board decided "
        "(rectification_notice or final_warning); else the next stage",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    headline_concerns = serializers.CharField(required=False, allow_blank=True, default="")
    recommendations = serializers.CharField(required=False, allow_blank=True, default="")
    meeting = StrictPrimaryKeyRelatedField(
        queryset=BoardMeeting.objects.filter(status=MeetingStatus.PLANNED),
        required=False,
        allow_null=True,
        default=None,
        help_text="The referral: a planned board meeting whose agenda the case goes on",
    )


class EscalationCaseReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class EscalationCasePapersSerializer(serializers.Serializer):
    headline_concerns = serializers.CharField(required=False, allow_blank=True)
    recommendations = serializers.CharField(required=False, allow_blank=True)
    annual_spend = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    market_risk_notes = serializers.CharField(required=False, allow_blank=True)
    people_supported_notes = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_VERSION,
        help_text="The version you read the case at: a save since then refuses this (409)",
    )


class EscalationCaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = EscalationCase.objects.all()
    serializer_class = EscalationCaseSerializer
    filterset_fields = ["service", "stage"]
    ordering_fields = ["opened_on", "stage_entered_on", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    scope_action: str | None = None  # set per workflow action (qaf.permissions)

    def get_queryset(self):
        return (
            EscalationCase.objects.visible_to(self.request.user)
            .select_related("service")
            .prefetch_related("moves")
        )

    def _respond(self, case, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=case.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=EscalationCaseOpenSerializer, responses={201: EscalationCaseSerializer})
    def create(self, request, *args, **kwargs):
        data = EscalationCaseOpenSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        case = services.open_case(actor=request.user, **data.validated_data)
        return self._respond(case, status.HTTP_201_CREATED)

    @extend_schema(request=EscalationCasePapersSerializer, responses=EscalationCaseSerializer)
    def partial_update(self, request, *args, **kwargs):
        case = self.get_object()
        data = EscalationCasePapersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        services.save_papers(case, actor=request.user, version=version, **fields)
        return self._respond(case)

    def _step(self, request, step: str, body):
        case = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        services.take_step(case, step, actor=request.user, **data.validated_data)
        return self._respond(case)

    @extend_schema(request=EscalationCaseContactSerializer, responses=EscalationCaseSerializer)
    @action(detail=True, methods=["post"], url_path="record-contact", scope_action="act")
    def record_contact(self, request, pk=None):
        return self._step(request, "record-contact", EscalationCaseContactSerializer)

    @extend_schema(request=EscalationCaseAdvanceSerializer, responses=EscalationCaseSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def advance(self, request, pk=None):
        return self._step(request, "advance", EscalationCaseAdvanceSerializer)

    @extend_schema(request=EscalationCaseReasonSerializer, responses=EscalationCaseSerializer)
    @action(detail=True, methods=["post"], url_path="de-escalate", scope_action="act")
    def de_escalate(self, request, pk=None):
        return self._step(request, "de-escalate", EscalationCaseReasonSerializer)

    @extend_schema(request=EscalationCaseReasonSerializer, responses=EscalationCaseSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def close(self, request, pk=None):
        return self._step(request, "close", EscalationCaseReasonSerializer)
