"""``GET /api/v1/access-log/``: the access log, read only, for administrators (as the page)."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from providers.evidence import DownloadLog
from qaf.api import ModelSerializer
from qaf.privacy.filters import AccessLogFilter


class AccessLogSerializer(ModelSerializer):
    user_name = serializers.SerializerMethodField()

    class Meta:
        model = DownloadLog
        fields = [
            "id",
            "at",
            "user",
            "user_name",
            "kind",
            "label",
            "intelligence",
            "evidence",
            "provider",
            "ip_address",
        ]
        read_only_fields = fields

    def get_user_name(self, obj) -> str:
        return str(obj.user)


class AccessLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who opened a confidential intelligence entry or downloaded an evidence file, newest
    first; filters ``user``, ``kind``, ``date_from``, ``date_to``, ``q`` (the record)."""

    queryset = DownloadLog.objects.all()
    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilter
    ordering_fields = ["at", "id"]

    def get_queryset(self):
        return DownloadLog.objects.visible_to(self.request.user).select_related("user")
