"""The access log's table: the page and its CSV/XLSX downloads (qaf.exports)."""

from __future__ import annotations

import django_tables2 as tables
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html

from providers.evidence import AccessKind, DownloadLog
from qaf.exports import choice, field, person_field


def _local(value) -> str | None:
    """The moment in the council's time (Europe/London), as ISO text for a download."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


class AccessLogTable(tables.Table):
    at = tables.Column("When")
    user = tables.Column("Who", order_by=("user__last_name", "user__first_name"))
    kind = tables.Column("What")
    label = tables.Column("Record", orderable=False)
    provider = tables.Column("Provider", order_by=("provider__name",))
    ip_address = tables.Column("IP address", orderable=False)

    class Meta:
        model = DownloadLog
        fields = ["at", "user", "kind", "label", "provider", "ip_address"]
        empty_text = "Nobody opened a confidential entry or downloaded evidence in this period."

    export_fields = (
        field("at", convert=_local),
        person_field("user"),
        field("kind", "kind", choice(dict(AccessKind.choices))),
        field("label"),
        field("provider", "provider__name"),
        field("ip_address"),
    )

    def render_at(self, value):
        return date_filter(timezone.localtime(value), "j M Y H:i")

    def render_label(self, record, value):
        target = record.intelligence or record.evidence
        if target is None:
            return f"{value} (deleted)"
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>', target.get_absolute_url(), value
        )
