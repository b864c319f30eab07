"""The access log's filters: person, kind of access, dates (shared by the page and the API)."""

from __future__ import annotations

import django_filters as df

from providers.evidence import AccessKind, DownloadLog
from providers.filters import ScopedFilterSet
from qaf.models import User


def _people(request):
    # Only staff open confidential entries; anyone who may download evidence may be logged.
    return User.objects.filter(pk__in=DownloadLog.objects.values("user_id")).order_by(
        "last_name", "first_name", "username"
    )


class AccessLogFilter(ScopedFilterSet):
    user = df.ModelChoiceFilter(queryset=_people, label="Person")
    kind = df.ChoiceFilter(choices=AccessKind.choices, label="What", empty_label="Any")
    date_from = df.DateFilter(field_name="at", lookup_expr="date__gte", label="From")
    date_to = df.DateFilter(field_name="at", lookup_expr="date__lte", label="To")
    q = df.CharFilter(field_name="label", lookup_expr="icontains", label="Record")

    class Meta:
        model = DownloadLog
        fields = ["user", "kind", "date_from", "date_to", "q"]
