from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from providers.models import Provider


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    """Only so the user form can search providers; the register is kept in QAF's own pages."""

    search_fields = ("name", "regulator_provider_id")
    list_display = ("name", "regulator_provider_id", "sponsorship_licence")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
