"""``/api/v1/revocations/`` (SPEC §9; issue 11 item 5): list and detail in the user's scope
(provider users: their own organisation's, once the board has decided, without the council's
working), create (propose), and the workflow's actions ``record-meeting``, ``revoke``,
``not-revoked``, ``withdraw``, ``appeal`` and ``decide-appeal``: 403 not allowed for this user,
409 not allowed in this state, each with its reason, nothing changed (qaf.drf.exception_handler);
and ``add-to-agenda`` (``escalation.board.add_to_agenda``, managers and board members).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from escalation import board
from escalation import revocation_services as services
from escalation.agenda_views import ARRANGERS_ONLY
from escalation.appeals import own_evidence
from escalation.models import (
    BoardMeeting,
    MeetingOutcome,
    Revocation,
    RevocationAppeal,
    RevocationAppealStatus,
    RevocationReason,
    RevocationStatus,
)
from providers.models import Service
from qaf.api import (
    ModelSerializer,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    TypedDateField,
)
from qaf.scoping import can
from qaf.workflow import NotNow

# The council's own working: null for provider users.
INTERNAL = (
    "details",
    "options_exhausted",
    "proposed_by",
    "proposed_on",
    "meeting_on",
    "meeting_attendees",
    "meeting_outcome",
    "meeting_notes",
    "board_decision",
    "decided_by",
    "previous_status",
    "end_reason",
)


class RevocationAppealSerializer(ModelSerializer):
    class Meta:
        model = RevocationAppeal
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


class RevocationSerializer(ModelSerializer):
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=RevocationReason.choices), read_only=True
    )
    appeal = serializers.SerializerMethodField()
    details = serializers.CharField(read_only=True, allow_null=True)
    options_exhausted = serializers.CharField(read_only=True, allow_null=True)
    proposed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    proposed_on = serializers.DateField(read_only=True, allow_null=True)
    meeting_attendees = serializers.CharField(read_only=True, allow_null=True)
    meeting_notes = serializers.CharField(read_only=True, allow_null=True)
    meeting_outcome = serializers.CharField(read_only=True, allow_null=True)
    previous_status = serializers.CharField(read_only=True, allow_null=True)
    end_reason = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Revocation
        fields = [
            "id",
            "service",
            "status",
            "reasons",
            "details",
            "options_exhausted",
            "proposed_by",
            "proposed_on",
            "meeting_on",
            "meeting_attendees",
            "meeting_outcome",
            "meeting_notes",
            "board_decision",
            "decided_by",
            "decided_on",
            "people_plan",
            "transfer_plan",
            "previous_status",
            "ended_on",
            "end_reason",
            "appeal",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RevocationAppealSerializer(allow_null=True))
    def get_appeal(self, obj) -> dict | None:
        try:
            appeal = obj.appeal
        except RevocationAppeal.DoesNotExist:
            return None
        return RevocationAppealSerializer(appeal).data

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


class RevocationProposeSerializer(serializers.Serializer):
    service = _ScopedPk(queryset=Service.objects.all())
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=RevocationReason.choices), allow_empty=False
    )
    details = serializers.CharField()
    options_exhausted = serializers.CharField()


class RevocationMeetingSerializer(serializers.Serializer):
    meeting_on = TypedDateField()
    attendees = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(choices=MeetingOutcome.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class RevocationRevokeSerializer(serializers.Serializer):
    people_plan = serializers.CharField(required=False, allow_blank=True, default="")
    transfer_plan = serializers.CharField(required=False, allow_blank=True, default="")


class RevocationEmptySerializer(serializers.Serializer):
    pass


class RevocationWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RevocationAppealCreateSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    # Ids of files in the provider's own library; any other id refuses the whole appeal (403).
    evidence = serializers.ListField(child=StrictIntegerField(), required=False, default=list)


class RevocationDecideAppealSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[RevocationAppealStatus.UPHELD, RevocationAppealStatus.REFUSED]
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RevocationAgendaSerializer(serializers.Serializer):
    meeting = StrictPrimaryKeyRelatedField(
        queryset=BoardMeeting.objects.all(), help_text="A planned board meeting"
    )


class RevocationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Revocation.objects.all()
    serializer_class = RevocationSerializer
    filterset_fields = ["service", "status"]
    ordering_fields = ["proposed_on", "decided_on", "id"]
    scope_action: str | None = None  # set per workflow action (qaf.permissions)

    def get_queryset(self):
        return (
            Revocation.objects.visible_to(self.request.user)
            .select_related("service", "appeal")
            .prefetch_related("appeal__evidence")
        )

    def _respond(self, revocation, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=revocation.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=RevocationProposeSerializer, responses={201: RevocationSerializer})
    def create(self, request, *args, **kwargs):
        data = RevocationProposeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        revocation = services.propose(actor=request.user, **data.validated_data)
        return self._respond(revocation, status.HTTP_201_CREATED)

    def _step(self, request, step: str, body):
        revocation = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        services.take_step(revocation, step, actor=request.user, **data.validated_data)
        return self._respond(revocation)

    @extend_schema(request=RevocationMeetingSerializer, responses=RevocationSerializer)
    @action(detail=True, methods=["post"], url_path="record-meeting", scope_action="act")
    def record_meeting(self, request, pk=None):
        return self._step(request, "record-meeting", RevocationMeetingSerializer)

    @extend_schema(request=RevocationAgendaSerializer, responses=RevocationSerializer)
    @action(detail=True, methods=["post"], url_path="add-to-agenda", scope_action="view")
    def add_to_agenda(self, request, pk=None):
        """Put the revocation on a planned board meeting's agenda (managers, board members)."""
        if request.user.is_provider_user or not can(request.user, "act", BoardMeeting):
            raise PermissionDenied(ARRANGERS_ONLY)
        revocation = self.get_object()
        data = RevocationAgendaSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if revocation.status != RevocationStatus.WITH_BOARD:
            raise NotNow("The board is asked once the meeting with the provider has been recorded.")
        board.add_to_agenda(data.validated_data["meeting"], revocation, actor=request.user)
        return self._respond(revocation)

    @extend_schema(request=RevocationRevokeSerializer, responses=RevocationSerializer)
    @action(detail=True, methods=["post"], scope_action="change_commissioning_status")
    def revoke(self, request, pk=None):
        return self._step(request, "revoke", RevocationRevokeSerializer)

    @extend_schema(request=RevocationEmptySerializer, responses=RevocationSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="not-revoked",
        scope_action="change_commissioning_status",
    )
    def not_revoked(self, request, pk=None):
        return self._step(request, "not-revoked", RevocationEmptySerializer)

    @extend_schema(request=RevocationWithdrawSerializer, responses=RevocationSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def withdraw(self, request, pk=None):
        return self._step(request, "withdraw", RevocationWithdrawSerializer)

    @extend_schema(request=RevocationAppealCreateSerializer, responses={201: RevocationSerializer})
    @action(detail=True, methods=["post"], scope_action="appeal")
    def appeal(self, request, pk=None):
        revocation = self.get_object()
        data = RevocationAppealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        files = own_evidence(request.user, data.validated_data["evidence"])
        services.appeal(
            revocation, actor=request.user, text=data.validated_data["text"], evidence=files
        )
        return self._respond(revocation, status.HTTP_201_CREATED)

    @extend_schema(request=RevocationDecideAppealSerializer, responses=RevocationSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="decide-appeal",
        scope_action="change_commissioning_status",
    )
    def decide_appeal(self, request, pk=None):
        revocation = self.get_object()
        data = RevocationDecideAppealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = RevocationAppeal.objects.filter(revocation=revocation).first()
        if appeal is None:
            raise NotNow("The provider has not appealed against this revocation.")
        services.decide_appeal(appeal, actor=request.user, **data.validated_data)
        return self._respond(revocation)
