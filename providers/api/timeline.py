"""The timeline in the API (issue 14 item 1): ``GET /api/v1/services/{id}/timeline/`` and
``GET /api/v1/providers/{id}/timeline/``, with the page's filters, paged as every list."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from providers.timeline import (
    LIMIT,
    SOURCES,
    Period,
    Subject,
    TimelineQuery,
    name_services,
    timeline,
)
from qaf.api import TypedDateField
from qaf.drf import Pagination


class TimelineFilterSerializer(serializers.Serializer):
    kind = serializers.MultipleChoiceField(
        choices=[(s.kind, s.label) for s in SOURCES],
        required=False,
        help_text="Only these kinds of record (repeat the parameter for several); every kind "
        "by default. A kind the user may not see (a provider user asking for the council's "
        "internal records) has no entries.",
    )
    date_from = TypedDateField(required=False, help_text="From this day (included)")
    date_to = TypedDateField(required=False, help_text="To this day (included)")

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"date_to": "date_to must be the same as or after date_from."}
            )
        return attrs


class TimelineEntrySerializer(serializers.Serializer):
    on = serializers.DateField(help_text="The day it happened")
    at = serializers.DateTimeField(
        allow_null=True, help_text="The time it happened, when it was recorded with one"
    )
    kind = serializers.ChoiceField(choices=[(s.kind, s.label) for s in SOURCES])
    kind_label = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    url = serializers.CharField(
        allow_blank=True, help_text="The page of its record (empty when it has none yet)"
    )
    service = serializers.IntegerField(source="service_id", allow_null=True)
    service_name = serializers.CharField(
        allow_blank=True, help_text="On a provider's timeline: the service's name"
    )
    confidential = serializers.BooleanField(
        help_text="Not shown to the provider: the provider's users do not see this entry "
        "(always false for a provider user)"
    )


class TimelinePagination(Pagination):
    """The usual page, and ``truncated``: whether the 500-entry limit left older entries out."""

    truncated = False

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["truncated"] = self.truncated
        return response

    def get_paginated_response_schema(self, schema):
        paged = super().get_paginated_response_schema(schema)
        paged["properties"]["truncated"] = {
            "type": "boolean",
            "description": f"True when there were more than {LIMIT} entries: only the newest "
            f"{LIMIT} are given (a shorter period, date_from and date_to, reaches older ones).",
        }
        paged["required"] = [*paged.get("required", []), "truncated"]
        return paged


TIMELINE_SCHEMA = extend_schema(
    parameters=[TimelineFilterSerializer],
    responses={
        200: TimelineEntrySerializer(many=True),
        400: OpenApiResponse(description="A filter is not valid: the reason, by parameter."),
        404: OpenApiResponse(description="Not visible to this user, or no such page."),
    },
)


class TimelineActionMixin:
    """For the service and provider viewsets: their ``timeline`` action."""

    @TIMELINE_SCHEMA
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=TimelinePagination)
    def timeline(self, request, pk=None):
        """Everything recorded about it, newest first (at most 500 entries, ``truncated`` true
        when older ones were left out; a shorter period reaches further back): reviews and
        visits, intelligence, information requests and answers, letters, rating changes,
        suspensions, escalation steps and meetings, concern levels, revocations, board
        decisions and improvement plans, as this user may see them."""
        obj = self.get_object()
        filters = TimelineFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        subject = self.timeline_subject(obj)
        entries, more = timeline(
            TimelineQuery(
                request.user,
                subject,
                Period(data.get("date_from"), data.get("date_to")),
                limit=LIMIT,
            ),
            data.get("kind") or None,
        )
        page = self.paginate_queryset(entries)
        self.paginator.truncated = more
        names = self.timeline_service_names(obj, request.user)
        return self.get_paginated_response(
            TimelineEntrySerializer(name_services(page, names), many=True).data
        )

    def timeline_subject(self, obj) -> Subject:
        raise NotImplementedError

    def timeline_service_names(self, obj, user) -> dict[int, str]:
        return {}
