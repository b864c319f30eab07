"""Legal holds are placed and released by the administrator in Django admin."""

from django.contrib import admin
from django.utils import timezone

from qaf.privacy.models import LegalHold


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reason", "placed_by", "placed_at", "released_at")
    list_filter = ("released_at",)
    raw_id_fields = ("service", "provider")
    readonly_fields = ("placed_by", "placed_at", "released_by", "released_at")
    fields = (
        "service",
        "provider",
        "reason",
        "placed_by",
        "placed_at",
        "released_by",
        "released_at",
    )
    actions = ["release"]

    def has_delete_permission(self, request, obj=None):
        return False  # released, never deleted: the list shows every hold there has been

    def save_model(self, request, obj, form, change):
        if not change:
            obj.placed_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Release the selected holds (the purge may then delete)")
    def release(self, request, queryset):
        queryset.active().update(released_at=timezone.now(), released_by=request.user)
