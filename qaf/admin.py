"""The administrator's user management: roles, provider membership, lockouts (django-axes)."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from qaf.models import Role, User

admin.site.site_header = "QAF administration"
admin.site.site_title = "QAF administration"


class RolesMixin(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Council staff hold one or more roles. Provider users hold none: set their "
        "provider instead.",
    )


class QafUserChangeForm(RolesMixin, UserAdmin.form):
    pass


class QafUserCreationForm(RolesMixin, UserAdmin.add_form):
    class Meta(UserAdmin.add_form.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name", "roles", "provider")


@admin.register(User)
class QafUserAdmin(SimpleHistoryAdmin, UserAdmin):
    form = QafUserChangeForm
    add_form = QafUserCreationForm
    list_display = (
        "username",
        "get_full_name",
        "email",
        "role_list",
        "provider",
        "provider_admin",
        "is_active",
    )
    list_filter = ("is_active", "provider")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("provider",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "job_title", "phone")}),
        ("What they may do", {"fields": ("roles", "provider", "provider_admin", "is_active")}),
        ("Django admin access", {"fields": ("is_staff", "is_superuser"), "classes": ("collapse",)}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "first_name",
                    "last_name",
                    "roles",
                    "provider",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    @admin.display(description="Roles")
    def role_list(self, obj):
        return ", ".join(obj.role_labels) or "—"
