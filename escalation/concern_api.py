"""``/api/v1/concern-levels/`` and ``/api/v1/concern-suggestions/`` (SPEC §6 "Concern level").

``concern-levels`` is one entry per service, found by the service's id: its level, the move
proposed (waiting for the board's decision), the suggestion waiting and, on the detail, its
decisions. The steps are actions on it (``decide/``, ``propose/``, ``approve/``, ``reject/``,
``withdraw/``); ``concern-suggestions/{id}/dismiss/`` dismisses a suggestion. Staff read them,
provider users get 403 (the council's internal view); a step the rules refuse answers 403 or
409 with its reason (``escalation.concern_services``, through ``qaf.drf``).

The actions ask the role "view" of the router and leave "decide"/"approve" to the workflow,
so that a body is read (and a bad one refused, 400) before the role is: as the reviews' steps.
"""

from __future__ import annotations

import django_filters as df
from django.db.models import Prefetch, Q
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from escalation import board
from escalation import concern_services as services
from escalation.agenda_views import ARRANGERS_ONLY
from escalation.models import BoardMeeting, ConcernDecision, ConcernLevel, ConcernSuggestion, Level
from providers.filters import ScopedFilterSet
from providers.models import Provider, Service
from qaf.api import ModelSerializer, StrictIntegerField, StrictPrimaryKeyRelatedField
from qaf.scoping import can
from qaf.workflow import NotNow

HISTORY_ROWS = 50


def _name(user) -> str | None:
    return (user.get_full_name() or user.username) if user else None


class _PersonField(serializers.CharField):
    """A person by name (read only), null when nobody."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return _name(value)


class SuggestionSerializer(ModelSerializer):
    closed_by = _PersonField()

    class Meta:
        model = ConcernSuggestion
        fields = [
            "id",
            "service",
            "level",
            "from_level",
            "reasons",
            "triggers",
            "created_for",
            "status",
            "closed_by",
            "closed_on",
            "dismiss_reason",
        ]
        read_only_fields = fields


class DecisionSerializer(ModelSerializer):
    decided_by = _PersonField()
    proposed_by = _PersonField()

    class Meta:
        model = ConcernDecision
        fields = [
            "id",
            "kind",
            "from_level",
            "to_level",
            "reason",
            "decided_by",
            "decided_on",
            "proposed_by",
            "proposed_on",
            "comment",
            "suggestion",
        ]
        read_only_fields = fields


class ProposalSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    proposed_by = serializers.CharField()
    proposed_on = serializers.DateField()
    reason = serializers.CharField()


def _concern(service: Service) -> ConcernLevel | None:
    try:
        return service.concern
    except ConcernLevel.DoesNotExist:
        return None


class ConcernLevelSerializer(serializers.Serializer):
    """A service's concern level (a service nobody has decided about is at level 1)."""

    service = serializers.IntegerField(source="pk", read_only=True)
    service_name = serializers.CharField(source="name", read_only=True)
    provider = serializers.IntegerField(source="provider_id", read_only=True)
    level = serializers.SerializerMethodField()
    decided_on = serializers.SerializerMethodField()
    proposal = serializers.SerializerMethodField()
    suggestion = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=Level.choices))
    def get_level(self, service: Service) -> int:
        concern = _concern(service)
        return concern.level if concern else 1

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_decided_on(self, service: Service):
        concern = _concern(service)
        return concern.decided_on.isoformat() if concern and concern.decided_on else None

    @extend_schema_field(ProposalSerializer(allow_null=True))
    def get_proposal(self, service: Service):
        concern = _concern(service)
        if concern is None or concern.proposed_level is None:
            return None
        return {
            "level": concern.proposed_level,
            "proposed_by": _name(concern.proposed_by),
            "proposed_on": concern.proposed_on.isoformat(),
            "reason": concern.proposal_reason,
        }

    @extend_schema_field(SuggestionSerializer(allow_null=True))
    def get_suggestion(self, service: Service):
        waiting = getattr(service, "waiting_suggestions", None)
        if waiting is None:
            waiting = list(ConcernSuggestion.objects.waiting().filter(service=service))
        return SuggestionSerializer(waiting[0]).data if waiting else None


class ConcernLevelDetailSerializer(ConcernLevelSerializer):
    decisions = serializers.SerializerMethodField()

    @extend_schema_field(DecisionSerializer(many=True))
    def get_decisions(self, service: Service):
        rows = (
            ConcernDecision.objects.filter(service=service)
            .select_related("decided_by", "proposed_by")
            .order_by("-decided_on", "-pk")[:HISTORY_ROWS]
        )
        return DecisionSerializer(rows, many=True).data


class MoveSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    reason = serializers.CharField()
    suggestion = StrictIntegerField(
        required=False,
        allow_null=True,
        help_text="The waiting suggestion this accepts (its level must be the level chosen)",
    )
    from_level = serializers.ChoiceField(
        choices=Level.choices,
        required=False,
        allow_null=True,
        help_text="The level the decision starts from, as you saw it: refused (409) when "
        "someone changed it meanwhile",
    )


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ConcernReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ConcernAgendaSerializer(serializers.Serializer):
    meeting = StrictPrimaryKeyRelatedField(
        queryset=BoardMeeting.objects.all(), help_text="A planned board meeting"
    )


class ConcernBoardCommentSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Kept beside the board's own reason",
    )


class ConcernLevelFilter(ScopedFilterSet):
    level = df.ChoiceFilter(choices=Level.choices, method="by_level")
    provider = df.ModelChoiceFilter(queryset=Provider.objects.all())
    suggestion_waiting = df.BooleanFilter(method="by_suggestion")
    proposal_waiting = df.BooleanFilter(method="by_proposal")

    class Meta:
        model = Service
        fields = ["level", "provider", "suggestion_waiting", "proposal_waiting"]

    def by_level(self, queryset, name, value):
        level = int(value)
        if level == 1:
            return queryset.filter(Q(concern__isnull=True) | Q(concern__level=1))
        return queryset.filter(concern__level=level)

    def by_suggestion(self, queryset, name, value):
        waiting = ConcernSuggestion.objects.waiting().values("service_id")
        return queryset.filter(pk__in=waiting) if value else queryset.exclude(pk__in=waiting)

    def by_proposal(self, queryset, name, value):
        return queryset.filter(concern__proposed_level__isnull=not value)


class ConcernLevelViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Service.objects.all()
    scoped_model = ConcernLevel
    serializer_class = ConcernLevelSerializer
    filterset_class = ConcernLevelFilter
    scope_action: str | None = None
    ordering_fields = ["id", "name"]
    search_fields = ["name", "provider__name"]

    def get_queryset(self):
        return (
            Service.objects.visible_to(self.request.user)
            .select_related("concern__proposed_by")
            .prefetch_related(
                Prefetch(
                    "concern_suggestions",
                    queryset=ConcernSuggestion.objects.waiting(),
                    to_attr="waiting_suggestions",
                )
            )
            .order_by("pk")
        )

    def get_serializer_class(self):
        if self.action == "list":
            return ConcernLevelSerializer
        return ConcernLevelDetailSerializer

    def _step(self, request, step: str, body: type[serializers.Serializer] | None) -> Response:
        """Take a step of the service's concern level (escalation.concern_services); a
        refusal is answered 403 or 409 with its reason, a bad body 400."""
        service = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        params = {}
        if body is not None:
            data = body(data=request.data)
            data.is_valid(raise_exception=True)
            params = data.validated_data
        services.take_step(service, step, actor=request.user, **params)
        fresh = self.get_queryset().get(pk=service.pk)
        context = self.get_serializer_context()
        return Response(ConcernLevelDetailSerializer(fresh, context=context).data)

    @extend_schema(
        request=MoveSerializer,
        responses=ConcernLevelDetailSerializer,
        summary="A manager moves the service between levels 1 and 2, with a reason",
    )
    @action(detail=True, methods=["post"], scope_action="view")
    def decide(self, request, pk=None):
        return self._step(request, "decide", MoveSerializer)

    @extend_schema(
        request=MoveSerializer,
        responses=ConcernLevelDetailSerializer,
        summary="A manager proposes a move to or from level 3, for the board to decide",
    )
    @action(detail=True, methods=["post"], scope_action="view")
    def propose(self, request, pk=None):
        return self._step(request, "propose", MoveSerializer)

    @extend_schema(
        request=CommentSerializer,
        responses=ConcernLevelDetailSerializer,
        summary="A manager records the board's decision to approve the proposed move",
        description="409 without an unused decision of a quorate meeting about it.",
    )
    @action(detail=True, methods=["post"], scope_action="view")
    def approve(self, request, pk=None):
        return self._step(request, "approve", CommentSerializer)

    @extend_schema(
        request=ConcernBoardCommentSerializer,
        responses=ConcernLevelDetailSerializer,
        summary="A manager records the board's decision not to approve the proposed move",
        description="409 without an unused decision of a quorate meeting about it.",
    )
    @action(detail=True, methods=["post"], scope_action="view")
    def reject(self, request, pk=None):
        return self._step(request, "reject", ConcernBoardCommentSerializer)

    @extend_schema(
        request=ConcernAgendaSerializer,
        responses=ConcernLevelDetailSerializer,
        summary="Put the proposed move on a planned board meeting's agenda (the board decides)",
    )
    @action(detail=True, methods=["post"], url_path="add-to-agenda", scope_action="view")
    def add_to_agenda(self, request, pk=None):
        if request.user.is_provider_user or not can(request.user, "act", BoardMeeting):
            raise PermissionDenied(ARRANGERS_ONLY)
        service = self.get_object()
        data = ConcernAgendaSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        concern = ConcernLevel.objects.filter(pk=service.pk, proposed_level__isnull=False).first()
        if concern is None:
            raise NotNow("No move is proposed.")
        board.add_to_agenda(data.validated_data["meeting"], concern, actor=request.user)
        fresh = self.get_queryset().get(pk=service.pk)
        context = self.get_serializer_context()
        return Response(ConcernLevelDetailSerializer(fresh, context=context).data)

    @extend_schema(
        request=None,
        responses=ConcernLevelDetailSerializer,
        summary="The proposer withdraws the proposed move",
    )
    @action(detail=True, methods=["post"], scope_action="view")
    def withdraw(self, request, pk=None):
        return self._step(request, "withdraw", None)


class SuggestionFilter(ScopedFilterSet):
    class Meta:
        model = ConcernSuggestion
        fields = ["status", "level", "service"]


class ConcernSuggestionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = ConcernSuggestion.objects.all()
    scoped_model = ConcernLevel
    serializer_class = SuggestionSerializer
    filterset_class = SuggestionFilter
    scope_action: str | None = None
    ordering_fields = ["id", "created_for", "level"]

    def get_queryset(self):
        return (
            ConcernSuggestion.objects.visible_to(self.request.user)
            .select_related("closed_by")
            .order_by("-level", "created_for", "pk")
        )

    @extend_schema(
        request=ConcernReasonSerializer,
        responses=SuggestionSerializer,
        summary="A manager dismisses the suggestion, with a reason",
    )
    @action(detail=True, methods=["post"], scope_action="view")
    def dismiss(self, request, pk=None):
        suggestion = self.get_object()
        data = ConcernReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.dismiss(suggestion, actor=request.user, **data.validated_data)
        return Response(SuggestionSerializer(suggestion).data)
