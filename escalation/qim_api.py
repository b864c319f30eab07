"""``/api/v1/quality-improvement-meetings/`` (SPEC §6 "Escalation", §9): the meetings in the
user's scope, each with its agenda (source 003 Table 2, in its order), notes and actions;
arranging one for a case (create); the steps ``issue-invitation``, ``record-notes``,
``decide-position`` and ``cancel``; and ``complete-action`` (an action marked done).

Staff read every meeting; officers and managers act; provider users read the meetings of their
own services they were invited to, with the provider's actions only. A step the rules refuse
answers 403 or 409 with its reason and changes nothing (``qaf.drf``).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from escalation import qim_services as services
from escalation.models import (
    AGENDA,
    ActionBy,
    EscalationCase,
    Position,
    QimAction,
    QualityImprovementMeeting,
)
from escalation.models.qim import AGENDA_CHOICES
from qaf.api import ModelSerializer, StrictIntegerField, StrictPrimaryKeyRelatedField
from qaf.concurrency import MAX_VERSION
from qaf.models import User

# The council's own working: null for provider users.
INTERNAL = ("invitation_issued_by", "notes_recorded_by", "position_decided_by", "suspension")


class QimActionSerializer(ModelSerializer):
    item_title = serializers.CharField(read_only=True)
    who = serializers.CharField(read_only=True, help_text="Action by, in words")
    overdue = serializers.SerializerMethodField(help_text="Past its date and not done")

    class Meta:
        model = QimAction
        fields = [
            "id",
            "item",
            "item_title",
            "text",
            "action_by",
            "owner_name",
            "owner",
            "who",
            "due_on",
            "status",
            "done_on",
            "done_by",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: QimAction) -> bool:
        return obj.overdue_on(self.context["today"])


class QimAgendaItemSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    seed_number = serializers.IntegerField(help_text="As source 003 Table 2 numbers it")
    title = serializers.CharField()
    key_points = serializers.CharField(allow_blank=True)


class QualityImprovementMeetingSerializer(ModelSerializer):
    service = serializers.IntegerField(source="case.service_id", read_only=True)
    agenda = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = QualityImprovementMeeting
        fields = [
            "id",
            "case",
            "service",
            "follow_up",
            "starts_at",
            "venue",
            "chair",
            "required_attendees",
            "other_attendees",
            "status",
            "invitation_issued_on",
            "invitation_issued_by",
            "attendees_council",
            "attendees_provider",
            "attendees_other",
            "apologies",
            "notes_recorded_on",
            "notes_recorded_by",
            "position",
            "share_with_people",
            "position_reason",
            "position_decided_on",
            "position_decided_by",
            "suspension",
            "cancel_reason",
            "agenda",
            "actions",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(QimAgendaItemSerializer(many=True))
    def get_agenda(self, obj: QualityImprovementMeeting) -> list[dict]:
        points = {n.item: n.key_points for n in obj.agenda_notes.all()}
        return [
            {
                "number": e.number,
                "seed_number": e.seed_number,
                "title": e.title,
                "key_points": points.get(e.number, ""),
            }
            for e in AGENDA
        ]

    @extend_schema_field(QimActionSerializer(many=True))
    def get_actions(self, obj: QualityImprovementMeeting) -> list[dict]:
        rows = getattr(obj, "visible_actions", None)
        if rows is None:
            user = self.context["request"].user
            rows = QimAction.objects.visible_to(user).filter(qim=obj).select_related("owner")
        return QimActionSerializer(rows, many=True, context=self.context).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context["request"].user.is_provider_user:
            for name in INTERNAL:
                data[name] = None
        return data


# --- What is sent --------------------------------------------------------------------------------


class _VisibleCase(StrictPrimaryKeyRelatedField):
    """A case the requesting user may see: any other id is "does not exist" (400)."""

    def get_queryset(self):
        return EscalationCase.objects.visible_to(self.context["request"].user)


class QimArrangeSerializer(serializers.Serializer):
    case = _VisibleCase(queryset=EscalationCase.objects.all())
    starts_at = serializers.DateTimeField(help_text="Date and time (Europe/London when no offset)")
    chair = StrictPrimaryKeyRelatedField(
        queryset=User.objects.all(), help_text="An officer or manager"
    )
    venue = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Empty: the service's address"
    )
    required_attendees = serializers.CharField(required=False, allow_blank=True, default="")
    other_attendees = serializers.CharField(required=False, allow_blank=True, default="")
    follow_up = serializers.BooleanField(required=False, default=False)


class QimNewActionSerializer(serializers.Serializer):
    item = serializers.ChoiceField(choices=AGENDA_CHOICES, help_text="The agenda item, 1-11")
    text = serializers.CharField()
    action_by = serializers.ChoiceField(choices=ActionBy.choices)
    owner_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    owner = StrictPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    due_on = serializers.DateField()


class QimNotesSerializer(serializers.Serializer):
    version = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_VERSION,
        help_text="The version you read the meeting at: a save since then refuses this (409)",
    )
    attendees_council = serializers.CharField(required=False, allow_blank=True, default="")
    attendees_provider = serializers.CharField(required=False, allow_blank=True, default="")
    attendees_other = serializers.CharField(required=False, allow_blank=True, default="")
    apologies = serializers.CharField(required=False, allow_blank=True, default="")
    points = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text='Key discussion points by agenda item number ("1" to "11")',
    )
    actions = QimNewActionSerializer(many=True, required=False, default=list)

    def validate_points(self, value):
        numbers = {str(e.number): e.number for e in AGENDA}
        unknown = [k for k in value if k not in numbers]
        if unknown:
            raise serializers.ValidationError(f"No such agenda item: {', '.join(unknown)}.")
        return {numbers[k]: v for k, v in value.items()}


class QimPositionSerializer(serializers.Serializer):
    position = serializers.ChoiceField(choices=Position.choices)
    share_with_people = serializers.BooleanField(
        help_text="Concerns shared with the people using the service and their families"
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class QimCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class QimCompleteActionSerializer(serializers.Serializer):
    action = StrictIntegerField(min_value=1, help_text="The id of one of the meeting's actions")


class QualityImprovementMeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = QualityImprovementMeeting.objects.all()
    serializer_class = QualityImprovementMeetingSerializer
    filterset_fields = ["case", "status", "follow_up", "position"]
    ordering_fields = ["starts_at", "id"]
    scope_action: str | None = None  # set per step (qaf.permissions)

    def get_queryset(self):
        # The actions this user may see, read once for the whole page (provider users: the
        # provider's own).
        actions = QimAction.objects.visible_to(self.request.user).select_related("owner")
        return (
            QualityImprovementMeeting.objects.visible_to(self.request.user)
            .select_related("case")
            .prefetch_related(
                "agenda_notes", Prefetch("actions", queryset=actions, to_attr="visible_actions")
            )
            .order_by("-starts_at", "-pk")
        )

    def get_serializer_context(self):
        from django.utils import timezone

        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _respond(self, qim, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=qim.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(
        request=QimArrangeSerializer, responses={201: QualityImprovementMeetingSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = QimArrangeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        qim = services.arrange(values.pop("case"), actor=request.user, **values)
        return self._respond(qim, status.HTTP_201_CREATED)

    def _step(self, request, step: str, body) -> Response:
        qim = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        params = {}
        if body is not None:
            data = body(data=request.data)
            data.is_valid(raise_exception=True)
            params = dict(data.validated_data)
        services.take_step(qim, step, actor=request.user, **params)
        return self._respond(qim)

    @extend_schema(
        request=None,
        responses=QualityImprovementMeetingSerializer,
        summary="Issue the invitation letter (source 003 Table 1) and the agenda (Table 2)",
    )
    @action(detail=True, methods=["post"], url_path="issue-invitation", scope_action="act")
    def issue_invitation(self, request, pk=None):
        return self._step(request, "issue-invitation", None)

    @extend_schema(
        request=QimNotesSerializer,
        responses=QualityImprovementMeetingSerializer,
        summary="Record the notes (Table 3) and new actions; the notes PDF is issued",
    )
    @action(detail=True, methods=["post"], url_path="record-notes", scope_action="act")
    def record_notes(self, request, pk=None):
        qim = self.get_object()
        data = QimNotesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["actions"] = [dict(a) for a in values["actions"]]
        services.record_notes(qim, actor=request.user, **values)
        return self._respond(qim)

    @extend_schema(
        request=QimPositionSerializer,
        responses=QualityImprovementMeetingSerializer,
        summary="Decide the commissioning position (Table 1 points 1 and 2)",
    )
    @action(detail=True, methods=["post"], url_path="decide-position", scope_action="act")
    def decide_position(self, request, pk=None):
        return self._step(request, "decide-position", QimPositionSerializer)

    @extend_schema(
        request=QimCancelSerializer,
        responses=QualityImprovementMeetingSerializer,
        summary="Cancel a meeting not yet held, with the reason",
    )
    @action(detail=True, methods=["post"], scope_action="act")
    def cancel(self, request, pk=None):
        return self._step(request, "cancel", QimCancelSerializer)

    @extend_schema(
        request=QimCompleteActionSerializer,
        responses=QualityImprovementMeetingSerializer,
        summary="Mark one of the meeting's actions done (who and when are recorded)",
    )
    @action(detail=True, methods=["post"], url_path="complete-action", scope_action="act")
    def complete_action(self, request, pk=None):
        qim = self.get_object()
        data = QimCompleteActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = get_object_or_404(qim.actions.all(), pk=data.validated_data["action"])
        services.complete_action(found, actor=request.user)
        return self._respond(qim)
