"""``/api/v1/improvement-plans/`` (SPEC §6 "Improvement plan", §9): the plans in the user's
scope with their issues, actions and updates; asking for one (create, officers and managers);
the steps ``submit``, ``accept``, ``return``, ``close`` and ``add-issue``; and the nested
``/api/v1/improvement-plans/{plan}/actions/`` with ``update``, ``verify`` and ``reopen``.
``/api/v1/plan-suggestions/`` lists the triggers waiting for an officer, with ``not-needed``.

A provider user reaches only their own organisation's plans (another's id is 404); a step the
rules refuse answers 403 or 409 with its reason and changes nothing (``qaf.drf``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from escalation import plan_services as services
from escalation.models import (
    ImprovementPlan,
    IssueSource,
    PlanAction,
    PlanActionStatus,
    PlanIssue,
    PlanSuggestion,
    PlanSuggestionStatus,
    PlanUpdate,
)
from escalation.plan_workflows import POLICY
from providers.models import Evidence, Service
from qaf.api import (
    ModelSerializer,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    TypedDateField,
)
from qaf.concurrency import MAX_VERSION
from qaf.generic import parse_id

# The council's own working: null for provider users.
INTERNAL = ("requested_by", "accepted_by", "closed_by")


class PlanUpdateSerializer(ModelSerializer):
    class Meta:
        model = PlanUpdate
        fields = ["id", "text", "status", "evidence", "author", "created_at"]
        read_only_fields = fields


class PlanActionSerializer(ModelSerializer):
    plan = serializers.IntegerField(source="plan_id", read_only=True)
    overdue = serializers.SerializerMethodField(help_text="Agreed, past its due date, not done")
    updates = PlanUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = PlanAction
        fields = [
            "id",
            "plan",
            "issue",
            "what",
            "success_measure",
            "responsible",
            "due_on",
            "status",
            "agreed",
            "overdue",
            "return_comment",
            "verified_on",
            "verified_by",
            "reopen_reason",
            "updates",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: PlanAction) -> bool:
        return obj.is_overdue(self.context["today"])

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context["request"].user.is_provider_user:
            data["verified_by"] = None
        return data


class PlanIssueSerializer(ModelSerializer):
    class Meta:
        model = PlanIssue
        fields = [
            "id",
            "source",
            "text",
            "review",
            "standard",
            "rag",
            "regulator_plan_agreed",
            "regulator_plan_note",
            "created_at",
        ]
        read_only_fields = fields


class ImprovementPlanSerializer(ModelSerializer):
    requested_by = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Null for provider users"
    )
    issues = PlanIssueSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField()
    submission_overdue = serializers.SerializerMethodField(
        help_text="Still with the provider after the day it was due"
    )

    class Meta:
        model = ImprovementPlan
        fields = [
            "id",
            "service",
            "status",
            "responsible_person",
            "consultation",
            "requested_on",
            "requested_by",
            "submit_due",
            "submission_overdue",
            "submitted_on",
            "returned_on",
            "return_comment",
            "times_returned",
            "accepted_on",
            "accepted_by",
            "closed_on",
            "closed_by",
            "issues",
            "actions",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_submission_overdue(self, obj: ImprovementPlan) -> bool:
        return obj.submission_overdue_on(self.context["today"])

    @extend_schema_field(PlanActionSerializer(many=True))
    def get_actions(self, obj: ImprovementPlan) -> list[dict]:
        return PlanActionSerializer(obj.actions.all(), many=True, context=self.context).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context["request"].user.is_provider_user:
            for name in INTERNAL:
                data[name] = None
        return data


# --- What is sent --------------------------------------------------------------------------------


class _VisibleService(StrictPrimaryKeyRelatedField):
    def get_queryset(self):
        return Service.objects.visible_to(self.context["request"].user)


class _SuggestionsOf(StrictPrimaryKeyRelatedField):
    def get_queryset(self):
        return PlanSuggestion.objects.visible_to(self.context["request"].user).filter(
            status=PlanSuggestionStatus.OPEN
        )


class PlanOpenSerializer(serializers.Serializer):
    service = _VisibleService(queryset=Service.objects.all())
    suggestions = _SuggestionsOf(
        queryset=PlanSuggestion.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="Open suggestions of the service the plan answers",
    )
    text = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Another issue, in words"
    )


class PlanAddIssueSerializer(serializers.Serializer):
    suggestions = _SuggestionsOf(
        queryset=PlanSuggestion.objects.all(), many=True, required=False, default=list
    )
    text = serializers.CharField(required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(
        choices=[IssueSource.REGULATOR, IssueSource.OTHER], required=False, default="other"
    )
    regulator_plan_agreed = serializers.BooleanField(required=False, default=False)
    regulator_plan_note = serializers.CharField(required=False, allow_blank=True, default="")


class PlanDetailsSerializer(serializers.Serializer):
    version = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_VERSION,
        help_text="The version you read the plan at: a save since then refuses this (409)",
    )
    responsible_person = serializers.CharField(max_length=200)
    consultation = serializers.CharField(required=False, allow_blank=True, default="")


class PlanReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text='A comment per action, by the action\'s id: {"12": "Make it measurable"}',
    )

    def validate_comments(self, value):
        try:
            return {int(k): v for k, v in value.items()}
        except ValueError as error:
            raise serializers.ValidationError(
                "The keys are the ids of the plan's actions."
            ) from error


class PlanActionWriteSerializer(serializers.Serializer):
    version = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_VERSION
    )
    issue = StrictIntegerField(min_value=1, help_text="The id of one of the plan's issues")
    what = serializers.CharField()
    success_measure = serializers.CharField()
    responsible = serializers.CharField(max_length=200)
    due_on = TypedDateField()


class PlanActionUpdateSerializer(serializers.Serializer):
    text = serializers.CharField()
    status = serializers.ChoiceField(choices=[PlanActionStatus.IN_PROGRESS, PlanActionStatus.DONE])
    evidence = serializers.ListField(
        child=StrictIntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Ids of clean files in the provider's own evidence library",
    )


class PlanReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ImprovementPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = ImprovementPlan.objects.all()
    serializer_class = ImprovementPlanSerializer
    filterset_fields = ["service", "status"]
    ordering_fields = ["requested_on", "submit_due", "id"]
    scope_action: str | None = None

    def get_queryset(self):
        actions = PlanAction.objects.prefetch_related("updates__evidence")
        return (
            ImprovementPlan.objects.visible_to(self.request.user)
            .prefetch_related("issues", Prefetch("actions", queryset=actions))
            .order_by("-requested_on", "-pk")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _respond(self, plan, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=plan.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=PlanOpenSerializer, responses={201: ImprovementPlanSerializer})
    def create(self, request, *args, **kwargs):
        data = PlanOpenSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        plan = services.open_plan(
            values["service"],
            actor=request.user,
            suggestions=values["suggestions"],
            text=values["text"],
        )
        return self._respond(plan, status.HTTP_201_CREATED)

    def _step(self, request, step: str, body=None) -> Response:
        plan = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        params = {}
        if body is not None:
            data = body(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            params = dict(data.validated_data)
        services.take_step(plan, step, actor=request.user, **params)
        return self._respond(plan)

    @extend_schema(
        request=None,
        responses=ImprovementPlanSerializer,
        summary="Submit the plan to the council (the provider; every issue needs an action)",
    )
    @action(detail=True, methods=["post"], scope_action="draft")
    def submit(self, request, pk=None):
        return self._step(request, "submit")

    @extend_schema(
        request=None,
        responses=ImprovementPlanSerializer,
        summary="Accept the submitted plan: its actions are agreed, the plan PDF issued",
    )
    @action(detail=True, methods=["post"], scope_action="act")
    def accept(self, request, pk=None):
        return self._step(request, "accept")

    @extend_schema(
        request=PlanReturnSerializer,
        responses=ImprovementPlanSerializer,
        summary="Return the submitted plan with comments (on the plan and per action)",
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return", scope_action="act")
    def return_plan(self, request, pk=None):
        return self._step(request, "return", PlanReturnSerializer)

    @extend_schema(
        request=None,
        responses=ImprovementPlanSerializer,
        summary="Close the plan (every action verified)",
    )
    @action(detail=True, methods=["post"], scope_action="act")
    def close(self, request, pk=None):
        return self._step(request, "close")

    @extend_schema(
        request=PlanAddIssueSerializer,
        responses=ImprovementPlanSerializer,
        summary="Add issues (a suggestion of the service, or in words); a plan with the council "
        "goes back to the provider for their actions",
    )
    @action(detail=True, methods=["post"], url_path="add-issue", scope_action="draft")
    def add_issue(self, request, pk=None):
        plan = self.get_object()
        data = PlanAddIssueSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.add_issue(plan, actor=request.user, **data.validated_data)
        return self._respond(plan)

    @extend_schema(
        request=PlanDetailsSerializer,
        responses=ImprovementPlanSerializer,
        summary="The person responsible and who was consulted (while the provider writes it)",
    )
    @action(detail=True, methods=["post"], scope_action="draft")
    def details(self, request, pk=None):
        plan = self.get_object()
        data = PlanDetailsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.edit_plan(plan, actor=request.user, **data.validated_data)
        return self._respond(plan)


class PlanActionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """A plan's SMART actions: added while the provider writes the plan; once agreed, updated
    (with evidence), verified or reopened."""

    queryset = PlanAction.objects.all()
    serializer_class = PlanActionSerializer
    scoped_model = POLICY
    scope_action: str | None = None
    filterset_fields = ["status", "issue"]

    @cached_property
    def plan(self) -> ImprovementPlan:
        """The plan of the URL, in the user's scope (404 outside it, or for an id beyond any)."""
        plans = ImprovementPlan.objects.visible_to(self.request.user)
        return get_object_or_404(plans, pk=parse_id(self.kwargs["plan_pk"]))

    def get_queryset(self):
        return (
            PlanAction.objects.visible_to(self.request.user)
            .filter(plan=self.plan)
            .select_related("plan")
            .prefetch_related("updates__evidence")
            .order_by("issue_id", "due_on", "pk")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _respond(self, found, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=found.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def initial(self, request, *args, **kwargs):
        if self.action == "create":  # adding an action is writing the plan, not asking for one
            self.scope_action = "draft"
        super().initial(request, *args, **kwargs)

    @extend_schema(request=PlanActionWriteSerializer, responses={201: PlanActionSerializer})
    def create(self, request, *args, **kwargs):
        plan = self.plan
        data = PlanActionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        issue = get_object_or_404(plan.issues.all(), pk=values.pop("issue"))
        made = services.add_action(issue, actor=request.user, **values)
        return self._respond(made, status.HTTP_201_CREATED)

    @extend_schema(
        request=PlanActionUpdateSerializer,
        responses=PlanActionSerializer,
        summary="Post an update on an agreed action, with evidence from the library",
    )
    @action(
        detail=True, methods=["post"], url_path="update", url_name="update", scope_action="update"
    )
    def post_update(self, request, plan_pk=None, pk=None):
        found = self.get_object()
        data = PlanActionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        provider_id = found.plan.service.provider_id
        linkable = Evidence.objects.linkable_for(provider_id).filter(pk__in=values["evidence"])
        files = list(linkable)
        if len(files) != len(set(values["evidence"])):
            raise serializers.ValidationError(
                {"evidence": ["Choose clean files from the provider's own evidence library."]}
            )
        with transaction.atomic():
            services.post_update(
                found,
                actor=request.user,
                text=values["text"],
                status=values["status"],
                evidence=files,
            )
        return self._respond(found)

    @extend_schema(request=None, responses=PlanActionSerializer, summary="Verify a done action")
    @action(detail=True, methods=["post"], scope_action="act")
    def verify(self, request, plan_pk=None, pk=None):
        found = self.get_object()
        services.verify(found, actor=request.user)
        return self._respond(found)

    @extend_schema(
        request=PlanReasonSerializer,
        responses=PlanActionSerializer,
        summary="Reopen, with the reason",
    )
    @action(detail=True, methods=["post"], scope_action="act")
    def reopen(self, request, plan_pk=None, pk=None):
        found = self.get_object()
        data = PlanReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reopen(found, actor=request.user, reason=data.validated_data["reason"])
        return self._respond(found)


class PlanSuggestionSerializer(ModelSerializer):
    describe = serializers.CharField(read_only=True, help_text="The trigger, in words")

    class Meta:
        model = PlanSuggestion
        fields = [
            "id",
            "service",
            "kind",
            "review",
            "rating",
            "arose_on",
            "describe",
            "status",
            "plan",
            "not_needed_reason",
            "decided_by",
            "decided_on",
        ]
        read_only_fields = fields


class PlanSuggestionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The triggers for a plan (a final review rated Amber/Red, a regulator rating of Requires
    improvement or Inadequate) and what an officer decided; staff only."""

    queryset = PlanSuggestion.objects.all()
    serializer_class = PlanSuggestionSerializer
    scoped_model = POLICY
    scope_action: str | None = None
    filterset_fields = ["service", "status", "kind"]

    def get_queryset(self):
        if self.request.user.is_provider_user:
            return PlanSuggestion.objects.none()
        return (
            PlanSuggestion.objects.visible_to(self.request.user)
            .select_related("review")
            .order_by("-arose_on", "-pk")
        )

    @extend_schema(
        request=PlanReasonSerializer,
        responses=PlanSuggestionSerializer,
        summary="Record why no improvement plan is needed",
    )
    @action(detail=True, methods=["post"], url_path="not-needed", scope_action="add")
    def not_needed(self, request, pk=None):
        found = self.get_object()
        data = PlanReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.not_needed(found, actor=request.user, reason=data.validated_data["reason"])
        found.refresh_from_db()
        return Response(self.get_serializer(found).data)
