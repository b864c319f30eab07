"""``/api/v1/reviews/``: list, detail, plan or record a historic review, and the workflow
actions (SPEC §9): a step the rules forbid answers 403 or 409 with a reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from qaf.drf import Conflict
from reviews import services
from reviews.api.serializers import (
    DraftSerializer,
    ReasonSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
)
from reviews.models import Review


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    filterset_fields = ["service", "status", "kind", "historic"]
    scope_action: str | None = None  # set per workflow action (qaf.permissions)
    ordering_fields = ["completed_on", "visit_date", "id"]

    def get_queryset(self):
        return Review.objects.visible_to(self.request.user).select_related("service")

    def _run(self, step, *args, **kwargs):
        try:
            review = step(*args, **kwargs)
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except services.NotNow as exc:
            raise Conflict(exc.reason) from exc
        except DjangoValidationError as exc:
            from rest_framework.exceptions import ValidationError

            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from exc
        return Response(ReviewSerializer(review, context={"request": self.request}).data)

    @extend_schema(request=ReviewCreateSerializer, responses=ReviewSerializer)
    def create(self, request, *args, **kwargs):
        data = ReviewCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["historic"]:
            response = self._run(
                services.record_historic,
                v["service"],
                actor=request.user,
                kind=v["kind"],
                completed_on=v["completed_on"],
                rating=v["rating"],
            )
        else:
            response = self._run(
                services.plan_review,
                v["service"],
                actor=request.user,
                kind=v["kind"],
                officer=v.get("officer"),
                announced=v["announced"],
                visit_date=v.get("visit_date"),
            )
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="record-visit", scope_action="act")
    def record_visit(self, request, pk=None):
        return self._run(services.record_visit, self.get_object(), actor=request.user)

    @extend_schema(request=DraftSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="prepare-draft", scope_action="act")
    def prepare_draft(self, request, pk=None):
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            services.prepare_draft, self.get_object(), actor=request.user, **data.validated_data
        )

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="share-draft", scope_action="act")
    def share_draft(self, request, pk=None):
        return self._run(services.share_draft, self.get_object(), actor=request.user)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def finalise(self, request, pk=None):
        return self._run(services.finalise, self.get_object(), actor=request.user)

    @extend_schema(request=ReasonSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def cancel(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            services.cancel,
            self.get_object(),
            actor=request.user,
            reason=data.validated_data["reason"],
        )
