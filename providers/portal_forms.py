"""Forms of the provider portal users' pages (issue 12): inviting a colleague, and the
password page an invitation's link opens."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from providers.invitations import Invitation


class InviteForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["first_name", "last_name", "email", "administrator"]
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "email": "Email address",
            "administrator": "Make them an administrator of the organisation",
        }
        help_texts = {
            "email": "The invitation goes to this address; it is also their username.",
            "administrator": "Administrators invite and deactivate their colleagues.",
        }
        error_messages = {
            "first_name": {"required": "Enter their first name"},
            "last_name": {"required": "Enter their last name"},
            "email": {
                "required": "Enter their email address",
                "invalid": "Enter an email address in the correct format, like name@example.com",
            },
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }


class AcceptForm(SetPasswordForm):
    """Django's own password form (its validators, with the new account's name and address)."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = "Password"
        self.fields["new_password2"].label = "Confirm the password"
        self.fields["new_password1"].error_messages["required"] = "Enter a password"
        self.fields["new_password2"].error_messages["required"] = "Enter the password again"
