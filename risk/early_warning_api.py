"""``/api/v1/early-warnings/``: each service's early-warning flag (risk.early_warning), found by
the service's id, filterable by ``flagged``, ``service``, ``provider`` and ``service_type``;
``POST /api/v1/early-warnings/{id}/recompute/`` checks one service again now (officers and
managers). Staff only: provider users get 403 (the counts include confidential entries)."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from providers.filters import ScopedFilterSet
from providers.models import Provider, Service, ServiceType
from qaf.api import ModelSerializer
from risk.early_warning import KINDS, SIZE_WORDS
from risk.early_warning_job import compute
from risk.models import EarlyWarning


class EarlyWarningSerializer(ModelSerializer):
    """A service's early-warning flag: the reason in words, the counts it was decided on, the
    weekly series of the sparkline and the policy version that set the thresholds."""

    service_name = serializers.CharField(source="service.name", read_only=True)
    provider = serializers.IntegerField(source="service.provider_id", read_only=True)
    recent_by_kind = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=f"Entries in the last 90 days by kind: {', '.join(KINDS)}",
    )
    weekly = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Entries per week for the 65 weeks to computed_for, oldest first",
    )
    size_band = serializers.ChoiceField(choices=list(SIZE_WORDS.items()), read_only=True)
    policy_version = serializers.IntegerField(source="policy_version.number", read_only=True)
    own_rate = serializers.DecimalField(
        max_digits=9, decimal_places=2, read_only=True, allow_null=True, coerce_to_string=False
    )
    peer_rate = serializers.DecimalField(
        max_digits=9, decimal_places=2, read_only=True, allow_null=True, coerce_to_string=False
    )

    class Meta:
        model = EarlyWarning
        fields = [
            "service",
            "service_name",
            "provider",
            "flagged",
            "flagged_since",
            "reason",
            "recent",
            "recent_by_kind",
            "previous",
            "own_rate",
            "peer_rate",
            "peers",
            "size_band",
            "weekly",
            "computed_for",
            "policy_version",
        ]
        read_only_fields = fields


class _StrictBoolean(forms.NullBooleanField):
    """ "true" or "false" (or nothing); anything else is refused. A BooleanFilter ignores what
    it cannot read, so a mistyped value would list every service as if it were filtered."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Say true or false.", code="invalid")

    def validate(self, value):
        pass


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(df.BooleanFilter):
    field_class = _StrictBoolean


class EarlyWarningFilter(ScopedFilterSet):
    flagged = StrictBooleanFilter(
        help_text="true: only services getting worse; false: only the others"
    )
    provider = df.ModelChoiceFilter(field_name="service__provider", queryset=Provider.objects.all())
    service_type = df.ChoiceFilter(field_name="service__service_type", choices=ServiceType.choices)

    class Meta:
        model = EarlyWarning
        fields = ["flagged", "service", "provider", "service_type"]


class EarlyWarningViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = EarlyWarning.objects.all()
    serializer_class = EarlyWarningSerializer
    filterset_class = EarlyWarningFilter
    scope_action: str | None = None
    # {id} in the paths, as the concern levels: the service's id (the row's primary key).
    lookup_url_kwarg = "id"
    ordering_fields = ["service", "flagged_since", "recent"]

    def get_queryset(self):
        return (
            EarlyWarning.objects.visible_to(self.request.user)
            .select_related("service", "policy_version")
            .order_by("-flagged", "-flagged_since", "service_id")
        )

    @extend_schema(
        request=None, responses=EarlyWarningSerializer, summary="Check one service again now"
    )
    @action(detail=True, methods=["post"], scope_action="run")
    def recompute(self, request, id=None):  # noqa: A002 - the URL's name for the service's id
        service = get_object_or_404(Service.objects.visible_to(request.user), pk=id)
        compute(timezone.localdate(), only=service.pk)
        warning = self.get_queryset().filter(service=service).first()
        if warning is None:
            raise Http404("A decommissioned service has no early warning.")
        return Response(self.get_serializer(warning).data)
